"""Reads for advocacy: review sites, invitations with click stats, and the promoter pool.

Promoter pool: contacts whose latest NPS answer is 9 or 10 and whose latest answer to a consent
question keyed `testimonial_consent` (or starting with it, e.g. `testimonial_consent_2`) is
yes. Add such a consent question ("You may contact me for a testimonial or case study") to a
survey to grow the pool.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.advocacy.models import ClickSource, ReviewClick, ReviewInvitation, ReviewSite

CONSENT_KEY = "testimonial_consent"
TEXT_TYPES = ("short_text", "long_text")
POOL_PAGE = 50
VERBATIMS = 5


def access_review_site(*, organization: Organization, pk: Any) -> ReviewSite:
    """One review site of the organization, or 404."""
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        raise Http404 from None
    site = ReviewSite.objects.filter(organization=organization, pk=key).first()
    if site is None:
        raise Http404
    return site


def review_site_list(*, organization: Organization) -> QuerySet[ReviewSite]:
    return ReviewSite.objects.filter(organization=organization).annotate(
        click_count=Count("clicks")
    )


def review_invitation_list(*, organization: Organization) -> QuerySet[ReviewInvitation]:
    return (
        ReviewInvitation.objects.filter(organization=organization)
        .select_related("contact", "delivery")
        .annotate(click_count=Count("clicks"))
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class ReviewRule:
    """An automation rule that sends review invitations, and whether it picks customers by
    score (review gating: its invitations fail unless promoters only is chosen)."""

    rule: Any
    gating: bool


def review_rules(*, organization: Organization) -> list[ReviewRule]:
    """The organization's rules with a "send a review invitation" action, in order."""
    from closeloop.automation.actions import rule_is_review_gating
    from closeloop.automation.models import Rule

    return [
        ReviewRule(rule, rule_is_review_gating(organization, rule.conditions or {}))
        for rule in Rule.objects.filter(organization=organization).order_by(
            "position", "created_at"
        )
        if any(a.get("type") == "send_review_invitation" for a in rule.actions or [])
    ]


@dataclass(frozen=True)
class SiteStats:
    """Clicks on one review site: total, from thank-you pages, distinct invitations clicked,
    and per score band."""

    site: ReviewSite
    clicks: int
    ending_clicks: int
    invitations_clicked: int
    by_band: dict[str, int]


def click_stats(*, organization: Organization) -> tuple[int, list[SiteStats]]:
    """(invitations sent, stats per site). An invitation stopped at send time (the contact
    unsubscribed meanwhile) is not counted as sent."""
    from closeloop.integrations.models import DeliveryStatus

    sent = (
        ReviewInvitation.objects.filter(organization=organization)
        .exclude(delivery__status=DeliveryStatus.CANCELLED)
        .count()
    )
    rows: list[SiteStats] = []
    for site in ReviewSite.objects.filter(organization=organization):
        clicks = ReviewClick.objects.filter(site=site)
        by_band = {r["band"]: r["n"] for r in clicks.values("band").annotate(n=Count("id"))}
        rows.append(
            SiteStats(
                site=site,
                clicks=clicks.count(),
                ending_clicks=clicks.filter(source=ClickSource.ENDING).count(),
                invitations_clicked=clicks.exclude(invitation=None)
                .values("invitation")
                .distinct()
                .count(),
                by_band=by_band,
            )
        )
    return sent, rows


@dataclass
class PoolEntry:
    """A promoter who agreed to be contacted, with their verbatims."""

    contact: Any
    score: int
    answered_at: dt.datetime
    language: str
    survey_name: str
    response_id: str
    verbatims: list[str] = field(default_factory=list)


def _consent_match(prefix: str = "") -> Q:
    return Q(**{f"{prefix}question_key": CONSENT_KEY}) | Q(
        **{f"{prefix}question_key__startswith": f"{CONSENT_KEY}_"}
    )


def _latest(organization: Organization, query: Q) -> QuerySet[Any]:
    """The contact's (OuterRef) facts matching `query`, latest answer first."""
    from closeloop.responses.models import AnswerFact

    return AnswerFact.objects.filter(
        query, organization_id=organization.pk, response__contact_id=OuterRef("pk")
    ).order_by("-answered_at", "-id")


