"""The impact step of the demo: a shipped initiative whose effect is real and visible.

For each demo organization, the earliest-numbered shipped initiative (the initiatives step
ships one about 45 days ago) gets historical NPS answers on its target survey: about 120 in
the 60 days before shipping at an NPS around 5, and about 120 since at an NPS around 30, so the
change is well beyond its margin of error; and comments about its theme that fall from about
a third of all comments to about a tenth. Stored in bulk as historical responses (no events,
no follow-up) with their answer facts, and the days marked for the rollups, as the analytics
step stores its year of history. Keyed by a marker on the responses: running it again adds
nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.initiatives.models import Initiative
    from closeloop.responses.models import Response
    from closeloop.surveys.models import Survey
    from closeloop.text.models import Theme

DEMO_SLUGS = ("demo", "demo-bkk")
MARKER = "demo-impact"
BEFORE_ANSWERS = 120
AFTER_ANSWERS = 120


@dataclass(frozen=True)
class NpsAnswer:
    """One historical NPS answer to store."""

    at: dt.datetime
    score: int
    contact_id: uuid.UUID | None = None
    language: str = ""


def nps_question_key(survey: Survey) -> str | None:
    """The key of the survey's first NPS question (current version), if any."""
    from closeloop.responses.selectors import definition_of

    version = survey.current_version
    if version is None:
        return None
    definition = definition_of(version)
    for page in definition.pages:
        for question in page.questions:
            if question.type == "nps":
                return str(question.key)
    return None


def add_nps_history(
    *, survey: Survey, answers: Sequence[NpsAnswer], hidden: dict[str, str] | None = None
) -> list[Response]:
    """Store completed historical responses with one NPS answer each, in bulk, with their
    answer facts, and mark their days for the rollups (what the responses service would write
    for imported history, without the per-response overhead)."""
    from closeloop.analytics.services import rollup_days_mark_dirty
    from closeloop.responses.choices import Channel, ResponseStatus
    from closeloop.responses.models import AnswerFact, Response
    from closeloop.responses.selectors import definition_of
    from closeloop.responses.services import _facts
    from closeloop.surveys.schema import ENDING_PREFIX

    version = survey.current_version
    assert version is not None, "the survey must be published"
    definition = definition_of(version)
    key = nps_question_key(survey)
    assert key is not None, "the survey has no NPS question"
    zone = ZoneInfo(survey.organization.time_zone or "UTC")
    now = timezone.now()
    ending = definition.endings[0].key
    responses = [
        Response(
            organization_id=survey.organization_id,
            survey=survey,
            version=version,
            contact_id=item.contact_id,
            channel=Channel.API,
            language=item.language or definition.default_language,
            status=ResponseStatus.COMPLETE,
            current_page=f"{ENDING_PREFIX}{ending}",
            answers={key: item.score},
            hidden=dict(hidden or {}),
            historical=True,
            created_at=now,
            started_at=item.at,
            completed_at=item.at,
        )
        for item in answers
    ]
    Response.objects.bulk_create(responses, batch_size=500)
    facts = [fact for response in responses for fact in _facts(response, definition)]
    AnswerFact.objects.bulk_create(facts, batch_size=1000)
    rollup_days_mark_dirty(
        organization_id=survey.organization_id,
        survey_id=survey.pk,
        days={item.at.astimezone(zone).date() for item in answers},
    )
    return responses


def scores_for(*, promoters: int, passives: int, detractors: int, rng: random.Random) -> list[int]:
    """Exact counts of promoters (9-10), passives (7-8) and detractors (0-6), shuffled."""
    scores = (
        [rng.choice((9, 10)) for _ in range(promoters)]
        + [rng.choice((7, 8)) for _ in range(passives)]
        + [rng.choice((0, 2, 3, 4, 5, 6, 6)) for _ in range(detractors)]
    )
    rng.shuffle(scores)
    return scores


def _target_survey(initiative: Initiative) -> Survey | None:
    from closeloop.surveys.models import Survey

    if initiative.target_survey is not None and nps_question_key(initiative.target_survey):
        return initiative.target_survey
    for survey in Survey.objects.filter(
        organization=initiative.organization, kind="customer", status="published"
    ).order_by("created_at"):
        if nps_question_key(survey):
            return survey
    return None


def _theme(initiative: Initiative) -> Theme | None:
    if initiative.target_theme is not None:
        return initiative.target_theme
    return initiative.themes.order_by("key").first()


# Comments about the theme before (a third) and after (a tenth) shipping, per organization.
COMMENTS: dict[str, tuple[list[str], list[str]]] = {
    "demo": (
        [
            "배송이 너무 늦어요. 일주일이나 걸렸어요.",
            "Delivery took eight days again, the beans were stale by then.",
            "주문한 원두가 아직도 안 왔어요.",
            "The courier lost my order twice this month.",
        ],
        [
            "원두 맛이 좋아요. 다음에도 주문할게요.",
            "Lovely latte and friendly staff.",
            "Great single origin, fair price.",
            "매장이 깨끗하고 음악이 좋아요.",
        ],
    ),
    "demo-bkk": (
        [
            "ส่งช้ามาก รอเกือบชั่วโมง",
            "Delivery was late and the soup was cold.",
            "ไรเดอร์หาร้านไม่เจอ ของมาช้า",
        ],
        [
            "น้ำซุปอร่อยมาก",
            "Great noodles, friendly staff.",
            "ราคาไม่แพง อร่อยคุ้มค่า",
        ],
    ),
}


