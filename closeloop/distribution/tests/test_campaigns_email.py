"""An email campaign end to end, through a real SMTP server (aiosmtpd): each contact gets the
email in their language, with HTML and text parts, one-click scores and unsubscribe headers;
the score link leads to a completed invitation; reminders reach only those who did not answer;
unsubscribed contacts get nothing; quiet hours delay a send; recurring campaigns ask once a
period; a refused recipient is a bounce."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from closeloop.contacts.services import contact_unsubscribe
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.campaigns_services import campaign_send_now
from closeloop.distribution.choices import (
    CampaignStatus,
    InvitationStatus,
    RecurrenceUnit,
    SuppressionReason,
)
from closeloop.distribution.frequency import org_policy
from closeloop.distribution.models import Campaign, Invitation
from closeloop.distribution.sending import campaigns_start_due, reminders_send
from closeloop.distribution.tests.campaigns_factories import (
    SmtpServer,
    all_customers,
    bilingual_template,
    customer,
    make_campaign,
    nps_survey,
)
from closeloop.integrations.models import Delivery, DeliveryStatus
from closeloop.integrations.outbox import deliveries_flush
from closeloop.responses.testing import form_state

if TYPE_CHECKING:
    from email.message import EmailMessage

    from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    settings.MAILERS = server.mailers()
    settings.BASE_URL = "http://testserver"
    yield server
    server.stop()


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_campaign_to_a_segment_in_korean_and_english(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org
    survey = nps_survey(org)
    kim = customer(org, "kim@example.kr", "민지", "ko")
    alice = customer(org, "alice@example.com", "Alice", "en")
    gone = customer(org, "gone@example.com", "Gone", "en")
    contact_unsubscribe(contact=gone, via="test")
    segment = all_customers(org)
    template = bilingual_template(org)
    admin = personas.client_for(personas.admin)

    created = admin.post(
        reverse("campaigns:new", args=[org.slug]),
        {
            "name": "Quarterly NPS — Q4",
            "survey": survey.pk,
            "segment": segment.pk,
            "template": template.pk,
            "when": "now",
            "reminder_after_days": "3",
            "max_reminders": "1",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    campaign = Campaign.objects.get(organization=org)
    assert campaign.status == CampaignStatus.SENDING
    run_ready_tasks()

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert (campaign.total, campaign.processed) == (3, 3)
    assert sorted(str(m["To"]) for m in smtp.sink.messages) == [
        "alice@example.com",
        "kim@example.kr",
    ]

    # Kim reads Korean; Alice English. Both get HTML and text, one-click scores, unsubscribe.
    (to_kim,) = smtp.sink.to("kim@example.kr")
    assert str(to_kim["Subject"]) == "민지님, Acme Coffee은 어떠셨나요?"
    text, html = _parts(to_kim)
    assert "최근 방문에 대해 알려주세요." in text and "설문 참여하기" in html
    assert "저희를 추천하실 가능성은 얼마나 되나요?" in html
    assert str(to_kim["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://testserver/u/[^>]+/>", str(to_kim["List-Unsubscribe"]))
    assert str(to_kim["X-Closeloop-Org"]) == str(org.pk)
    score_links = re.findall(r'href="(http://testserver/s/[^"?]+/\?nps=(\d+))"', html)
    assert [int(n) for _url, n in score_links] == list(range(11))
    assert "9: http://testserver/s/" in text and "?nps=9" in text
    (to_alice,) = smtp.sink.to("alice@example.com")
    assert str(to_alice["Subject"]) == "Alice, how was Acme Coffee?"
    _alice_text, alice_html = _parts(to_alice)
    assert "How likely are you to recommend us?" in alice_html

    # The unsubscribed contact got nothing; the invitation names the rule.
    stopped = Invitation.objects.get(contact=gone)
    assert stopped.status == InvitationStatus.SUPPRESSED
    assert stopped.suppressed_reason == SuppressionReason.UNSUBSCRIBED
    kim_invitation = Invitation.objects.get(contact=kim)
    assert kim_invitation.status == InvitationStatus.SENT and kim_invitation.language == "ko"

    # Kim clicks 9 in the email, then finishes the survey in the browser.
    respondent = Client()
    nine = next(url for url, n in score_links if n == "9")
    landed = respondent.get(_path(nine), follow=True)
    assert landed.status_code == 200
    page_key, nonce = form_state(landed.content.decode())
    assert page_key == "praise"
    done = respondent.post(
        landed.redirect_chain[-1][0], {"_page": page_key, "_nonce": nonce, "q4": "coffee"}
    )
    assert done.status_code in (302, 303)
    kim_invitation.refresh_from_db()
    assert kim_invitation.status == InvitationStatus.COMPLETED
    assert kim_invitation.response is not None
    assert kim_invitation.response.answers["q1"] == 9
    assert kim_invitation.started_at is not None and kim_invitation.completed_at is not None

    # Alice's mail client loads the open pixel.
    pixel = re.search(r'src="(http://testserver/t/o/[^"]+\.gif)"', alice_html)
    assert pixel is not None
    image = Client().get(_path(pixel.group(1)))
    assert image.status_code == 200 and image["Content-Type"] == "image/gif"
    assert Invitation.objects.get(contact=alice).status == InvitationStatus.OPENED

    # Four days later only Alice, who did not answer, is reminded; only once.
    later = timezone.now() + dt.timedelta(days=4)
    assert reminders_send(now=later) == 1
    assert deliveries_flush(now=later) == 1
    reminded = smtp.sink.to("alice@example.com")
    assert len(reminded) == 2 and str(reminded[1]["Subject"]).startswith("Reminder:")
    assert len(smtp.sink.to("kim@example.kr")) == 1
    assert reminders_send(now=later + dt.timedelta(days=4)) == 0

    # Alice unsubscribes with her mail client's one-click button: the invitation follows.
    unsubscribe = str(to_alice["List-Unsubscribe"]).strip("<>")
    answer = Client().post(_path(unsubscribe), {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert Invitation.objects.get(contact=alice).status == InvitationStatus.UNSUBSCRIBED


def test_quiet_hours_delay_the_send(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org  # Asia/Seoul
    policy = org_policy(org)
    local_now = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=9)))
    # Quiet from an hour ago until two hours from now (Seoul time).
    policy.quiet_hours_start = (local_now - dt.timedelta(hours=1)).time().replace(microsecond=0)
    policy.quiet_hours_end = (
        (local_now + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    )
    policy.save()
    survey = nps_survey(org)
    customer(org, "night@example.com", "Nora", "en")
    campaign = make_campaign(org, survey, segment=all_customers(org))
    campaign_send_now(campaign=campaign)
    run_ready_tasks()

    assert smtp.sink.messages == []
    invitation = Invitation.objects.get(campaign=campaign)
    delivery = Delivery.objects.get(related_id=str(invitation.pk))
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(hours=1, minutes=55) < wait <= dt.timedelta(hours=2)
    assert invitation.send_after == delivery.next_attempt_at

    assert deliveries_flush(now=delivery.next_attempt_at) == 1
    assert [str(m["To"]) for m in smtp.sink.messages] == ["night@example.com"]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_recurring_campaign_invites_each_contact_once_per_period(
    personas: Personas, smtp: SmtpServer
) -> None:
    org = personas.org
    policy = org_policy(org)
    policy.min_days_between = 0
    policy.skip_if_completed_within_days = None
    policy.save()
    survey = nps_survey(org, name="Relationship survey")
    customer(org, "one@example.com", "One", "en")
    customer(org, "two@example.com", "Two", "ko")
    segment = all_customers(org)
    campaign = make_campaign(
        org,
        survey,
        name="Monthly relationship",
        segment=segment,
        recurrence_every=1,
        recurrence_unit=RecurrenceUnit.MONTHS,
    )
    campaign_send_now(campaign=campaign)
    run_ready_tasks()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert len(smtp.sink.messages) == 2
    first_period = Invitation.objects.filter(campaign=campaign).first()
    assert first_period is not None and re.fullmatch(r"\d{4}-\d{2}", first_period.period)
    assert campaign.next_run_at is not None and campaign.next_run_at > timezone.now()

    # Run again within the same period (as if the scheduler fired early): nobody is asked twice.
    Campaign.objects.filter(pk=campaign.pk).update(next_run_at=timezone.now())
    assert campaigns_start_due() == [str(campaign.pk)]
    run_ready_tasks()
    assert len(smtp.sink.messages) == 2
    assert Invitation.objects.filter(campaign=campaign).count() == 2

    # Another campaign of the same survey in the same period: the rule says why not.
    other = make_campaign(
        org,
        survey,
        name="Monthly relationship (copy)",
        segment=segment,
        recurrence_every=1,
        recurrence_unit=RecurrenceUnit.MONTHS,
    )
    campaign_send_now(campaign=other)
    run_ready_tasks()
    assert len(smtp.sink.messages) == 2
    reasons = set(
        Invitation.objects.filter(campaign=other).values_list("suppressed_reason", flat=True)
    )
    assert reasons == {SuppressionReason.PERIOD_ALREADY}

    # Next month: everyone is asked again, once.
    campaign.refresh_from_db()
    next_run = campaign.next_run_at
    assert next_run is not None
    started = campaigns_start_due(now=next_run + dt.timedelta(minutes=1))
    assert str(campaign.pk) in started
    Campaign.objects.filter(pk=campaign.pk).update(started_at=next_run + dt.timedelta(minutes=1))
    run_ready_tasks()
    assert len(smtp.sink.messages) == 4
    periods = set(Invitation.objects.filter(campaign=campaign).values_list("period", flat=True))
    assert len(periods) == 2


def test_refused_recipient_is_a_bounce(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org
    survey = nps_survey(org)
    customer(org, "nobody@example.com", "Nobody", "en")
    customer(org, "real@example.com", "Real", "en")
    smtp.sink.refuse.add("nobody@example.com")
    campaign = make_campaign(org, survey, segment=all_customers(org))
    campaign_send_now(campaign=campaign)
    run_ready_tasks()

    assert [str(m["To"]) for m in smtp.sink.messages] == ["real@example.com"]
    bounced = Invitation.objects.get(contact__email="nobody@example.com")
    assert bounced.status == InvitationStatus.BOUNCED
    assert "550" in bounced.error
    delivery = Delivery.objects.get(related_id=str(bounced.pk))
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
