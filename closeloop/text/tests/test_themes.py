"""Themes: keywords and phrases assign comments in each language; people correct a comment's
themes and sentiment, the corrections stay and change later assignments."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.text.choices import CorrectionKind
from closeloop.text.enrichment import comments_enrich, reenrich_run
from closeloop.text.models import Comment, Correction, Theme
from closeloop.text.services import (
    comment_create,
    comment_set_sentiment,
    comment_set_themes,
    theme_create,
)
from closeloop.text.tests.factories import theme, theme_keys
from conftest import Personas

pytestmark = pytest.mark.django_db


def _comment(org: Any, text: str, **kwargs: Any) -> Comment:
    comment = comment_create(organization=org, text=text, **kwargs)
    comments_enrich(comment_ids=[comment.pk])
    comment.refresh_from_db()
    return comment


def test_every_new_organization_has_the_default_themes(personas: Personas) -> None:
    keys = {t.key for t in Theme.objects.filter(organization=personas.org)}
    assert keys == {
        "delivery", "price_value", "customer_support", "product_quality", "ease_of_use",
        "billing", "staff", "feature_request",
    }  # fmt: skip
    delivery = theme(personas.org, "delivery")
    assert delivery.name_in("ko") == "배송" and delivery.name_in("th") == "การจัดส่ง"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The courier left my parcel at the wrong address", {"delivery"}),
        ("Way too expensive for what you get", {"price_value"}),
        ("I was charged twice, please refund me", {"billing"}),
        ("배송이 너무 늦게 도착했어요", {"delivery"}),
        ("상담원 연결이 너무 오래 걸려요", {"customer_support"}),
        ("ราคาแพงเกินไปไม่คุ้มเลย", {"price_value"}),
        ("พนักงานสุภาพมาก บริการดี", {"staff"}),
        ("love this place!!", set()),
    ],
)
def test_keywords_and_phrases_assign_themes(
    personas: Personas, text: str, expected: set[str]
) -> None:
    comment = _comment(personas.org, text)
    assert expected <= theme_keys(comment)
    if not expected:
        assert theme_keys(comment) == set()
    for link in comment.theme_links.all():
        assert link.source == "model" and 0 < link.confidence <= 1


def test_a_theme_correction_wins_and_teaches_later_comments(personas: Personas) -> None:
    org = personas.org
    first = _comment(org, "The oat milk ran out again this morning")
    assert "product_quality" not in theme_keys(first)

    comment_set_themes(
        comment=first, themes=[theme(org, "product_quality")], actor=personas.analyst
    )
    assert theme_keys(first) == {"product_quality"}
    correction = Correction.objects.get(comment=first)
    assert correction.kind == CorrectionKind.THEME_ADDED and correction.actor == personas.analyst

    # A later comment much like the corrected one lands in the same theme.
    later = _comment(org, "Oat milk ran out again this morning!!")
    assert "product_quality" in theme_keys(later)
    link = later.theme_links.get(theme__key="product_quality")
    assert link.source == "model" and link.matched == []

    # Enriching the corrected comment again keeps the person's theme.
    comments_enrich(comment_ids=[first.pk])
    assert theme_keys(first) == {"product_quality"}
    assert first.theme_links.get().source == "correction"


def test_a_removed_theme_stays_removed_and_keeps_away_from_the_same_comment(
    personas: Personas,
) -> None:
    org = personas.org
    comment = _comment(org, "The staff at the counter were rude about my refund")
    assert {"staff", "billing"} <= theme_keys(comment)

    comment_set_themes(comment=comment, themes=[theme(org, "staff")], actor=personas.admin)
    comments_enrich(comment_ids=[comment.pk])
    assert theme_keys(comment) == {"staff"}

    twin = _comment(org, "The staff at the counter were rude about my refund!")
    assert "billing" not in theme_keys(twin)
    assert "staff" in theme_keys(twin)


def test_a_sentiment_correction_stays_and_decides_the_same_text_later(
    personas: Personas,
) -> None:
    org = personas.org
    comment = _comment(org, "Great. Just great.")
    comment_set_sentiment(comment=comment, sentiment="negative", actor=personas.analyst)
    comments_enrich(comment_ids=[comment.pk])
    comment.refresh_from_db()
    assert (comment.sentiment, comment.sentiment_source, comment.sentiment_score) == (
        "negative", "correction", -1.0,
    )  # fmt: skip
    again = _comment(org, "great. just great.")
    assert again.sentiment == "negative" and again.sentiment_source == "model"


def test_a_new_theme_reassigns_earlier_comments_after_the_version_bump(
    personas: Personas,
) -> None:
    org = personas.org
    comment = _comment(org, "Finding parking near the shop is impossible on weekends")
    assert theme_keys(comment) == set()
    theme_create(
        organization=org, names={"en": "Parking", "ko": "주차"},
        keywords={"en": ["parking", "car park"], "ko": ["주차"]}, actor=personas.admin,
    )  # fmt: skip
    done = reenrich_run(organization=org)
    assert done >= 1
    comment.refresh_from_db()
    assert theme_keys(comment) == {"parking"}
    assert comment.model_version == 2