def promoter_pool(
    *,
    organization: Organization,
    language: str = "",
    survey_id: Any = None,
    since: dt.date | None = None,
    q: str = "",
) -> QuerySet[Any]:
    """Promoters who consented to be contacted for testimonials, latest answer first: contacts
    (not erased, still subscribed) whose latest NPS answer is 9 or 10 and whose latest answer
    to a testimonial consent question is yes. One query, in the database: the latest answers
    are subqueries per contact, annotated as `pool_score`, `pool_answered_at`,
    `pool_response_id`, `pool_language` and `pool_survey`. Page it, then `pool_entries`."""
    from closeloop.contacts.models import Contact
    from closeloop.responses.models import AnswerFact

    nps = _latest(organization, Q(question_type="nps", number__isnull=False))
    consent = _latest(organization, _consent_match() & Q(question_type="consent"))
    qs = (
        Contact.objects.filter(
            # Marketing may only reach people who still accept messages.
            organization=organization,
            erased_at__isnull=True,
            unsubscribed_at__isnull=True,
        )
        # Cheap first cut (an index scan): someone who never said yes is never in the pool.
        .filter(
            Exists(
                AnswerFact.objects.filter(
                    _consent_match(),
                    organization_id=organization.pk,
                    question_type="consent",
                    number=1.0,
                    response__contact_id=OuterRef("pk"),
                )
            )
        )
        .annotate(
            pool_consent=Subquery(consent.values("number")[:1]),
            pool_score=Subquery(nps.values("number")[:1]),
            pool_answered_at=Subquery(nps.values("answered_at")[:1]),
            pool_response_id=Subquery(nps.values("response_id")[:1]),
            pool_language=Subquery(nps.values("response__language")[:1]),
            pool_survey_id=Subquery(nps.values("survey_id")[:1]),
            pool_survey=Subquery(nps.values("response__survey__name")[:1]),
        )
        .filter(pool_consent=1.0, pool_score__gte=9)
    )
    if language:
        qs = qs.filter(pool_language=language)
    if survey_id:
        qs = qs.filter(pool_survey_id=survey_id)
    if since:
        start = dt.datetime.combine(since, dt.time.min, tzinfo=timezone.get_current_timezone())
        qs = qs.filter(pool_answered_at__gte=start)
    needle = q.strip()
    if needle:
        qs = qs.filter(
            Q(first_name__icontains=needle)
            | Q(last_name__icontains=needle)
            | Q(email__icontains=needle)
            | Exists(
                AnswerFact.objects.filter(
                    organization_id=organization.pk,
                    question_type__in=TEXT_TYPES,
                    response__contact_id=OuterRef("pk"),
                    text__icontains=needle,
                )
            )
        )
    return qs.order_by("-pool_answered_at", "pk")


def pool_entries(*, organization: Organization, contacts: Any) -> list[PoolEntry]:
    """Rows of one page of `promoter_pool`, each with up to VERBATIMS of the contact's latest
    comments from any survey (one query for the page, ranked in the database)."""
    from closeloop.responses.models import AnswerFact

    page = list(contacts)
    texts: dict[Any, list[str]] = {}
    if page:
        ranked = (
            AnswerFact.objects.filter(
                organization_id=organization.pk,
                question_type__in=TEXT_TYPES,
                response__contact_id__in=[c.pk for c in page],
            )
            .exclude(text="")
            .annotate(
                contact_id=F("response__contact_id"),
                rank=Window(
                    RowNumber(),
                    partition_by=[F("response__contact_id")],
                    order_by=[F("answered_at").desc(), F("id").desc()],
                ),
            )
            .filter(rank__lte=VERBATIMS)
            .order_by("contact_id", "rank")
            .values_list("contact_id", "text")
        )
        for contact_id, text in ranked:
            texts.setdefault(contact_id, []).append(text)
    return [
        PoolEntry(
            contact=c,
            score=int(c.pool_score or 0),
            answered_at=c.pool_answered_at,
            language=c.pool_language or "",
            survey_name=c.pool_survey or "",
            response_id=str(c.pool_response_id),
            verbatims=texts.get(c.pk, []),
        )
        for c in page
    ]
