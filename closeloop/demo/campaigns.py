"""Demo email campaigns for Seoul Bean Roasters: the invitation template in English, Korean and
Thai; a quarterly NPS campaign sent five days ago with a realistic mix of statuses (sent,
opened, completed, reminded, stopped by the frequency rule or an unsubscribe); a scheduled
campaign; a monthly relationship survey. The emails land in the demo Mailbox.

Keyed by campaign name, so running the demo again duplicates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.contacts.models import Contact, Segment
from closeloop.contacts.services import segment_create
from closeloop.distribution.campaigns_services import (
    DEFAULT_TEMPLATE_NAME,
    campaign_create,
    campaign_schedule,
    campaign_send_now,
    email_template_create,
    email_template_update,
)
from closeloop.distribution.choices import InvitationStatus, ListeningChannel, RecurrenceUnit
from closeloop.distribution.invitations import invitation_advance, invitation_create
from closeloop.distribution.models import Campaign, EmailTemplate, Invitation
from closeloop.distribution.sending import campaign_process, on_response_completed
from closeloop.integrations.outbox import deliveries_flush
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create, survey_publish

SENT_NAME = "Quarterly NPS — Q4"
SCHEDULED_NAME = "Holiday gift box feedback"
RECURRING_NAME = "Monthly relationship survey"
SEGMENT_NAME = "All customers"

TEXTS = {
    "en": {
        "subject": "{{contact.first_name|Hello}}, how are we doing at {{organization.name}}?",
        "body": "Hi {{contact.first_name|there}},\n\nThank you for being a customer of "
        "{{organization.name}}. One quick question: how likely are you to recommend us? "
        "Click a score below; it takes ten seconds.",
        "button": "Answer the survey",
    },
    "ko": {
        "subject": "{{contact.first_name}}님, {{organization.name}}에 대한 의견을 들려주세요",
        "body": "안녕하세요 {{contact.first_name}}님,\n\n{{organization.name}}을(를) 이용해 "
        "주셔서 감사합니다. 저희를 주변에 추천하실 가능성은 얼마나 되시나요? 아래 점수를 "
        "눌러 주세요. 10초면 충분합니다.",
        "button": "설문 참여하기",
    },
    "th": {
        "subject": "คุณ{{contact.first_name}} ช่วยบอกเราหน่อยว่า {{organization.name}} เป็นอย่างไรบ้าง",
        "body": "สวัสดีคุณ{{contact.first_name}}\n\nขอบคุณที่เป็นลูกค้าของ {{organization.name}} "
        "คุณมีแนวโน้มจะแนะนำเราให้เพื่อนมากน้อยเพียงใด กดคะแนนด้านล่างได้เลย ใช้เวลาเพียงสิบวินาที",
        "button": "ตอบแบบสอบถาม",
    },
}


def _l(en: str, ko: str, th: str) -> dict[str, str]:
    return {"en": en, "ko": ko, "th": th}


def _definition() -> dict[str, Any]:
    return {
        "default_language": "en",
        "languages": ["en", "ko", "th"],
        "title": _l("Seoul Bean Roasters", "서울빈로스터스", "Seoul Bean Roasters"),
        "pages": [
            {
                "key": "p1",
                "questions": [
                    {
                        "key": "nps",
                        "type": "nps",
                        "required": True,
                        "title": _l(
                            "How likely are you to recommend Seoul Bean Roasters to a friend?",
                            "서울빈로스터스를 친구에게 추천하실 가능성은 얼마나 되나요?",
                            "คุณมีแนวโน้มจะแนะนำ Seoul Bean Roasters ให้เพื่อนมากน้อยเพียงใด",
                        ),
                        "low_label": _l("Not likely", "전혀 아님", "ไม่แนะนำเลย"),
                        "high_label": _l("Very likely", "매우 그렇다", "แนะนำแน่นอน"),
                    },
                    {
                        "key": "reason",
                        "type": "long_text",
                        "title": _l(
                            "What is the main reason for your score?",
                            "그렇게 평가하신 가장 큰 이유는 무엇인가요?",
                            "เหตุผลหลักของคะแนนนี้คืออะไร",
                        ),
                    },
                ],
            }
        ],
        "endings": [
            {
                "key": "thanks",
                "title": _l("Thank you!", "감사합니다!", "ขอบคุณค่ะ"),
                "message": _l("We read every answer.", "모든 의견을 읽습니다.", "เราอ่านทุกความเห็น"),
            }
        ],
    }


def _survey(org: Organization, name: str) -> Survey:
    existing = Survey.objects.filter(organization=org, name=name).first()
    if existing is not None:
        return existing
    survey = survey_create(organization=org, actor=None, name=name, definition=_definition())
    survey_publish(survey=survey, actor=None)
    survey.refresh_from_db()
    return survey


def _template(org: Organization) -> EmailTemplate:
    template = EmailTemplate.objects.filter(organization=org, name=DEFAULT_TEMPLATE_NAME).first()
    if template is None:
        return email_template_create(organization=org, name=DEFAULT_TEMPLATE_NAME, texts=TEXTS)
    return email_template_update(template=template, name=DEFAULT_TEMPLATE_NAME, texts=TEXTS)


def _segment(org: Organization) -> Segment:
    segment = Segment.objects.filter(organization=org, name=SEGMENT_NAME).first()
    return segment or segment_create(
        organization=org,
        name=SEGMENT_NAME,
        description="Every customer (employees are surveyed separately).",
        definition={"match": "all", "rules": [{"field": "kind", "op": "eq", "value": "customer"}]},
        actor=None,
    )


def _recently_invited(org: Organization, contacts: list[Contact], now: dt.datetime) -> None:
    """Two customers answered another survey's invitation last week: the 30-day rule will stop
    the quarterly campaign for them."""
    other = _survey(org, "Parcel delivery follow-up")
    for contact in contacts:
        invitation = invitation_create(
            organization=org,
            survey=other,
            contact=contact,
            channel=ListeningChannel.EMAIL,
            now=now - dt.timedelta(days=12),
        )
        invitation_advance(
            invitation_id=invitation.pk,
            status=InvitationStatus.SENT,
            at=now - dt.timedelta(days=12),
        )


def _send_quarterly(org: Organization, survey: Survey, segment: Segment) -> None:
    now = timezone.now()
    rng = random.Random(4)
    customers = list(
        Contact.objects.filter(
            organization=org, kind="customer", unsubscribed_at__isnull=True
        ).order_by("email")
    )
    _recently_invited(org, customers[3:5], now)
    campaign = campaign_create(
        organization=org,
        name=SENT_NAME,
        survey=survey,
        segment=segment,
        template=_template(org),
        reminder_after_days=3,
        max_reminders=1,
    )
    campaign_send_now(campaign=campaign)
    campaign_process(campaign_id=campaign.pk)
    deliveries_flush()  # into the demo Mailbox
    sent_at = now - dt.timedelta(days=5)
    Campaign.objects.filter(pk=campaign.pk).update(started_at=sent_at, finished_at=sent_at)
    delivered = list(
        Invitation.objects.filter(campaign=campaign, status=InvitationStatus.SENT).order_by("pk")
    )
    Invitation.objects.filter(campaign=campaign, sent_at__isnull=False).update(sent_at=sent_at)
    for index, invitation in enumerate(delivered):
        roll = rng.random()
        if roll < 0.4:  # answered from the email
            score = rng.choice([10, 9, 9, 8, 7, 10, 6, 4])
            response = response_create_complete(
                survey=survey,
                answers={"nps": score},
                channel="email",
                language=invitation.language,
                contact_id=invitation.contact_id,
                completed_at=sent_at + dt.timedelta(hours=rng.uniform(0.2, 30)),
                idempotency_key=f"demo-campaign-{index}",
            )
            Response.objects.filter(pk=response.pk).update(
                personal_link=invitation.personal_link_id,
                started_at=response.completed_at,
            )
            invitation_advance(invitation_id=invitation.pk, status=InvitationStatus.OPENED,
                               at=sent_at + dt.timedelta(minutes=rng.uniform(5, 600)))  # fmt: skip
            on_response_completed(response_id=response.pk)
        elif roll < 0.7:  # opened, not answered yet: reminded
            invitation_advance(invitation_id=invitation.pk, status=InvitationStatus.OPENED,
                               at=sent_at + dt.timedelta(hours=rng.uniform(1, 40)))  # fmt: skip
            Invitation.objects.filter(pk=invitation.pk).update(
                reminders_sent=1, last_reminder_at=sent_at + dt.timedelta(days=3)
            )


def _local(org: Organization, days: int, hour: int) -> dt.datetime:
    tz = zoneinfo.ZoneInfo(org.time_zone)
    day = timezone.now().astimezone(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz)


def seed_campaigns(org: Organization) -> None:
    """The three demo campaigns of an organization with contacts."""
    if Campaign.objects.filter(organization=org, name=SENT_NAME).exists():
        return
    if not Contact.objects.filter(organization=org).exists():
        return
    survey = _survey(org, "Quarterly NPS")
    segment = _segment(org)
    _send_quarterly(org, survey, segment)

    korean = Segment.objects.filter(organization=org, name="Korean-speaking").first()
    scheduled = campaign_create(
        organization=org,
        name=SCHEDULED_NAME,
        survey=survey,
        segment=korean or segment,
        template=_template(org),
        reminder_after_days=4,
        max_reminders=1,
    )
    campaign_schedule(campaign=scheduled, at=_local(org, 7, 10))

    today = timezone.now().astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    recurring = campaign_create(
        organization=org,
        name=RECURRING_NAME,
        survey=_survey(org, "Relationship NPS"),
        segment=segment,
        template=_template(org),
        reminder_after_days=5,
        max_reminders=1,
        recurrence_every=1,
        recurrence_unit=RecurrenceUnit.MONTHS,
    )
    campaign_schedule(campaign=recurring, at=_local(org, (first_of_next - today).days, 10))


def seed_demo_campaigns() -> None:
    """The campaigns step of the demo: Seoul Bean Roasters only."""
    from closeloop.demo.seed import SEOUL_SLUG

    org = Organization.objects.filter(slug=SEOUL_SLUG).first()
    if org is not None:
        seed_campaigns(org)
