"""Sentiment: a TF-IDF (words and character n-grams) + logistic regression model per language.

The starting model of each language is trained on the bundled seed corpus
(data/sentiment_seed_<lang>.jsonl) the first time it is needed and cached on disk under the var
dir (keyed by the corpus, the engine and scikit-learn's version), so later processes load it in
milliseconds. Languages without a seed corpus use a model trained on all of them (emoji,
punctuation and loanwords still carry some signal) until the organization has its own.

An organization's own model (see services.sentiment_model_train) starts from the same seed
corpus plus its scored comments (weak labels from the score) and its corrections.

Labels: positive, negative, neutral and mixed. The model learns all four from the seed corpus;
on top of it a comment is mixed when a clause after a contrast marker (but, 하지만, -는데, แต่)
leans the other way from a clause before it, or when the model gives both positive and negative
a high probability. The score is P(positive) - P(negative), in -1..1.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import pickle
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from closeloop.text.tokens import NEGATORS, normalize, tokenize_many

logger = logging.getLogger("closeloop.text")

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED_LANGUAGES = ("en", "ko", "th")
ANY = "*"
LABELS = ("negative", "neutral", "positive", "mixed")
# A comment is mixed when the model gives positive and negative both at least this much.
MIXED_BOTH = 0.45
# A clause counts as leaning one way when that label has at least this probability.
CLAUSE_LEAN = 0.5
SEP = "\x1f"

CONTRAST: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(?:but|however|although|though|except|whereas|yet|otherwise|only problem|"
        r"only issue|the downside)\b"
    ),
    "ko": re.compile(
        r"(?:하지만|그렇지만|그런데|근데|그러나|반면|지만|는데|은데|ㄴ데)(?=\s|$|[,.!?])"
    ),
    "th": re.compile(r"แต่|ถึงแม้|ทั้งที่|ทว่า|เสียดาย"),
}
_NEGATE_AFTER = {"en": 2, "ko": 1, "th": 1}
_KO_POST_NEGATORS = frozenset({"않다", "못하다"})


def seed_path(language: str) -> Path:
    return DATA_DIR / f"sentiment_seed_{language}.jsonl"


def load_seed(language: str) -> list[tuple[str, str]]:
    """(text, label) pairs of one language's seed corpus (all languages for ANY)."""
    if language == ANY:
        return [pair for lang in SEED_LANGUAGES for pair in load_seed(lang)]
    path = seed_path(language)
    if not path.exists():
        return []
    pairs: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            text, label = str(row.get("text") or "").strip(), str(row.get("sentiment") or "")
            if text and label in LABELS:
                pairs.append((text, label))
    return pairs


def seed_digest() -> str:
    """A short hash of every seed corpus: a new corpus means new starting models."""
    digest = hashlib.sha256()
    for language in SEED_LANGUAGES:
        path = seed_path(language)
        digest.update(language.encode())
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# --- features -----------------------------------------------------------------------------------


def _mark_negation(tokens: list[str], language: str) -> list[str]:
    negators = NEGATORS.get(language, frozenset())
    reach = _NEGATE_AFTER.get(language, 1)
    out = list(tokens)
    for i, token in enumerate(tokens):
        if token in negators:
            for j in range(i + 1, min(len(tokens), i + 1 + reach)):
                if tokens[j] not in negators:
                    out[j] = f"NOT_{tokens[j]}"
        if language == "ko" and token in _KO_POST_NEGATORS and i > 0:
            out[i - 1] = f"NOT_{tokens[i - 1]}"
    return out


def feature_doc(text: str, tokens: Sequence[str], language: str) -> str:
    """What the vectorizers read: negation-marked tokens, then the normalized text."""
    marked = _mark_negation(list(tokens), language)
    return f"{' '.join(marked)}{SEP}{normalize(text)}"


def word_analyzer(doc: str) -> list[str]:
    """Unigrams and bigrams of the marked tokens (module level so a model can be pickled)."""
    words = doc.split(SEP, 1)[0].split()
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def char_part(doc: str) -> str:
    return doc.split(SEP, 1)[1] if SEP in doc else doc


