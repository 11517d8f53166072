"""Sending an announcement: one personal email per recipient through the outbox, in their
language; skips with a reason; never twice; the pixel and the delivery hook."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from closeloop.contacts.services import contact_unsubscribe
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.worker import run_ready_tasks
from closeloop.initiatives import announcements as svc
from closeloop.initiatives.models import AnnouncementRecipient, OuterLoopSettings
from closeloop.initiatives.tests.announce_factories import make_initiative, make_theme, person, say
from closeloop.integrations.models import Delivery, DeliveryStatus, MailboxMessage
from closeloop.integrations.outbox import deliveries_flush
from conftest import Personas

PIXEL = re.compile(r"/t/a/([^\"/]+)\.gif")
pytestmark = pytest.mark.django_db(transaction=True)


def mail(to: str) -> list[MailboxMessage]:
    return [m for m in MailboxMessage.objects.order_by("created_at") if m.to == [to]]


@pytest.fixture(autouse=True)
def _mailbox(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "closeloop.integrations.mailbox.MailboxBackend"}}


def _setup(personas: Personas) -> Any:
    org = personas.org
    initiative = make_initiative(org)
    theme = make_theme(org)
    initiative.themes.add(theme)
    hana = person(org, "hana@example.kr", "하나", "ko")
    tom = person(org, "tom@example.com", "Tom", "en")
    gone = person(org, "gone@example.com", "Gone", "en")
    erased = person(org, "erased@example.com", "Erased", "en")
    say(org, hana, theme, "원두가 너무 오래됐어요")
    say(org, tom, theme, "The beans were stale.")
    say(org, gone, theme, "Stale again")
    say(org, erased, theme, "Please fix")
    contact_unsubscribe(contact=gone, via="link")
    erased.erased_at = timezone.now()
    erased.email = None
    erased.save()
    return initiative, hana, tom, gone, erased


def test_send_emails_each_in_their_language_and_skips_with_reasons(personas: Personas) -> None:
    initiative, hana, tom, gone, erased = _setup(personas)
    announcement = svc.announcement_create(
        initiative=initiative,
        actor=personas.owner,
        texts={
            "ko": {
                "subject": "{{ first_name }}님, 원두가 신선해졌어요",
                "body": svc.DEFAULT_TEXTS["ko"]["body"],
            }
        },
        what_changed={
            "ko": "이제 로스팅 후 24시간 안에 보내 드립니다.",
            "en": "Beans now ship within a day.",
        },
    )
    assert set(announcement.texts) == {"en", "ko"}
    svc.announcement_send(announcement=announcement, actor=personas.owner)
    announcement.refresh_from_db()
    assert announcement.status == "sending" and announcement.total == 4
    run_ready_tasks()
    announcement.refresh_from_db()
    assert announcement.status == "sent" and announcement.processed == 4

    rows = {
        r.contact_id: r for r in AnnouncementRecipient.objects.filter(announcement=announcement)
    }
    assert rows[hana.pk].status == "sent" and rows[tom.pk].status == "sent"
    assert rows[gone.pk].status == "skipped" and rows[gone.pk].skip_reason == "unsubscribed"
    assert rows[erased.pk].status == "skipped" and rows[erased.pk].skip_reason == "erased"
    [ko] = mail("hana@example.kr")
    assert ko.subject == "하나님, 원두가 신선해졌어요"
    assert "원두가 너무 오래됐어요" in ko.text_body and "24시간" in ko.text_body
    assert ko.headers["List-Unsubscribe"].startswith("<http")
    assert "Seoul" not in ko.from_email and "Acme Coffee" in ko.from_email
    [en] = mail("tom@example.com")
    assert en.subject == svc.DEFAULT_TEXTS["en"]["subject"]
    assert "Hi Tom," in en.text_body and "The beans were stale." in en.text_body
    assert "Beans now ship within a day." in en.text_body
    assert PIXEL.search(en.html_body)
    assert not mail("gone@example.com")
    delivery = Delivery.objects.get(target="tom@example.com")
    assert delivery.related_type == "announcement" and delivery.related_id == str(rows[tom.pk].pk)
    counts = svc.announcement_counts(announcement)
    assert (counts.total, counts.sent, counts.skipped, counts.percent) == (4, 2, 2, 100)


def test_send_twice_or_rerun_never_sends_twice(personas: Personas) -> None:
    initiative, *_ = _setup(personas)
    announcement = svc.announcement_create(initiative=initiative)
    svc.announcement_send(announcement=announcement)
    with pytest.raises(ConflictError):
        svc.announcement_send(announcement=announcement)
    run_ready_tasks()
    # The task run again (a worker retry) and a flush: nothing new.
    from closeloop.initiatives.models import Announcement

    Announcement.objects.filter(pk=announcement.pk).update(status="sending")
    svc.announcement_deliver_batches(announcement_id=announcement.pk)
    deliveries_flush()
    assert len(mail("tom@example.com")) == 1
    assert Delivery.objects.filter(related_type="announcement").count() == 2


def test_only_shipped_or_measured_initiatives_are_announced(personas: Personas) -> None:
    initiative = make_initiative(personas.org, status="in_progress")
    announcement = svc.announcement_create(initiative=initiative)
    with pytest.raises(DomainError) as caught:
        svc.announcement_send(announcement=announcement)
    assert caught.value.field == "initiative"
    announcement.refresh_from_db()
    assert announcement.status == "draft"


def test_frequency_rules_count_only_other_announcements(personas: Personas) -> None:
    org = personas.org
    OuterLoopSettings.objects.create(
        organization=org, announcement_min_days_between=14, announcement_max_per_month=2
    )
    theme = make_theme(org)
    tom = person(org, "tom@example.com", "Tom", "en")
    say(org, tom, theme, "Stale beans")
    first = make_initiative(org, title="First")
    first.themes.add(theme)
    a1 = svc.announcement_create(initiative=first)
    svc.announcement_send(announcement=a1)
    run_ready_tasks()
    second = make_initiative(org, title="Second")
    second.themes.add(theme)
    planned = svc.recipients_planned(initiative=second)
    assert planned[0].skip == "too_soon" and "14 days" in planned[0].skip_text
    a2 = svc.announcement_create(initiative=second)
    svc.announcement_send(announcement=a2)
    run_ready_tasks()
    row = AnnouncementRecipient.objects.get(announcement=a2)
    assert row.status == "skipped" and row.skip_reason == "too_soon"
    # Past the gap, the monthly limit still holds: two in 30 days.
    AnnouncementRecipient.objects.filter(announcement=a1).update(
        sent_at=timezone.now() - timedelta(days=20)
    )
    third = make_initiative(org, title="Third")
    third.themes.add(theme)
    OuterLoopSettings.objects.filter(organization=org).update(announcement_max_per_month=1)
    assert svc.recipients_planned(initiative=third)[0].skip == "monthly_limit"
    OuterLoopSettings.objects.filter(organization=org).update(announcement_max_per_month=0)
    assert svc.recipients_planned(initiative=third)[0].skip is None


def test_consent_rechecked_when_the_outbox_sends(personas: Personas, settings: Any) -> None:
    initiative, hana, tom, *_ = _setup(personas)
    announcement = svc.announcement_create(initiative=initiative)
    svc.announcement_send(announcement=announcement)
    # Queue the emails but let tom unsubscribe before the outbox sends them.
    svc.announcement_deliver_batches(announcement_id=announcement.pk)
    contact_unsubscribe(contact=tom, via="link")
    deliveries_flush()
    row = AnnouncementRecipient.objects.get(announcement=announcement, contact=tom)
    assert row.status == "skipped" and row.sent_at is None
    assert "Unsubscribed" in svc.skip_reason_text(row.skip_reason)
    assert not mail("tom@example.com")
    assert (
        AnnouncementRecipient.objects.get(announcement=announcement, contact=hana).status == "sent"
    )


def test_failed_delivery_marks_the_recipient_failed(personas: Personas) -> None:
    initiative, hana, *_ = _setup(personas)
    announcement = svc.announcement_create(initiative=initiative)
    svc.announcement_send(announcement=announcement)
    svc.announcement_deliver_batches(announcement_id=announcement.pk)
    delivery = Delivery.objects.get(target="hana@example.kr")
    from closeloop.initiatives.announcements_sending import _announcement_delivered

    delivery.status = DeliveryStatus.FAILED
    delivery.last_error = "refused (550)"
    _announcement_delivered(delivery)
    row = AnnouncementRecipient.objects.get(announcement=announcement, contact=hana)
    assert row.status == "failed" and "550" in row.skip_reason


def test_pixel_records_the_open_once(personas: Personas, client: Any) -> None:
    initiative, _hana, tom, *_ = _setup(personas)
    announcement = svc.announcement_create(initiative=initiative)
    svc.announcement_send(announcement=announcement)
    run_ready_tasks()
    message = mail("tom@example.com")[0]
    match = PIXEL.search(message.html_body)
    assert match is not None
    response = client.get(f"/t/a/{match.group(1)}.gif")
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    row = AnnouncementRecipient.objects.get(announcement=announcement, contact=tom)
    assert row.status == "opened" and row.opened_at is not None
    first_open = row.opened_at
    client.get(f"/t/a/{match.group(1)}.gif")
    row.refresh_from_db()
    assert row.opened_at == first_open
    assert client.get("/t/a/not-a-token.gif").status_code == 200
    assert svc.announcement_counts(announcement).opened == 1


def test_email_only_idea_voter_becomes_a_contact_and_is_told(personas: Personas) -> None:
    from closeloop.initiatives.models import Idea, IdeaVote, PortalVisitor

    org = personas.org
    initiative = make_initiative(org)
    voter = PortalVisitor.objects.create(
        organization=org, email="vee@example.com", name="Vee Tan", language="th",
        verified_at=timezone.now(),
    )  # fmt: skip
    idea = Idea.objects.create(organization=org, number=1, title="ถั่วสดกว่านี้", initiative=initiative)
    IdeaVote.objects.create(idea=idea, visitor=voter)
    announcement = svc.announcement_create(initiative=initiative)
    assert "th" in announcement.texts
    svc.announcement_send(announcement=announcement)
    run_ready_tasks()
    voter.refresh_from_db()
    assert voter.contact is not None and voter.contact.first_name == "Vee"
    [message] = mail("vee@example.com")
    assert message.subject == svc.DEFAULT_TEXTS["th"]["subject"]
    assert "สวัสดีคุณVee" in message.text_body and "ถั่วสดกว่านี้" in message.text_body


def test_bad_placeholders_name_the_field(personas: Personas) -> None:
    initiative = make_initiative(personas.org)
    with pytest.raises(DomainError) as caught:
        svc.announcement_create(
            initiative=initiative, texts={"ko": {"subject": "안녕", "body": "{{ contact.email }}"}}
        )
    assert caught.value.field == "texts.ko.body"
    with pytest.raises(DomainError) as caught:
        svc.announcement_create(
            initiative=initiative, texts={"en": {"subject": "Hi", "body": "{% load x %}"}}
        )
    assert caught.value.field == "texts.en.body"
    with pytest.raises(DomainError) as caught:
        svc.announcement_create(initiative=initiative, texts={"fr": {"subject": "a", "body": "b"}})
    assert caught.value.field == "texts.fr"


def test_cli_status(personas: Personas, capsys: Any) -> None:
    from closeloop import cli

    initiative, *_ = _setup(personas)
    announcement = svc.announcement_create(initiative=initiative)
    svc.announcement_send(announcement=announcement)
    run_ready_tasks()
    assert cli.main(["announcements", "status", str(announcement.pk)]) == 0
    out = capsys.readouterr().out
    assert f"I-{initiative.number}" in out and "sent: 4/4" in out
    assert "delivered 2" in out and "not sent 2" in out
    assert cli.main(["announcements", "status", "nope"]) == 1
