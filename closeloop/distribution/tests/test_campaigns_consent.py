"""Campaign emails after they are queued: consent is checked again right before each send and
before a manual redelivery; reminders reach those who started but did not finish; a survey's
own quiet hours hold its emails; cancelling a campaign cancels (not fails) what was queued."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from closeloop.api.testing import ApiClient, make_keys
from closeloop.contacts.models import Contact
from closeloop.contacts.services import contact_erase, contact_unsubscribe
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.campaigns_services import campaign_send_now
from closeloop.distribution.choices import InvitationStatus
from closeloop.distribution.frequency import org_policy
from closeloop.distribution.models import Campaign, Invitation
from closeloop.distribution.sending import reminders_send
from closeloop.distribution.tests.campaigns_factories import (
    all_customers,
    customer,
    make_campaign,
    nps_survey,
)
from closeloop.integrations.models import Delivery, DeliveryStatus
from closeloop.integrations.outbox import deliveries_flush

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.surveys.models import Survey
    from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)
SEOUL = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(autouse=True)
def _base_url(settings: Any) -> None:
    settings.BASE_URL = "http://testserver"


def _quiet_now() -> tuple[dt.time, dt.time]:
    """Quiet hours (Seoul) from an hour ago until two hours from now."""
    local = timezone.now().astimezone(SEOUL)
    start = (local - dt.timedelta(hours=1)).time().replace(microsecond=0)
    end = (local + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    return start, end


def _org_quiet_hours(org: Organization) -> None:
    policy = org_policy(org)
    policy.quiet_hours_start, policy.quiet_hours_end = _quiet_now()
    policy.save()


def _send(org: Organization, survey: Survey, **kwargs: Any) -> Campaign:
    segment = all_customers(org, name=f"Everyone {Campaign.objects.count() + 1}")
    campaign = make_campaign(org, survey, segment=segment, **kwargs)
    campaign_send_now(campaign=campaign)
    run_ready_tasks()
    campaign.refresh_from_db()
    return campaign


def _email_to(contact: Contact) -> Delivery:
    invitation = Invitation.objects.get(contact=contact)
    return Delivery.objects.get(related_type="invitation", related_id=str(invitation.pk))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_consent_withdrawn_while_an_email_waits_cancels_it(personas: Personas) -> None:
    org = personas.org
    _org_quiet_hours(org)
    nora = customer(org, "nora@example.com", "Nora", "en")
    erin = customer(org, "erin@example.com", "Erin", "en")
    stays = customer(org, "stays@example.com", "Stays", "en")
    _send(org, nps_survey(org))
    due = _email_to(nora).next_attempt_at
    assert due is not None and mail.outbox == []

    # Consent changes land while the emails wait, before any handler could cancel them (as
    # when a worker had already claimed the rows): the send itself must notice.
    Contact.objects.filter(pk=nora.pk).update(unsubscribed_at=timezone.now())
    Contact.objects.filter(pk=erin.pk).update(erased_at=timezone.now(), email=None)

    assert deliveries_flush(now=due) == 1
    assert [m.to for m in mail.outbox] == [["stays@example.com"]]
    to_nora, to_erin = _email_to(nora), _email_to(erin)
    assert (to_nora.status, to_nora.last_error) == (
        DeliveryStatus.CANCELLED,
        "contact unsubscribed",
    )
    assert (to_erin.status, to_erin.last_error) == (DeliveryStatus.CANCELLED, "contact erased")
    assert Invitation.objects.get(contact=nora).status == InvitationStatus.UNSUBSCRIBED
    erased = Invitation.objects.get(contact=erin)
    assert erased.status == InvitationStatus.CANCELLED and "erased" in erased.error
    assert Invitation.objects.get(contact=stays).status == InvitationStatus.SENT


def test_redelivery_refuses_a_contact_who_unsubscribed_or_was_erased(personas: Personas) -> None:
    org = personas.org
    alice = customer(org, "alice@example.com", "Alice", "en")
    bob = customer(org, "bob@example.com", "Bob", "en")
    _send(org, nps_survey(org))
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    to_alice, to_bob = _email_to(alice), _email_to(bob)
    contact_unsubscribe(contact=alice, via="test")
    contact_erase(contact=bob, actor=None)
    run_ready_tasks()

    owner = personas.client_for(personas.owner)
    url = reverse("integrations_ui:redeliver", args=[org.slug, to_alice.pk])
    page = owner.post(url, follow=True)
    assert page.status_code == 200
    assert "has unsubscribed" in page.content.decode()

    api = ApiClient(make_keys(org).write)
    refused = api.post(f"/deliveries/{to_bob.pk}/redeliver")
    assert refused.status_code == 409, refused.content
    assert "erased" in refused.json()["detail"]

    run_ready_tasks()
    deliveries_flush(now=timezone.now() + dt.timedelta(minutes=5))
    assert len(mail.outbox) == 2
    to_alice.refresh_from_db()
    to_bob.refresh_from_db()
    assert (to_alice.status, to_alice.attempts) == (DeliveryStatus.SENT, 1)
    assert to_bob.attempts == 1 and to_bob.target == "[removed]"


def test_reminders_reach_those_who_started_but_did_not_finish(personas: Personas) -> None:
    org = personas.org
    started = customer(org, "started@example.com", "Sam", "en")
    customer(org, "silent@example.com", "Sid", "en")
    _send(org, nps_survey(org), reminder_after_days=3, max_reminders=2)
    (to_sam,) = [m for m in mail.outbox if m.to == ["started@example.com"]]
    html = str(to_sam.alternatives[0].content)
    nine = re.search(r'href="(http://testserver/s/[^"?]+/\?nps=9)"', html)
    assert nine is not None
    # Sam clicks 9 in the email (the survey starts) and leaves before the last page.
    assert Client().get(_path(nine.group(1)), follow=True).status_code == 200
    run_ready_tasks()
    assert Invitation.objects.get(contact=started).status == InvitationStatus.STARTED

    later = timezone.now() + dt.timedelta(days=4)
    assert reminders_send(now=later) == 2
    deliveries_flush(now=later)
    reminded = [m for m in mail.outbox if m.subject.startswith("Reminder:")]
    assert sorted(m.to[0] for m in reminded) == ["silent@example.com", "started@example.com"]
    # The maximum still holds: one more each, then none.
    assert reminders_send(now=later + dt.timedelta(days=4)) == 2
    assert reminders_send(now=later + dt.timedelta(days=8)) == 0


def test_a_surveys_own_quiet_hours_hold_its_emails(personas: Personas) -> None:
    org = personas.org  # the org has no quiet hours
    survey = nps_survey(org)
    other = nps_survey(org, name="No quiet hours")
    start, end = _quiet_now()
    api = ApiClient(make_keys(org).write)
    put = api.put(
        f"/surveys/{survey.pk}/frequency-policy",
        {
            "min_days_between": 0,
            "quiet_hours_start": start.strftime("%H:%M"),
            "quiet_hours_end": end.strftime("%H:%M"),
        },
    )
    assert put.status_code == 200, put.content
    night = customer(org, "night@example.com", "Nora", "en")
    _send(org, survey)
    assert mail.outbox == []
    held = _email_to(night)
    assert held.status == DeliveryStatus.PENDING and held.next_attempt_at is not None
    assert dt.timedelta(hours=1, minutes=55) < held.next_attempt_at - timezone.now()
    assert Invitation.objects.get(contact=night).send_after == held.next_attempt_at

    # Another survey without its own quiet hours follows the org's (none): sent at once.
    policy = org_policy(org)
    policy.min_days_between = 0
    policy.save()
    campaign = _send(org, other)
    (invitation,) = Invitation.objects.filter(campaign=campaign)
    assert invitation.status == InvitationStatus.SENT
    assert [m.to for m in mail.outbox] == [["night@example.com"]]


def test_cancelling_a_campaign_cancels_its_queued_invitations_and_reminders(
    personas: Personas,
) -> None:
    org = personas.org
    early = customer(org, "early@example.com", "Eve", "en")
    sent = _send(org, nps_survey(org), reminder_after_days=3, max_reminders=1)
    assert Invitation.objects.get(contact=early).status == InvitationStatus.SENT

    # Quiet hours begin: a reminder and a second campaign's invitations wait.
    _org_quiet_hours(org)
    policy = org_policy(org)
    policy.min_days_between = 0
    policy.save()
    assert reminders_send(now=timezone.now() + dt.timedelta(days=3, minutes=1)) == 1
    customer(org, "late@example.com", "Lee", "en")
    waiting = _send(org, nps_survey(org, name="Second"))
    queued = list(Invitation.objects.filter(campaign=waiting))
    assert {i.status for i in queued} == {InvitationStatus.QUEUED} and len(queued) == 2

    api = ApiClient(make_keys(org).write)
    for campaign in (sent, waiting):
        answer = api.post(f"/campaigns/{campaign.pk}/cancel")
        assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    for invitation in queued:
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.CANCELLED
        assert invitation.error == "The campaign was cancelled."
    assert Invitation.objects.filter(status=InvitationStatus.FAILED).count() == 0
    assert Invitation.objects.get(campaign=sent).status == InvitationStatus.SENT
    pending = Delivery.objects.exclude(status=DeliveryStatus.SENT)
    assert {(d.status, d.last_error) for d in pending} == {
        (DeliveryStatus.CANCELLED, "campaign cancelled")
    }
    assert pending.filter(related_type="invitation_reminder").count() == 1
    listed = api.get("/invitations", {"status": "cancelled"})
    assert listed.status_code == 200 and len(listed.json()["items"]) == 2