class LexiconFeatures:
    """Counts of positive and negative lexicon words (after negation) as two features: a small
    seed corpus cannot teach every word, the lexicon knows the common ones."""

    def __init__(self, language: str = "en", weight: float = 1.0) -> None:
        self.language = language
        self.weight = weight

    def fit(self, docs: Sequence[str], y: Any = None) -> LexiconFeatures:
        return self

    def transform(self, docs: Sequence[str]) -> Any:
        import numpy as np
        from scipy.sparse import csr_matrix

        from closeloop.text.lexicon import lexicon_counts

        rows = []
        for doc in docs:
            marked = doc.split(SEP, 1)[0].split()
            language = self.language if self.language != ANY else _guess(marked)
            positive, negative = lexicon_counts(marked, language)
            rows.append(
                [np.log1p(positive), np.log1p(negative), float(positive > 0 and negative > 0)]
            )
        return csr_matrix(np.asarray(rows, dtype=float) * self.weight)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"language": self.language, "weight": self.weight}

    def set_params(self, **params: Any) -> LexiconFeatures:
        for key, value in params.items():
            setattr(self, key, value)
        return self


def _guess(tokens: Sequence[str]) -> str:
    from closeloop.text.language import detect

    return detect(" ".join(t.removeprefix("NOT_") for t in tokens)).language or "en"


def build_pipeline(language: str) -> Any:
    """An untrained TF-IDF (words + character n-grams) + logistic regression pipeline."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    # Character n-grams carry Thai and Korean, whose words run together or inflect.
    ngrams = (2, 4) if language in {"en", ANY} else (1, 3)
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=word_analyzer, sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=char_part,
                    analyzer="char_wb",
                    ngram_range=ngrams,
                    sublinear_tf=True,
                    min_df=1,
                    max_features=60000,
                ),
            ),
            ("lexicon", LexiconFeatures(language)),
        ]
    )
    classifier = LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000)
    return Pipeline([("features", features), ("clf", classifier)])


def train(
    docs: Sequence[str],
    labels: Sequence[str],
    language: str,
    weights: Sequence[float] | None = None,
) -> Any:
    """Fit a pipeline on feature docs and labels (weights: how much each example counts)."""
    pipeline = build_pipeline(language)
    if weights is None:
        pipeline.fit(list(docs), list(labels))
    else:
        pipeline.fit(list(docs), list(labels), clf__sample_weight=list(weights))
    return pipeline


def docs_for(texts: Sequence[str], languages: Sequence[str]) -> list[str]:
    """Feature docs of raw texts (tokenized here)."""
    token_lists = tokenize_many(texts, languages)
    return [
        feature_doc(text, tokens, lang)
        for text, tokens, lang in zip(texts, token_lists, languages, strict=True)
    ]


def seed_training_set(language: str) -> tuple[list[str], list[str], list[float]]:
    """Feature docs, labels and weights of the starting model: the seed corpus of `language`
    (all of them for ANY) plus the lexicon's words as one-word examples."""
    from closeloop.text.lexicon import lexicon_examples

    languages = list(SEED_LANGUAGES) if language == ANY else [language]
    texts: list[str] = []
    labels: list[str] = []
    langs: list[str] = []
    for lang in languages:
        for text, label in [*load_seed(lang), *lexicon_examples(lang)]:
            texts.append(text)
            labels.append(label)
            langs.append(lang)
    return docs_for(texts, langs), labels, [1.0] * len(texts)


# --- prediction -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentResult:
    label: str
    score: float


def _probabilities(model: Any, docs: list[str]) -> list[dict[str, float]]:
    if not docs:
        return []
    classes = [str(c) for c in model.classes_]
    return [
        dict(zip(classes, (float(p) for p in row), strict=True))
        for row in model.predict_proba(docs)
    ]


def _label_of(probs: dict[str, float]) -> str:
    pos, neg = probs.get("positive", 0.0), probs.get("negative", 0.0)
    if pos >= MIXED_BOTH and neg >= MIXED_BOTH:
        return "mixed"
    return max(probs, key=lambda k: probs[k])


def _lean(probs: dict[str, float]) -> str:
    pos, neg = probs.get("positive", 0.0), probs.get("negative", 0.0)
    if pos >= CLAUSE_LEAN and pos > neg:
        return "positive"
    if neg >= CLAUSE_LEAN and neg > pos:
        return "negative"
    return ""


