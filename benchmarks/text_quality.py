"""Quality of the text engine on the held-out evaluation set: sentiment and theme macro-F1 per
language, against baselines.

    python benchmarks/text_quality.py [--json]

Reads closeloop/text/evaluation/comments_{en,ko,th}.jsonl (never used for training: the
starting sentiment models learn from closeloop/text/data/sentiment_seed_*.jsonl and the lexicon
only, the themes are the default theme set every new organization gets). Before scoring it
checks that no evaluation text also appears (exactly, or nearly: character-trigram Jaccard
>= 0.8) in the training data or the theme examples, and reports the count.

Sentiment (positive, negative, neutral, mixed): macro-F1 of the starting model of each language
against a VADER-style lexicon scorer for English (our own, closeloop.text.lexicon.vader_like)
and the majority class for Korean and Thai. Themes (multi-label): micro- and macro-F1 over the
eight default themes of the engine's assignment (keywords + similarity to examples) against the
majority-theme baseline (every comment gets the most frequent theme of the set).
The evaluation set's language is given to neither: the engine detects it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EVAL_DIR = ROOT / "closeloop" / "text" / "evaluation"
LANGUAGES = ("en", "ko", "th")
SENTIMENTS = ("positive", "negative", "neutral", "mixed")


def load(language: str) -> list[dict[str, Any]]:
    path = EVAL_DIR / f"comments_{language}.jsonl"
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def _trigrams(text: str) -> set[str]:
    from closeloop.text.tokens import normalize

    packed = " ".join(normalize(text).split())
    return {packed[i : i + 3] for i in range(max(1, len(packed) - 2))}


def overlap(rows: list[dict[str, Any]], training: list[str]) -> tuple[int, int]:
    """(exact, near) evaluation texts that also appear in the training texts."""
    from closeloop.text.tokens import normalize

    exact_set = {normalize(t).strip() for t in training}
    grams = [_trigrams(t) for t in training]
    exact = near = 0
    for row in rows:
        text = row["text"]
        if normalize(text).strip() in exact_set:
            exact += 1
            continue
        mine = _trigrams(text)
        for other in grams:
            union = len(mine | other)
            if union and len(mine & other) / union >= 0.8:
                near += 1
                break
    return exact, near


def training_texts(language: str) -> list[str]:
    from closeloop.text.lexicon import lexicon_examples
    from closeloop.text.sentiment import load_seed
    from closeloop.text.services import default_theme_specs

    texts = [t for t, _l in load_seed(language)] + [t for t, _l in lexicon_examples(language)]
    for spec in default_theme_specs():
        texts.extend(spec.get("examples", {}).get(language, []))
    return texts


def f1_multilabel(
    truth: list[set[str]], predicted: list[set[str]], labels: list[str]
) -> dict[str, Any]:
    per: dict[str, float] = {}
    tp_all = fp_all = fn_all = 0
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if label in t and label in p)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if label not in t and label in p)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if label in t and label not in p)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        per[label] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    micro = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all + fp_all + fn_all else 0.0
    precision = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    recall = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
    return {
        "micro_f1": round(micro, 3),
        "macro_f1": round(sum(per.values()) / len(per), 3),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "per_theme": {k: round(v, 3) for k, v in per.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    # Models are cached under a throwaway var dir: this measures the bundled data as shipped.
    os.environ.setdefault("CLOSELOOP_VAR_DIR", tempfile.mkdtemp(prefix="closeloop-textq-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closeloop.settings")
    import django

    django.setup()
    from sklearn.metrics import confusion_matrix, f1_score

    def macro(truth: list[str], predicted: list[str]) -> float:
        score = f1_score(
            truth, predicted, average="macro", labels=list(SENTIMENTS), zero_division=0
        )
        return round(float(score), 3)

    from closeloop.text import engine
    from closeloop.text.lexicon import vader_like
    from closeloop.text.services import default_theme_specs
    from closeloop.text.themes import ThemeMatcher, ThemeSpec

    started = time.perf_counter()
    specs = default_theme_specs()
    matcher = ThemeMatcher(
        [ThemeSpec(str(s["key"]), s.get("keywords") or {}, s.get("examples") or {}) for s in specs]
    )
    theme_labels = [str(s["key"]) for s in specs]
    report: dict[str, Any] = {}
    for language in LANGUAGES:
        rows = load(language)
        exact, near = overlap(rows, training_texts(language))
        texts = [r["text"] for r in rows]
        # No hint: the engine detects the language of every text itself.
        results = engine.enrich(texts, [""] * len(texts), matcher=matcher)
        truth = [r["sentiment"] for r in rows]
        predicted = [r.sentiment for r in results]
        if language == "en":
            baseline_name = "VADER-style lexicon"
            baseline = [vader_like(t)[0] for t in texts]
        else:
            majority = Counter(truth).most_common(1)[0][0]
            baseline_name = f"majority class ({majority})"
            baseline = [majority] * len(texts)
        theme_truth = [set(r["themes"]) for r in rows]
        theme_pred = [{h.theme_id for h in r.themes} for r in results]
        top_theme = Counter(t for s in theme_truth for t in s).most_common(1)[0][0]
        report[language] = {
            "n": len(rows),
            "overlap_with_training": {"exact": exact, "near": near},
            "language_detected_correctly": round(
                sum(1 for r in results if r.language == language) / len(rows), 3
            ),
            "sentiment": {
                "model_macro_f1": macro(truth, predicted),
                "baseline": baseline_name,
                "baseline_macro_f1": macro(truth, baseline),
                "model_accuracy": round(
                    sum(1 for t, p in zip(truth, predicted, strict=True) if t == p) / len(rows), 3
                ),
                "confusion": confusion_matrix(truth, predicted, labels=list(SENTIMENTS)).tolist(),
            },
            "themes": {
                "model": f1_multilabel(theme_truth, theme_pred, theme_labels),
                "baseline": f"majority theme ({top_theme})",
                "baseline_scores": {
                    k: v
                    for k, v in f1_multilabel(
                        theme_truth, [{top_theme}] * len(rows), theme_labels
                    ).items()
                    if k != "per_theme"
                },
            },
        }  # fmt: skip
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print("Text quality on closeloop/text/evaluation/ (held out; never trained on)")
    for language in LANGUAGES:
        r = report[language]
        s, t = r["sentiment"], r["themes"]
        seen = r["overlap_with_training"]
        print(f"\n{language}: {r['n']} comments; overlap with training data: "
              f"{seen['exact']} exact, {seen['near']} near; "
              f"language detected correctly: {r['language_detected_correctly']:.1%}")  # fmt: skip
        print(f"  sentiment macro-F1: model {s['model_macro_f1']:.3f} vs {s['baseline']} "
              f"{s['baseline_macro_f1']:.3f} (accuracy {s['model_accuracy']:.1%})")  # fmt: skip
        m = t["model"]
        b = t["baseline_scores"]
        print(f"  themes: micro-F1 {m['micro_f1']:.3f}, macro-F1 {m['macro_f1']:.3f} "
              f"(precision {m['precision']:.3f}, recall {m['recall']:.3f}) vs {t['baseline']}: "
              f"micro-F1 {b['micro_f1']:.3f}, macro-F1 {b['macro_f1']:.3f}")  # fmt: skip
        print("  per theme F1: " + ", ".join(f"{k} {v:.2f}" for k, v in m["per_theme"].items()))
        print(f"  sentiment confusion (rows truth, columns predicted; {', '.join(SENTIMENTS)}): "
              f"{s['confusion']}")  # fmt: skip
    print(f"\n({report['seconds']}s)")


if __name__ == "__main__":
    main()
