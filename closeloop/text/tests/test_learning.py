"""An organization's own sentiment model: learnt from its scored comments (imported here as a
CSV, as a business would), kept only when it beats the model in use on held-out comments."""

from __future__ import annotations

import csv
import io
import random

import pytest

from closeloop.text.enrichment import comments_enrich
from closeloop.text.importing import comment_import
from closeloop.text.learning import MIN_SCORED, sentiment_model_train
from closeloop.text.models import Comment, SentimentModel, TextModelVersion
from closeloop.text.services import comment_create
from closeloop.text.upkeep import text_upkeep
from conftest import Personas

pytestmark = pytest.mark.django_db

THINGS = [
    "locker", "treadmill", "spin class", "rowing machine", "sauna", "shower", "towel service",
    "squat rack", "yoga room", "front desk", "app booking", "pool", "juice bar", "bench",
    "kettlebell corner", "changing room", "boxing ring", "climbing wall", "studio", "cardio deck",
]  # fmt: skip


def _csv(rows: list[tuple[str, int]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "score", "language"])
    for text, score in rows:
        writer.writerow([text, score, "en"])
    return out.getvalue()


def _import_and_enrich(personas: Personas, rows: list[tuple[str, int]]) -> None:
    result = comment_import(organization=personas.org, data=_csv(rows), actor=personas.admin)
    assert not result.rejected
    comments_enrich(comment_ids=[c.pk for c in result.created])


def _slang_rows() -> list[tuple[str, int]]:
    """The members' own words: 'zorped' is broken and bad, 'flim' is great."""
    rng = random.Random(7)
    rows = []
    for i in range(240):
        thing = THINGS[i % len(THINGS)]
        kind = i % 3
        if kind == 0:
            rows.append((f"the {thing} was zorped again {i}", rng.randint(0, 4)))
        elif kind == 1:
            rows.append((f"{thing} so flim today {i}", rng.randint(9, 10)))
        else:
            rows.append((f"used the {thing} on tuesday {i}", rng.randint(7, 8)))
    return rows


def test_an_org_model_that_learns_the_orgs_words_replaces_the_starting_model(
    personas: Personas,
) -> None:
    _import_and_enrich(personas, _slang_rows())
    before = TextModelVersion.objects.get(organization=personas.org).number

    model = sentiment_model_train(organization=personas.org, language="en")

    assert model is not None and model.active
    assert model.heldout_macro_f1 > model.baseline_macro_f1
    assert model.n_org == 240 and model.heldout_size == 48
    # Replacing the model raises the version: every comment is enriched again.
    assert TextModelVersion.objects.get(organization=personas.org).number == before + 1
    fresh = comment_create(organization=personas.org, text="the sauna was zorped", language="en")
    comments_enrich(comment_ids=[fresh.pk])
    fresh.refresh_from_db()
    assert fresh.sentiment == "negative"


def test_a_candidate_that_is_no_better_is_kept_aside(personas: Personas) -> None:
    rows = [(f"Great {THINGS[i % 20]}, love it, thank you {i}", 10) for i in range(MIN_SCORED + 10)]
    _import_and_enrich(personas, rows)

    model = sentiment_model_train(organization=personas.org, language="en")

    assert model is not None and not model.active
    assert model.heldout_macro_f1 <= model.baseline_macro_f1 + 0.01
    assert not SentimentModel.objects.filter(organization=personas.org, active=True).exists()


def test_too_few_scored_comments_train_nothing_and_upkeep_skips(personas: Personas) -> None:
    _import_and_enrich(personas, _slang_rows()[:50])
    assert sentiment_model_train(organization=personas.org, language="en") is None
    report = text_upkeep(organization=personas.org, propose=False)
    assert report.trained == {}
    assert Comment.objects.filter(organization=personas.org).count() == 50


def test_the_nightly_upkeep_trains_where_due(personas: Personas) -> None:
    _import_and_enrich(personas, _slang_rows())
    report = text_upkeep(organization=personas.org, propose=False)
    assert report.trained == {"en": True}
    # Nothing new since: the next night trains nothing.
    assert text_upkeep(organization=personas.org, propose=False).trained == {}