def clauses(text: str, language: str) -> list[str]:
    """The parts of a text on either side of its contrast markers (one part when none)."""
    pattern = CONTRAST.get(language)
    if pattern is None:
        return [text]
    normalized = normalize(text)
    parts = [p.strip(" ,.;:!?") for p in pattern.split(normalized)]
    parts = [p for p in parts if len(p) >= 2]
    return parts if len(parts) >= 2 else [text]


def predict(
    model: Any, texts: Sequence[str], tokens: Sequence[Sequence[str]], language: str
) -> list[SentimentResult]:
    """Sentiment of texts of one language, given their tokens."""
    docs = [feature_doc(t, toks, language) for t, toks in zip(texts, tokens, strict=True)]
    overall = _probabilities(model, docs)
    split: dict[int, list[str]] = {}
    for i, text in enumerate(texts):
        parts = clauses(text, language)
        if len(parts) >= 2:
            split[i] = parts
    leans: dict[int, set[str]] = {}
    if split:
        flat = [(i, part) for i, parts in split.items() for part in parts]
        part_docs = docs_for([p for _i, p in flat], [language] * len(flat))
        for (i, _part), probs in zip(flat, _probabilities(model, part_docs), strict=True):
            lean = _lean(probs)
            if lean:
                leans.setdefault(i, set()).add(lean)
    results: list[SentimentResult] = []
    for i, probs in enumerate(overall):
        score = round(probs.get("positive", 0.0) - probs.get("negative", 0.0), 4)
        label = _label_of(probs)
        if leans.get(i, set()) >= {"positive", "negative"}:
            label = "mixed"
        results.append(SentimentResult(label, max(-1.0, min(1.0, score))))
    return results


# --- starting models ------------------------------------------------------------------------------


def _cache_dir() -> Path | None:
    try:
        from django.conf import settings

        path = Path(settings.VAR_DIR) / "text-models"
        path.mkdir(parents=True, exist_ok=True)
        return path
    except Exception:  # no settings or a read-only var dir: train in memory each process
        return None


def _cache_key(language: str) -> str:
    import sklearn

    from closeloop.text.engine_version import ENGINE_VERSION

    # The code that makes features is part of the model: a change to it means a new model.
    code = hashlib.sha256()
    for name in ("sentiment.py", "lexicon.py", "tokens.py"):
        code.update((Path(__file__).resolve().parent / name).read_bytes())
    raw = f"{ENGINE_VERSION}|{sklearn.__version__}|{seed_digest()}|{code.hexdigest()}|{language}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


class _StartingModels:
    """The seed-trained model per language: loaded from the disk cache or trained once."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, language: str) -> Any:
        key = language if language in SEED_LANGUAGES else ANY
        model = self._models.get(key)
        if model is None:
            with self._lock:
                model = self._models.get(key)
                if model is None:
                    model = self._load_or_train(key)
                    self._models[key] = model
        return model

    def _load_or_train(self, language: str) -> Any:
        folder = _cache_dir()
        path = folder / f"seed-{language}-{_cache_key(language)}.pkl" if folder else None
        if path is not None and path.exists():
            try:
                return pickle.loads(path.read_bytes())  # noqa: S301 - written by this process tree
            except Exception:
                logger.warning("Unreadable cached sentiment model %s; training again", path)
        pairs = load_seed(language)
        if not pairs:
            raise RuntimeError(f"no sentiment seed corpus for {language!r}")
        docs, labels, weights = seed_training_set(language)
        model = train(docs, labels, language, weights)
        if path is not None:
            tmp = path.with_suffix(".tmp")
            try:
                tmp.write_bytes(pickle.dumps(model))
                tmp.replace(path)
            except OSError:
                logger.warning("Could not cache the sentiment model at %s", path)
        return model

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


STARTING = _StartingModels()


def starting_model(language: str) -> Any:
    """The seed-trained model for `language` (the all-languages model for others)."""
    return STARTING.get(language)


def dumps(model: Any) -> bytes:
    return pickle.dumps(model)


def loads(blob: bytes) -> Any:
    return pickle.loads(blob)  # noqa: S301 - org models are written only by this app
