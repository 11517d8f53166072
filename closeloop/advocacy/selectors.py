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

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from closeloop.accounts.models import Organization
from closeloop.advocacy.models import ReviewClick, ReviewInvitation, ReviewSite

CONSENT_KEY = "testimonial_consent"
TEXT_TYPES = ("short_text", "long_text")
POOL_LIMIT = 2000


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
class SiteStats:
    """Clicks on one review site: total, distinct invitations, and per score band."""

    site: ReviewSite
    clicks: int
    invitations_clicked: int
    by_band: dict[str, int]


def click_stats(*, organization: Organization) -> tuple[int, list[SiteStats]]:
    """(invitations sent, stats per site)."""
    sent = ReviewInvitation.objects.filter(organization=organization).count()
    rows: list[SiteStats] = []
    for site in ReviewSite.objects.filter(organization=organization):
        clicks = ReviewClick.objects.filter(site=site)
        by_band = {
            r["invitation__band"]: r["n"]
            for r in clicks.values("invitation__band").annotate(n=Count("id"))
        }
        rows.append(
            SiteStats(
                site=site,
                clicks=clicks.count(),
                invitations_clicked=clicks.values("invitation").distinct().count(),
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


def _consent_match() -> Q:
    return Q(question_key=CONSENT_KEY) | Q(question_key__startswith=f"{CONSENT_KEY}_")


def promoter_pool(
    *,
    organization: Organization,
    language: str = "",
    survey_id: Any = None,
    since: dt.date | None = None,
    q: str = "",
) -> list[PoolEntry]:
    """Promoters who consented to be contacted for testimonials, newest answer first."""
    from closeloop.contacts.models import Contact
    from closeloop.responses.models import AnswerFact

    latest_nps: dict[Any, AnswerFact] = {}
    nps = (
        AnswerFact.objects.filter(
            organization_id=organization.pk,
            question_type="nps",
            number__isnull=False,
            response__contact_id__isnull=False,
        )
        .select_related("response", "response__survey")
        .order_by("answered_at", "id")
    )
    for fact in nps:
        latest_nps[fact.response.contact_id] = fact
    consent: dict[Any, bool] = {}
    consents = (
        AnswerFact.objects.filter(
            _consent_match(),
            organization_id=organization.pk,
            question_type="consent",
            response__contact_id__isnull=False,
        )
        .order_by("answered_at", "id")
        .values_list("response__contact_id", "number")
    )
    for contact_id, number in consents:
        consent[contact_id] = number == 1.0
    ids = [
        cid
        for cid, fact in latest_nps.items()
        if fact.number is not None and fact.number >= 9 and consent.get(cid)
    ]
    contacts = {
        c.pk: c
        for c in Contact.objects.filter(
            # Marketing may only reach people who still accept messages.
            organization=organization,
            pk__in=ids,
            erased_at__isnull=True,
            unsubscribed_at__isnull=True,
        )
    }
    entries: list[PoolEntry] = []
    for cid in ids:
        contact = contacts.get(cid)
        if contact is None:
            continue
        fact = latest_nps[cid]
        response = fact.response
        if language and response.language != language:
            continue
        if survey_id and str(response.survey_id) != str(survey_id):
            continue
        if since and fact.answered_at.date() < since:
            continue
        entries.append(
            PoolEntry(
                contact=contact,
                score=int(fact.number or 0),
                answered_at=fact.answered_at,
                language=response.language,
                survey_name=response.survey.name,
                response_id=str(response.pk),
            )
        )
    texts: dict[Any, list[str]] = {}
    for contact_id, text in (
        AnswerFact.objects.filter(
            organization_id=organization.pk,
            question_type__in=TEXT_TYPES,
            response__contact_id__in=[e.contact.pk for e in entries],
        )
        .exclude(text="")
        .order_by("-answered_at")
        .values_list("response__contact_id", "text")
    ):
        texts.setdefault(contact_id, []).append(text)
    needle = q.strip().lower()
    result = []
    for entry in entries:
        entry.verbatims = texts.get(entry.contact.pk, [])[:5]
        if needle:
            haystack = " ".join(
                [str(entry.contact), entry.contact.email or "", *entry.verbatims]
            ).lower()
            if needle not in haystack:
                continue
        result.append(entry)
    result.sort(key=lambda e: e.answered_at, reverse=True)
    return result[:POOL_LIMIT]
