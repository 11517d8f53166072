"""The enrichment engine: language, tokens, sentiment and themes for a batch of texts.

Pure and database-free (the services feed it an organization's models and theme matcher), so
the speed benchmark and the quality benchmark measure exactly what the worker runs. Heavy
parts load once per process on first use: lingua, kiwipiepy, pythainlp, and the seed-trained
sentiment models (from the disk cache after the first process trained them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from closeloop.text import language as lang_detect
from closeloop.text import sentiment as sentiment_mod
from closeloop.text.engine_version import ENGINE_VERSION
from closeloop.text.themes import ThemeHit, ThemeMatcher
from closeloop.text.tokens import tokenize_many
from closeloop.text.tokens import warm_up as warm_up_tokens

ModelFor = Callable[[str], Any]


@dataclass(frozen=True)
class Enrichment:
    """What the engine found in one text."""

    language: str
    script: str
    tokens: list[str]
    sentiment: str
    sentiment_score: float | None
    themes: list[ThemeHit] = field(default_factory=list)


def engine_stamp() -> str:
    """The engine's code version and its bundled seed corpus: a change means re-enrichment."""
    raw = f"{ENGINE_VERSION}|{sentiment_mod.seed_digest()}"
    return f"{ENGINE_VERSION}-{hashlib.sha256(raw.encode()).hexdigest()[:10]}"


def enrich(
    texts: Sequence[str],
    hints: Sequence[str],
    *,
    model_for: ModelFor | None = None,
    matcher: ThemeMatcher | None = None,
    languages: Sequence[str | None] | None = None,
) -> list[Enrichment]:
    """Enrich texts; `hints` are the respondents' languages (fallback for short texts),
    `languages` fixes a text's language when the importer knows it, `model_for` gives the
    sentiment model of a language (the starting models by default)."""
    model_for = model_for or sentiment_mod.starting_model
    detected = []
    for i, (text, hint) in enumerate(zip(texts, hints, strict=True)):
        found = lang_detect.detect(text, hint)
        fixed = languages[i] if languages is not None else None
        detected.append(lang_detect.Detected(fixed, found.script) if fixed else found)
    codes = [d.language for d in detected]
    token_lists = tokenize_many(texts, codes)
    labels: list[sentiment_mod.SentimentResult | None] = [None] * len(texts)
    by_language: dict[str, list[int]] = {}
    for i, (text, tokens) in enumerate(zip(texts, token_lists, strict=True)):
        if text.strip() and (tokens or any(ch.isalnum() for ch in text)):
            by_language.setdefault(codes[i], []).append(i)
    for code, indexes in by_language.items():
        model = model_for(code)
        results = sentiment_mod.predict(
            model, [texts[i] for i in indexes], [token_lists[i] for i in indexes], code
        )
        for i, result in zip(indexes, results, strict=True):
            labels[i] = result
    hits = matcher.assign(texts, codes, token_lists) if matcher is not None else None
    out: list[Enrichment] = []
    for i, found in enumerate(detected):
        label = labels[i]
        out.append(
            Enrichment(
                language=found.language,
                script=found.script,
                tokens=token_lists[i],
                sentiment=label.label if label else "neutral",
                sentiment_score=label.score if label else 0.0,
                themes=hits[i] if hits is not None else [],
            )
        )
    return out


def warm_up() -> None:
    """Load everything the first comment would otherwise wait for."""
    lang_detect.warm_up()
    warm_up_tokens()
    for code in (*sentiment_mod.SEED_LANGUAGES, "*"):
        sentiment_mod.starting_model(code)
