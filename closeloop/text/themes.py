"""Assigning comments to themes: keywords and phrases, then similarity to examples.

A theme matches a comment when one of its keywords does (per language: the keyword tokenized
like the comment and found as a token sequence, or found in the text: on word boundaries for
Latin script, at a token start for Thai, anywhere for Korean), or when the comment is close
enough (TF-IDF cosine over character n-grams) to one of the theme's examples. Comments people
corrected are examples too: a comment a person put in a theme pulls similar comments in, one
they took out of a theme keeps near-identical comments out, even against a keyword.

Pure: no database. services.theme_matcher_for builds one from an organization's themes and
corrections, and the engine caches it until the theme set or the corrections change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from closeloop.text.background import BACKGROUND
from closeloop.text.tokens import compact, normalize, tokenize_many

# Cosine similarity (character 2-4-grams) above which a comment takes an example's theme.
SIMILARITY_THRESHOLD = 0.42
# A corrected-out example this close to a comment keeps the theme off it, keyword or not.
NEGATIVE_BLOCK = 0.6
# A theme's classifier (examples and keywords against the other themes') assigns it from
# this probability on.
CLASSIFIER_THRESHOLD = 0.5
# At most this many themes come from similarity alone.
MAX_SIMILAR = 2
KEYWORD_CONFIDENCE = 0.7
_LATIN_LANGS = frozenset({"en", "es", "fr", "de", "pt", "id", "vi", "ms", "it", "nl"})


@dataclass(frozen=True)
class ThemeSpec:
    """What the matcher needs of a theme."""

    id: str
    keywords: dict[str, list[str]]
    examples: dict[str, list[str]]


@dataclass(frozen=True)
class Example:
    """A comment a person put in (positive) or took out of (negative) a theme."""

    theme_id: str
    text: str
    language: str
    positive: bool = True


@dataclass(frozen=True)
class ThemeHit:
    theme_id: str
    confidence: float
    matched: tuple[str, ...] = ()


@dataclass
class _Keywords:
    sequences: dict[tuple[str, ...], str] = field(default_factory=dict)
    substrings: dict[str, str] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = None


@dataclass
class _Examples:
    vectorizer: Any
    matrix: Any
    # (theme id, positive?) -> the matrix rows of those examples
    groups: dict[tuple[str, bool], list[int]]
    # theme id -> a one-against-the-rest classifier over the same features
    classifiers: dict[str, Any] = field(default_factory=dict)


def _ngrams(tokens: Sequence[str], longest: int = 5) -> set[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for n in range(1, longest + 1):
        for i in range(len(tokens) - n + 1):
            grams.add(tuple(tokens[i : i + n]))
    return grams


def _sequence_usable(word: str, tokens: Sequence[str], language: str) -> bool:
    """Whether a keyword's tokens stand for it: a phrase that loses words to the tokenizer
    ("두 번 결제" -> 결제) or a Korean ending reduced to a common stem (있었으면 -> 있다) would
    match far more than the keyword says, so it is matched as text instead."""
    if not tokens or len(tokens) < len(word.split()):
        return False
    if language == "ko":
        covered = sum(len(t[:-1] if t.endswith("다") else t) for t in tokens)
        return covered >= 0.75 * len(compact(word))
    return True


def _token_starts(tokens: Sequence[str], text: str) -> set[int]:
    """Offsets in `text` (compacted) where a token begins."""
    starts: set[int] = set()
    position = 0
    for token in tokens:
        found = text.find(token, position)
        if found < 0:
            continue
        starts.add(found)
        position = found + len(token)
    return starts


def _classifiers(
    language: str,
    vectorizer: Any,
    items: Sequence[tuple[str, str, bool]],
    words: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """Per theme, a logistic regression telling its examples and keywords from the other
    themes', from comments about none of them, and from comments a person took out of it."""
    from sklearn.linear_model import LogisticRegression

    background = list(BACKGROUND.get(language, ()))
    texts = [text for _t, text, _p in items] + [w for _t, w in words] + background
    if not texts:
        return {}
    matrix = vectorizer.transform(texts)
    owners = (
        [(theme_id, positive) for theme_id, _x, positive in items]
        + [(theme_id, True) for theme_id, _w in words]
        + [("", False) for _b in background]
    )
    out: dict[str, Any] = {}
    for theme_id in sorted({t for t, positive in owners if positive}):
        labels = [t == theme_id and positive for t, positive in owners]
        if all(labels) or not any(labels):
            continue
        model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
        out[theme_id] = model.fit(matrix, labels)
    return out


