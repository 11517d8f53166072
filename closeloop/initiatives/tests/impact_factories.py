"""Seeded data whose true effect is known, for the impact and loop-figure tests: exact counts of
promoters, passives and detractors on chosen days around a ship date, comments about a theme,
and an initiative created and shipped through the services."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from closeloop.accounts.models import Organization, User
from closeloop.analytics.tests.metrics_data import metrics_survey
from closeloop.initiatives.demo_impact import NpsAnswer, add_nps_history, scores_for
from closeloop.initiatives.models import Initiative
from closeloop.surveys.models import Survey
from closeloop.text.models import Comment, CommentTheme, Theme

SHIP_DAY = dt.date(2025, 10, 1)
TODAY = dt.date(2026, 1, 15)  # both windows of 60 days are over


def local(organization: Organization, day: dt.date, hour: int = 12) -> dt.datetime:
    """An instant on a local day of the organization."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(organization.time_zone))


def survey_for(organization: Organization) -> Survey:
    return metrics_survey(organization)


def theme_for(organization: Organization, key: str = "late-delivery", name: str = "") -> Theme:
    theme, _created = Theme.objects.get_or_create(
        organization=organization,
        key=key,
        defaults={"names": {"en": name or key.replace("-", " ").title()}},
    )
    return theme


def answers_on_days(
    survey: Survey,
    *,
    first: dt.date,
    last: dt.date,
    promoters: int,
    passives: int,
    detractors: int,
    seed: str = "impact",
    contact_ids: list[uuid.UUID] | None = None,
) -> None:
    """Exact counts of NPS answers spread over the local days first..last (noon)."""
    rng = random.Random(seed)
    scores = scores_for(promoters=promoters, passives=passives, detractors=detractors, rng=rng)
    days = (last - first).days + 1
    org = survey.organization
    items = [
        NpsAnswer(
            at=local(org, first + dt.timedelta(days=index % days)),
            score=score,
            contact_id=(contact_ids[index % len(contact_ids)] if contact_ids else None),
        )
        for index, score in enumerate(scores)
    ]
    add_nps_history(survey=survey, answers=items)


def comments_on_days(
    organization: Organization,
    *,
    first: dt.date,
    last: dt.date,
    total: int,
    about: int,
    theme: Theme,
    score: float | None = None,
    tag: str = "",
) -> list[Comment]:
    """`total` comments over the local days first..last, `about` of them about the theme."""
    days = (last - first).days + 1
    comments = [
        Comment(
            organization=organization,
            text=f"comment {tag}{index}",
            source="review",
            source_ref=f"test-{tag}{first}-{index}",
            answered_at=local(organization, first + dt.timedelta(days=index % days), hour=10),
            score=score,
            score_type="nps" if score is not None else "",
        )
        for index in range(total)
    ]
    Comment.objects.bulk_create(comments)
    CommentTheme.objects.bulk_create(
        [CommentTheme(comment=c, theme=theme) for c in comments[:about]]
    )
    return comments


def shipped_initiative(
    organization: Organization,
    actor: User,
    *,
    ship_at: dt.datetime,
    **fields: Any,
) -> Initiative:
    """An initiative created and shipped through the services, its ship instant then set to
    `ship_at` (shipping stamps now)."""
    from closeloop.initiatives.services import initiative_create, initiative_transition

    fields.setdefault("title", "Faster delivery")
    initiative = initiative_create(organization=organization, actor=actor, **fields)
    initiative = initiative_transition(initiative=initiative, to_status="planned", actor=actor)
    initiative = initiative_transition(initiative=initiative, to_status="shipped", actor=actor)
    Initiative.objects.filter(pk=initiative.pk).update(shipped_at=ship_at)
    return Initiative.objects.select_related(
        "organization", "target_survey", "target_theme", "target_segment", "target_touchpoint"
    ).get(pk=initiative.pk)
