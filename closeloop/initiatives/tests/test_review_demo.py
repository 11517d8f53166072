"""The review's demo step: advocacy teams flagged, meetings set, past decisions in the
organizations' languages about their own themes, linked to initiatives; idempotent."""

from __future__ import annotations

import re

import pytest

from closeloop.accounts.models import Organization, Team
from closeloop.accounts.services import organization_create
from closeloop.accounts.tests.factories import UserFactory
from closeloop.initiatives.demo_review import seed_demo_review
from closeloop.initiatives.models import Decision, Initiative, OuterLoopSettings
from closeloop.initiatives.tests.review_factories import ago, comment, theme

pytestmark = pytest.mark.django_db

HANGUL = re.compile(r"[\uac00-\ud7a3]")
THAI = re.compile(r"[\u0e00-\u0e7f]")


def _org(slug: str, name: str, zone: str, language: str) -> Organization:
    org = organization_create(
        name=name, owner=UserFactory(), time_zone=zone, default_language=language
    )
    Organization.objects.filter(pk=org.pk).update(slug=slug)
    org.refresh_from_db()
    return org


def test_seed_demo_review() -> None:
    seoul = _org("demo", "Seoul Bean Roasters", "Asia/Seoul", "en")
    bangkok = _org("demo-bkk", "Bangkok Noodle Bar", "Asia/Bangkok", "th")
    for n in range(8):
        comment(seoul, "delivery", f"Late again {n}", score=2, at=ago(n + 1))
        comment(seoul, "product_quality", f"Stale beans {n}", score=4, at=ago(n + 2))
        comment(bangkok, "delivery", f"ส่งช้า {n}", score=3, at=ago(n + 1), language="th")
    courier = Initiative.objects.create(organization=seoul, number=1, title="Courier")
    courier.themes.add(theme(seoul, "delivery"))

    seed_demo_review()
    seed_demo_review()  # twice: nothing doubles

    for org in (seoul, bangkok):
        assert Team.objects.get(organization=org, slug="customer-experience").is_advocacy_team
        assert 4 <= Decision.objects.filter(organization=org).count() <= 6
        assert OuterLoopSettings.objects.get(organization=org).digest_enabled
    seoul_texts = list(Decision.objects.filter(organization=seoul).values_list("text", flat=True))
    assert any(HANGUL.search(t) for t in seoul_texts)
    assert any(not HANGUL.search(t) for t in seoul_texts)  # English too
    bangkok_texts = Decision.objects.filter(organization=bangkok).values_list("text", flat=True)
    assert all(THAI.search(t) for t in bangkok_texts)
    linked = Decision.objects.get(organization=seoul, theme=theme(seoul, "delivery"))
    assert linked.initiative == courier and linked.kind == "initiative"
    themed = Decision.objects.filter(organization=seoul, theme__isnull=False)
    assert {d.theme.key for d in themed if d.theme} >= {"delivery", "product_quality"}
    assert OuterLoopSettings.objects.get(organization=bangkok).meeting_weekday == 2