class ThemeMatcher:
    """Keyword and example matching for one organization's active themes."""

    def __init__(self, themes: Sequence[ThemeSpec], examples: Sequence[Example] = ()) -> None:
        self.theme_ids = [t.id for t in themes]
        self._keywords: dict[str, dict[str, _Keywords]] = {}
        self._examples: dict[str, _Examples] = {}
        self._build_keywords(themes)
        self._build_examples(themes, examples)

    # --- building ---------------------------------------------------------------------------

    def _build_keywords(self, themes: Sequence[ThemeSpec]) -> None:
        entries: list[tuple[str, str, str]] = []  # theme id, language, keyword
        for theme in themes:
            for language, words in (theme.keywords or {}).items():
                for word in words or []:
                    word = str(word).strip()
                    if word:
                        entries.append((theme.id, language, word))
        token_lists = tokenize_many(
            [w for _t, _l, w in entries], [lang for _t, lang, _w in entries]
        )
        latin: dict[str, dict[str, list[str]]] = {}
        for (theme_id, language, word), tokens in zip(entries, token_lists, strict=True):
            spec = self._keywords.setdefault(language, {}).setdefault(theme_id, _Keywords())
            if _sequence_usable(word, tokens, language):
                spec.sequences[tuple(tokens)] = word
            if (language == "ko" and len(compact(word)) >= 2) or (
                language == "th" and compact(word)
            ):
                spec.substrings[compact(word)] = word
            elif language not in {"ko", "th"}:
                latin.setdefault(language, {}).setdefault(theme_id, []).append(normalize(word))
        for language, by_theme in latin.items():
            for theme_id, phrases in by_theme.items():
                alternatives = "|".join(
                    re.escape(p) for p in sorted(set(phrases), key=len, reverse=True)
                )
                self._keywords[language][theme_id].pattern = re.compile(
                    rf"(?<!\w)(?:{alternatives})(?!\w)"
                )

    def _build_examples(self, themes: Sequence[ThemeSpec], extra: Sequence[Example]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        rows: dict[str, list[tuple[str, str, bool]]] = {}
        keywords: dict[str, list[tuple[str, str]]] = {}
        for theme in themes:
            for language, texts in (theme.examples or {}).items():
                for text in texts or []:
                    if str(text).strip():
                        rows.setdefault(language, []).append((theme.id, str(text), True))
            for language, listed in (theme.keywords or {}).items():
                for word in listed or []:
                    if str(word).strip():
                        keywords.setdefault(language, []).append((theme.id, str(word)))
        known = set(self.theme_ids)
        for example in extra:
            if example.theme_id in known and example.text.strip():
                rows.setdefault(example.language, []).append(
                    (example.theme_id, example.text, example.positive)
                )
        for language, items in rows.items():
            pairs = keywords.get(language, [])
            vectorizer = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, preprocessor=normalize
            )
            vectorizer.fit(
                [text for _t, text, _p in items]
                + [w for _t, w in pairs]
                + list(BACKGROUND.get(language, ()))
            )
            matrix = vectorizer.transform([text for _t, text, _p in items])
            groups: dict[tuple[str, bool], list[int]] = {}
            for row, (theme_id, _text, positive) in enumerate(items):
                groups.setdefault((theme_id, positive), []).append(row)
            self._examples[language] = _Examples(
                vectorizer=vectorizer,
                matrix=matrix,
                groups=groups,
                classifiers=_classifiers(language, vectorizer, items, pairs),
            )

    # --- matching ---------------------------------------------------------------------------

    def _keyword_hits(
        self, text: str, tokens: Sequence[str], language: str
    ) -> dict[str, list[str]]:
        hits: dict[str, list[str]] = {}
        languages = [language] if language == "en" else [language, "en"]
        grams = _ngrams(tokens)
        normalized = normalize(text)
        packed = compact(text)
        starts: set[int] | None = None
        for lang in languages:
            for theme_id, spec in self._keywords.get(lang, {}).items():
                found: list[str] = [word for seq, word in spec.sequences.items() if seq in grams]
                if spec.pattern is not None and lang in (language, "en"):
                    found.extend(m.group(0) for m in spec.pattern.finditer(normalized))
                if spec.substrings and lang == language:
                    for sub, word in spec.substrings.items():
                        at = packed.find(sub)
                        if at < 0:
                            continue
                        if lang == "th":
                            if starts is None:
                                starts = _token_starts(tokens, packed)
                            if not any(packed.startswith(sub, s) for s in starts):
                                continue
                        found.append(word)
                if found:
                    hits.setdefault(theme_id, []).extend(found)
        return {k: sorted(set(v), key=v.index) for k, v in hits.items()}

    def assign(
        self, texts: Sequence[str], languages: Sequence[str], tokens: Sequence[Sequence[str]]
    ) -> list[list[ThemeHit]]:
        """The themes of each text, most confident first."""
        results: list[list[ThemeHit]] = []
        similar = self._similarities(texts, languages)
        for i, (text, language, toks) in enumerate(zip(texts, languages, tokens, strict=True)):
            keyword = self._keyword_hits(text, toks, language)
            positive, negative, learned = similar[i]
            chosen: dict[str, ThemeHit] = {}
            for theme_id, words in keyword.items():
                confidence = min(0.95, KEYWORD_CONFIDENCE + 0.08 * (len(words) - 1))
                chosen[theme_id] = ThemeHit(
                    theme_id, max(confidence, positive.get(theme_id, 0.0)), tuple(words[:10])
                )
            without_keyword: dict[str, float] = {}
            for theme_id, score in positive.items():
                if score >= SIMILARITY_THRESHOLD:
                    without_keyword[theme_id] = score
            for theme_id, score in learned.items():
                without_keyword[theme_id] = max(score, without_keyword.get(theme_id, 0.0))
            by_similarity = sorted(
                ((score, theme_id) for theme_id, score in without_keyword.items()
                 if theme_id not in chosen),
                reverse=True,
            )[:MAX_SIMILAR]  # fmt: skip
            for score, theme_id in by_similarity:
                chosen[theme_id] = ThemeHit(theme_id, round(score, 4))
            for theme_id, score in negative.items():
                if score >= NEGATIVE_BLOCK and score >= positive.get(theme_id, 0.0):
                    chosen.pop(theme_id, None)
            results.append(sorted(chosen.values(), key=lambda h: -h.confidence))
        return results

    def _similarities(
        self, texts: Sequence[str], languages: Sequence[str]
    ) -> list[tuple[dict[str, float], dict[str, float], dict[str, float]]]:
        """Per text: the best similarity to each theme's positive and negative examples, and
        the classifiers' probabilities above the threshold."""
        out: list[tuple[dict[str, float], dict[str, float], dict[str, float]]] = [
            ({}, {}, {}) for _ in texts
        ]
        by_language: dict[str, list[int]] = {}
        for i, language in enumerate(languages):
            if language in self._examples:
                by_language.setdefault(language, []).append(i)
        for language, indexes in by_language.items():
            examples = self._examples[language]
            vectors = examples.vectorizer.transform([texts[i] for i in indexes])
            scores = (vectors @ examples.matrix.T).toarray()
            for theme_id, model in examples.classifiers.items():
                chance = model.predict_proba(vectors)[:, 1]
                for row, i in enumerate(indexes):
                    if chance[row] >= CLASSIFIER_THRESHOLD:
                        out[i][2][theme_id] = float(chance[row])
            for (theme_id, is_positive), columns in examples.groups.items():
                best = scores[:, columns].max(axis=1)
                for row, i in enumerate(indexes):
                    if best[row] > 0:
                        out[i][0 if is_positive else 1][theme_id] = float(best[row])
        return out
