"""The demo announcement: sent (through the mailbox, before any worker runs), some opened, one
skipped as unsubscribed; running it again changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.accounts.models import Organization
from closeloop.initiatives.demo_announcements import seed_announcement, seed_demo_announcements
from closeloop.initiatives.models import Announcement, AnnouncementRecipient
from closeloop.initiatives.tests.announce_factories import make_initiative, make_theme, person, say
from closeloop.integrations.models import MailboxMessage
from conftest import Personas


@pytest.fixture(autouse=True)
def _mailbox(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "closeloop.integrations.mailbox.MailboxBackend"}}


def test_demo_announcement(personas: Personas) -> None:
    org = personas.org
    Organization.objects.filter(pk=org.pk).update(slug="demo")
    org.refresh_from_db()
    make_initiative(org, status="planned", title="Not yet")
    initiative = make_initiative(org, title="Fresh beans")
    theme = make_theme(org)
    initiative.themes.add(theme)
    for i, lang in enumerate(["ko", "en", "ko", "en"]):
        say(org, person(org, f"c{i}@example.com", f"Name{i}", lang), theme, f"said {i}")
    person(org, "extra@example.kr", "Extra", "ko")

    announcement = seed_announcement(org)
    assert announcement is not None and announcement.status == "sent"
    assert announcement.initiative == initiative and set(announcement.texts) == {"en", "ko"}
    rows = AnnouncementRecipient.objects.filter(announcement=announcement)
    statuses = sorted(rows.values_list("status", flat=True))
    assert statuses.count("skipped") == 1 and "opened" in statuses and "sent" in statuses
    assert rows.get(status="skipped").skip_reason == "unsubscribed"
    assert rows.count() == 5  # the extra Korean customer was linked to reach five
    assert MailboxMessage.objects.count() == 4
    ko = next(m for m in MailboxMessage.objects.all() if m.to == ["c0@example.com"])
    assert ko.subject == "Name0님, 말씀하신 부분을 바꿨습니다" and "said 0" in ko.text_body

    seed_demo_announcements()
    assert Announcement.objects.filter(organization=org).count() == 1
    assert MailboxMessage.objects.count() == 4


def test_demo_announcement_of_an_organization_without_contacts(personas: Personas) -> None:
    org = personas.org
    Organization.objects.filter(pk=org.pk).update(slug="demo-bkk", default_language="th")
    org.refresh_from_db()
    make_initiative(org, title="Stop double charges in the app")

    announcement = seed_announcement(org)
    assert announcement is not None and announcement.status == "sent"
    rows = AnnouncementRecipient.objects.filter(announcement=announcement)
    assert rows.count() >= 5 and set(rows.values_list("language", flat=True)) == {"th"}
    message = MailboxMessage.objects.filter(to=["ploy.charoen@example.com"]).get()
    assert message.subject.startswith("คุณพลอย")