def _add_comments(
    initiative: Initiative,
    theme: Theme,
    ship: dt.datetime,
    ship_day_start: dt.datetime,
    rng: random.Random,
) -> None:
    from closeloop.text.choices import LabelSource, Sentiment
    from closeloop.text.models import Comment, CommentTheme

    org = initiative.organization
    about, other = COMMENTS.get(org.slug, COMMENTS["demo"])
    comments: list[Comment] = []
    themed: list[Comment] = []
    plan = ((-60, 0, 0.33), (0, 45, 0.1))
    for start, end, share in plan:
        for index in range(60):
            origin = ship_day_start if start < 0 else ship
            when = origin + dt.timedelta(days=rng.uniform(start + 0.02, end - 0.02))
            if when > timezone.now():
                continue
            is_about = rng.random() < share
            text = rng.choice(about if is_about else other)
            comment = Comment(
                organization=org,
                text=text,
                source="review",
                source_ref=f"{MARKER}-{initiative.number}-{start}-{index}",
                answered_at=when,
                language="ko" if any("\uac00" <= ch <= "\ud7a3" for ch in text) else
                ("th" if any("\u0e00" <= ch <= "\u0e7f" for ch in text) else "en"),
                sentiment=Sentiment.NEGATIVE if is_about else Sentiment.POSITIVE,
                enriched_at=timezone.now(),
            )  # fmt: skip
            comments.append(comment)
            if is_about:
                themed.append(comment)
    Comment.objects.bulk_create(comments, batch_size=500)
    CommentTheme.objects.bulk_create(
        [CommentTheme(comment=c, theme=theme, source=LabelSource.MODEL) for c in themed],
        batch_size=500,
    )


def seed_impact(org: Organization) -> None:
    """One organization's impact history (once)."""
    from closeloop.contacts.models import Contact
    from closeloop.initiatives.models import Initiative
    from closeloop.responses.models import Response

    initiative = (
        Initiative.objects.filter(organization=org, status="shipped", shipped_at__isnull=False)
        .select_related("organization", "target_survey", "target_theme")
        .order_by("number")
        .first()
    )
    if initiative is None or initiative.shipped_at is None:
        return
    survey = _target_survey(initiative)
    if survey is None:
        return
    if Response.objects.filter(survey=survey, hidden__impact_demo=MARKER).exists():
        return
    rng = random.Random(f"{MARKER}-{org.slug}")
    ship = initiative.shipped_at
    now = timezone.now()
    contacts = list(
        Contact.objects.filter(
            organization=org, kind="customer", erased_at__isnull=True
        ).values_list("pk", flat=True)
    )
    language = org.default_language or "en"

    # The windows are whole local days: answers before start before the ship day does.
    zone = ZoneInfo(org.time_zone or "UTC")
    ship_day_start = dt.datetime.combine(ship.astimezone(zone).date(), dt.time.min, tzinfo=zone)

    def draw(
        count: int, origin: dt.datetime, start: float, end: float, mix: tuple[int, int, int]
    ) -> list[NpsAnswer]:
        p, s, d = mix
        scores = scores_for(promoters=p, passives=s, detractors=d, rng=rng)
        out = []
        for score in scores[:count]:
            when = origin + dt.timedelta(days=rng.uniform(start, end))
            when = min(when, now - dt.timedelta(minutes=5))
            contact = rng.choice(contacts) if contacts and rng.random() < 0.7 else None
            out.append(NpsAnswer(at=when, score=score, contact_id=contact, language=language))
        return out

    days_after = max(1.0, min(float(initiative.after_days), (now - ship).total_seconds() / 86400))
    # Before: 40 promoters, 46 passives, 34 detractors of 120 (NPS 5); after: 56 / 44 / 20
    # of 120 (NPS 30): a rise of 25 points against a margin of the difference of about 19.
    answers = draw(
        BEFORE_ANSWERS, ship_day_start, -float(initiative.before_days) + 0.02, -0.02, (40, 46, 34)
    )
    answers += draw(AFTER_ANSWERS, ship, 0.01, days_after, (56, 44, 20))
    add_nps_history(survey=survey, answers=answers, hidden={"impact_demo": MARKER})
    theme = _theme(initiative)
    if theme is not None:
        _add_comments(initiative, theme, ship, ship_day_start, rng)


def seed_demo_impact() -> None:
    """The impact step of the demo, for both demo organizations."""
    from closeloop.accounts.models import Organization

    for slug in DEMO_SLUGS:
        org = Organization.objects.filter(slug=slug).first()
        if org is not None:
            seed_impact(org)
