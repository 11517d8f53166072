"""The demo's initiatives: six per org across every status, in the org's languages, linked to
real themes, root causes and cases; exactly one shipped (45 days ago, I-1, NPS of the main
survey), one measured, one dropped; seeding twice adds nothing; the pages show them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from closeloop.accounts.models import Organization, User
from closeloop.demo.seed import OWNER_EMAIL, seed_demo
from closeloop.initiatives.demo_initiatives import seed_demo_initiatives
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.selectors import main_nps_survey

pytestmark = pytest.mark.django_db


def test_demo_initiatives(settings: Any, client: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "closeloop.integrations.mailbox.MailboxBackend"}}
    seed_demo()
    seed_demo_initiatives()  # whether or not the lead has wired it into SEED_STEPS yet
    count = Initiative.objects.count()
    seed_demo_initiatives()
    assert Initiative.objects.count() == count
    for slug, script in (("demo", "배송"), ("demo-bkk", "แอป")):
        org = Organization.objects.get(slug=slug)
        initiatives = Initiative.objects.filter(organization=org)
        assert 5 <= initiatives.count() <= 7
        statuses = Counter(initiatives.values_list("status", flat=True))
        assert statuses["shipped"] == 1 and statuses["measured"] == 1 and statuses["dropped"] == 1
        assert {"proposed", "planned", "in_progress"} <= set(statuses)
        assert len(set(initiatives.values_list("owner_team", flat=True))) >= 3
        assert any(script in i.title for i in initiatives)
        shipped = initiatives.get(status="shipped")
        assert shipped.number == 1 and shipped.target_metric == "nps"
        assert shipped.target_survey is not None and shipped.target_survey == main_nps_survey(org)
        assert shipped.shipped_at is not None
        days = (timezone.now() - shipped.shipped_at) / dt.timedelta(days=1)
        assert 44.9 < days < 45.1
        assert shipped.themes.exists() and shipped.root_causes.exists()
        assert initiatives.get(status="dropped").dropped_reason
        measured = initiatives.get(status="measured")
        assert measured.measured_at is not None and measured.impact  # frozen figures
        for initiative in initiatives:
            assert initiative.themes.count() == 1
    seoul = Organization.objects.get(slug="demo")
    assert Initiative.objects.filter(organization=seoul, cases__isnull=False).exists()

    client.force_login(User.objects.get(email=OWNER_EMAIL))
    for name in ("initiatives:list", "initiatives:board"):
        page = client.get(reverse(name, args=[seoul.slug]) + "?team=all")
        assert page.status_code == 200 and "배송 2일 보장" in page.content.decode()
    shipped = Initiative.objects.get(organization=seoul, status="shipped")
    assert (
        client.get(reverse("initiatives:detail", args=[seoul.slug, shipped.pk])).status_code == 200
    )
