"""The demo's campaigns: a sent quarterly NPS with a mix of statuses, a scheduled campaign and a
monthly relationship survey; the emails are in the demo Mailbox; seeding twice adds nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.urls import reverse

from closeloop.accounts.models import Organization, User
from closeloop.demo.campaigns import RECURRING_NAME, SCHEDULED_NAME, SENT_NAME
from closeloop.demo.seed import OWNER_EMAIL, seed_demo
from closeloop.distribution.models import Campaign, EmailTemplate, Invitation
from closeloop.integrations.models import MailboxMessage

pytestmark = pytest.mark.django_db


def test_demo_campaigns(settings: Any, client: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "closeloop.integrations.mailbox.MailboxBackend"}}
    seed_demo()
    seed_demo()
    org = Organization.objects.get(slug="demo")

    campaigns = {c.name: c for c in Campaign.objects.filter(organization=org)}
    assert campaigns[SENT_NAME].status == "sent"
    assert campaigns[SCHEDULED_NAME].status == "scheduled"
    recurring = campaigns[RECURRING_NAME]
    assert recurring.status == "scheduled" and recurring.recurrence_unit == "months"
    assert Campaign.objects.filter(organization=org, name=SENT_NAME).count() == 1

    statuses = Counter(
        Invitation.objects.filter(campaign=campaigns[SENT_NAME]).values_list("status", flat=True)
    )
    assert {"sent", "opened", "completed", "suppressed"} <= set(statuses)
    reasons = set(
        Invitation.objects.filter(campaign=campaigns[SENT_NAME], status="suppressed").values_list(
            "suppressed_reason", flat=True
        )
    )
    assert {"min_days_between", "unsubscribed"} <= reasons
    template = EmailTemplate.objects.get(organization=org, name="Default invitation")
    assert set(template.texts) >= {"en", "ko", "th"}

    ids = {
        str(pk)
        for pk in Invitation.objects.filter(campaign=campaigns[SENT_NAME]).values_list(
            "pk", flat=True
        )
    }
    mail = [
        m
        for m in MailboxMessage.objects.filter(organization=org)
        if m.headers.get("X-Closeloop-Invitation") in ids
    ]
    assert len(mail) == statuses.total() - statuses["suppressed"]
    assert all("List-Unsubscribe" in m.headers and m.html_body for m in mail)
    client.force_login(User.objects.get(email=OWNER_EMAIL))
    page = client.get(reverse("campaigns:detail", args=[org.slug, campaigns[SENT_NAME].pk]))
    assert page.status_code == 200 and "Quarterly NPS" in page.content.decode()
