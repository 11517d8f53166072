"""The demo's cases: every status, replies, notes, root causes, a couple of SLA breaches and
recovered customers; seeding twice adds nothing; the pages show them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import models
from django.urls import reverse

from closeloop.accounts.models import Organization, User
from closeloop.cases.models import Case, CaseEvent, CaseReply, Holiday, ReplyTemplate
from closeloop.demo.cases import SCRIPT
from closeloop.demo.seed import OWNER_EMAIL, seed_demo

pytestmark = pytest.mark.django_db


def test_demo_cases(settings: Any, client: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "closeloop.integrations.mailbox.MailboxBackend"}}
    seed_demo()
    org = Organization.objects.get(slug="demo")
    count = Case.objects.filter(organization=org).count()
    seed_demo()
    assert Case.objects.filter(organization=org).count() == count

    # scripted cases, and the rule-opened cases the script worked (they have a reply or a note)
    worked = CaseEvent.objects.filter(case__organization=org, kind__in=["note", "reply_sent",
                                      "status_changed", "assigned"]).values("case")  # fmt: skip
    scripted = Case.objects.filter(organization=org).filter(
        models.Q(title__in=[s.title for s in SCRIPT]) | models.Q(pk__in=worked)
    )
    assert scripted.count() >= len(SCRIPT) == 25
    statuses = Counter(scripted.values_list("status", flat=True))
    assert set(statuses) == {"new", "open", "waiting_on_customer", "resolved", "closed", "reopened"}
    teams = set(scripted.values_list("team__slug", flat=True))
    assert teams == {"support", "client-success", "product"}
    assert scripted.filter(recovered=True).count() >= 2
    assert 2 <= scripted.filter(breached_first_response=True).count() <= 3
    assert CaseReply.objects.filter(case__in=scripted).count() >= 10
    assert CaseEvent.objects.filter(case__in=scripted, kind="note").count() >= 5
    assert scripted.filter(root_cause__isnull=False).count() >= 10
    oldest = scripted.order_by("created_at").first()
    assert oldest is not None and (oldest.updated_at - oldest.created_at).days >= 45
    assert Holiday.objects.filter(organization=org, date__year=2027).count() >= 10
    assert set(ReplyTemplate.objects.get(organization=org, name="Checking in").texts) == {
        "en", "ko", "th",
    }  # fmt: skip

    client.force_login(User.objects.get(email=OWNER_EMAIL))
    for name in ("cases:list", "cases:board", "cases:loop", "cases:sla", "inbox:list"):
        assert client.get(reverse(name, args=[org.slug])).status_code == 200
    detail = client.get(reverse("cases:detail", args=[org.slug, oldest.pk]))
    assert detail.status_code == 200
