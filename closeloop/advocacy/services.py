"""Writes for advocacy: review sites, the asking mode (with its warning), review invitations with
tracked links, and the clicks on them.

Review sites' rules: Google and Trustpilot forbid asking only happy customers for reviews
("review gating"). So by default everyone who completes a survey gets the same links; only the
wording changes with the score. "Promoters only" can be turned on, but only after someone
acknowledges that warning (the time and person are kept).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import Organization, User
from closeloop.advocacy.models import (
    ReviewClick,
    ReviewInvitation,
    ReviewMode,
    ReviewSettings,
    ReviewSite,
    ReviewSiteKind,
    ScoreBand,
)
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.lib.http import OutboundRefused

CLICK_SALT = "closeloop.advocacy.click"
RELATED_TYPE = "review_invitation"
TEXT_FIELDS = ("subject", "body")


# --- wording ------------------------------------------------------------------------------------


def band_for(score: int | None) -> str:
    """Promoters 9-10, detractors 0-6, passives 7-8 (and responses without a score)."""
    if score is None:
        return ScoreBand.PASSIVES
    if score >= 9:
        return ScoreBand.PROMOTERS
    if score <= 6:
        return ScoreBand.DETRACTORS
    return ScoreBand.PASSIVES


def default_text(band: str, language: str) -> dict[str, str]:
    """The built-in wording of a band, in the language (from the translation catalogs)."""
    with translation.override(language):
        if band == ScoreBand.PROMOTERS:
            return {
                "subject": _("Would you share your experience?"),
                "body": _(
                    "Thank you for your kind feedback! If you have a minute, a review helps "
                    "other customers find us."
                ),
            }
        if band == ScoreBand.DETRACTORS:
            return {
                "subject": _("Thank you for your honest feedback"),
                "body": _(
                    "Thank you for telling us what went wrong; we are working on it. If you "
                    "want to share your experience publicly, you can leave a review."
                ),
            }
        return {
            "subject": _("Thanks for your feedback"),
            "body": _(
                "Thank you for your feedback. If you have a minute, a review of your "
                "experience helps other customers."
            ),
        }


def wording(settings_row: ReviewSettings, band: str, language: str) -> dict[str, str]:
    """The organization's wording for the band and language, filled in with the built-in one."""
    texts = (settings_row.texts or {}).get(language, {}).get(band, {})
    base = default_text(band, language)
    return {f: str(texts.get(f) or "").strip() or base[f] for f in TEXT_FIELDS}


# --- settings -----------------------------------------------------------------------------------


def review_settings_get(*, organization: Organization) -> ReviewSettings:
    """The organization's review settings, created with the defaults (everyone) on first use."""
    row, _created = ReviewSettings.objects.get_or_create(organization=organization)
    return row


def review_settings_update(
    *,
    organization: Organization,
    mode: str,
    acknowledge_warning: bool = False,
    texts: dict[str, dict[str, dict[str, str]]] | None = None,
    actor: User | None = None,
    api_key: Any = None,
) -> ReviewSettings:
    """Change who is asked and the wording; promoters-only needs the warning acknowledged."""
    if mode not in ReviewMode.values:
        raise DomainError(_("Choose who is asked for reviews."), field="mode")
    row = review_settings_get(organization=organization)
    if mode == ReviewMode.PROMOTERS_ONLY:
        if not acknowledge_warning and row.mode != ReviewMode.PROMOTERS_ONLY:
            raise DomainError(
                _(
                    "Tick the box to confirm you understand that Google and Trustpilot forbid "
                    "asking only happy customers for reviews."
                ),
                field="acknowledge_warning",
                code="warning-not-acknowledged",
            )
        if row.mode != ReviewMode.PROMOTERS_ONLY:
            row.acknowledged_selective_asking_warning_at = timezone.now()
            row.acknowledged_by = actor
    else:
        row.acknowledged_selective_asking_warning_at = None
        row.acknowledged_by = None
    row.mode = mode
    if texts is not None:
        clean: dict[str, dict[str, dict[str, str]]] = {}
        for language, bands in texts.items():
            for band, fields in (bands or {}).items():
                if band not in ScoreBand.values:
                    continue
                values = {f: str(fields.get(f) or "").strip()[:2000] for f in TEXT_FIELDS}
                if any(values.values()):
                    clean.setdefault(language, {})[band] = values
        row.texts = clean
    row.save()
    activity_record(
        organization=organization, verb="review_settings.updated", actor=actor, api_key=api_key,
        target=row, data={"mode": mode},
    )  # fmt: skip
    return row


# --- sites --------------------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    from closeloop.lib.http import check_url

    url = url.strip()
    try:
        check_url(url)
    except OutboundRefused as exc:
        raise DomainError(
            _("Give the full address of the review page (https://...): %(reason)s.")
            % {"reason": exc},
            field="url",
        ) from None
    return url


def review_site_create(
    *,
    organization: Organization,
    name: str,
    url: str,
    kind: str = ReviewSiteKind.OTHER,
    is_active: bool = True,
    actor: User | None = None,
    api_key: Any = None,
) -> ReviewSite:
    """Add a review site at the end of the list."""
    if kind not in ReviewSiteKind.values:
        raise DomainError(_("Unknown kind of review site."), field="kind")
    last = ReviewSite.objects.filter(organization=organization).aggregate(m=Max("position"))["m"]
    site = ReviewSite.objects.create(
        organization=organization,
        name=name.strip()[:120],
        url=_clean_url(url),
        kind=kind,
        is_active=is_active,
        position=(last or 0) + 1,
    )
    activity_record(
        organization=organization, verb="review_site.created", actor=actor, api_key=api_key,
        target=site,
    )  # fmt: skip
    return site


def review_site_update(
    *, site: ReviewSite, actor: User | None = None, api_key: Any = None, **changes: Any
) -> ReviewSite:
    """Change a site's name, kind, URL or whether it is offered."""
    if changes.get("name") is not None:
        site.name = str(changes["name"]).strip()[:120]
    if changes.get("url") is not None:
        site.url = _clean_url(str(changes["url"]))
    if changes.get("kind") is not None:
        if changes["kind"] not in ReviewSiteKind.values:
            raise DomainError(_("Unknown kind of review site."), field="kind")
        site.kind = changes["kind"]
    if changes.get("is_active") is not None:
        site.is_active = bool(changes["is_active"])
    site.save()
    activity_record(
        organization=site.organization, verb="review_site.updated", actor=actor,
        api_key=api_key, target=site,
    )  # fmt: skip
    return site


def review_site_move(*, site: ReviewSite, direction: int, actor: User | None = None) -> ReviewSite:
    """Move a site one place up (-1) or down (+1) in the list."""
    with transaction.atomic():
        sites = list(
            ReviewSite.objects.select_for_update().filter(organization_id=site.organization_id)
        )
        index = next(i for i, s in enumerate(sites) if s.pk == site.pk)
        other = index + (1 if direction > 0 else -1)
        if 0 <= other < len(sites):
            sites[index], sites[other] = sites[other], sites[index]
        for position, row in enumerate(sites, start=1):
            if row.position != position:
                ReviewSite.objects.filter(pk=row.pk).update(position=position)
    site.refresh_from_db()
    return site


def review_site_delete(*, site: ReviewSite, actor: User | None = None, api_key: Any = None) -> None:
    """Remove a site (its clicks go with it)."""
    activity_record(
        organization=site.organization, verb="review_site.deleted", actor=actor,
        api_key=api_key, data={"name": site.name, "url": site.url},
    )  # fmt: skip
    site.delete()


# --- links --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewLink:
    """A review site as offered to a customer: its name, kind and the URL to follow."""

    site_id: str
    name: str
    kind: str
    url: str


def review_links_for(
    *, organization: Organization, score: int | None, language: str
) -> list[ReviewLink]:
    """The review links to offer a respondent with this score (direct site URLs, for the
    survey's ending page): every active site, or none for a non-promoter in promoters-only
    mode. `language` is accepted for wording callers; the links are the same in any language."""
    row = review_settings_get(organization=organization)
    if row.mode == ReviewMode.PROMOTERS_ONLY and band_for(score) != ScoreBand.PROMOTERS:
        return []
    return [
        ReviewLink(site_id=str(s.pk), name=s.name, kind=s.kind, url=s.url)
        for s in ReviewSite.objects.filter(organization=organization, is_active=True)
    ]


def click_token(invitation: ReviewInvitation, site: ReviewSite) -> str:
    """A signed token naming the invitation and the site (never the URL itself)."""
    return signing.dumps({"i": str(invitation.pk), "s": str(site.pk)}, salt=CLICK_SALT)


def click_url(invitation: ReviewInvitation, site: ReviewSite) -> str:
    path = reverse("advocacy_public:click", args=[click_token(invitation, site)])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def review_click_record(*, token: str, user_agent: str = "") -> str | None:
    """Record a click and return the configured URL of the site, or None for a bad token or
    a site that is gone or no longer offered."""
    try:
        data = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not data.get("i") or not data.get("s"):
        return None
    invitation = ReviewInvitation.objects.filter(pk=str(data["i"])).first()
    if invitation is None:
        return None
    site = ReviewSite.objects.filter(
        pk=str(data["s"]), organization_id=invitation.organization_id, is_active=True
    ).first()
    if site is None:
        return None
    ReviewClick.objects.create(
        organization_id=invitation.organization_id,
        invitation=invitation,
        site=site,
        clicked_at=timezone.now(),
        user_agent_hash=hashlib.sha256(user_agent.encode()).hexdigest() if user_agent else "",
    )
    return site.url


# --- invitations --------------------------------------------------------------------------------


def response_score(response: Any) -> int | None:
    """The response's NPS answer (0-10), or None."""
    from closeloop.responses.models import AnswerFact

    fact = (
        AnswerFact.objects.filter(response=response, question_type="nps", number__isnull=False)
        .order_by("id")
        .first()
    )
    return int(fact.number) if fact is not None and fact.number is not None else None


def _language(response: Any, contact: Any, organization: Organization) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    for candidate in (response.language, getattr(contact, "language", ""), "en"):
        code = (candidate or "").split("-")[0].lower()
        if code in available:
            return code
    return organization.default_language


def review_invitation_send(
    *, response: Any, actor: User | None = None, idempotency_key: str | None = None
) -> ReviewInvitation | None:
    """Email the respondent the organization's review links, worded by score; None when there is
    nothing to send (no active site, no contact who may be emailed, or promoters-only mode and
    not a promoter). Once per response."""
    from closeloop.contacts.models import Contact
    from closeloop.contacts.services import list_unsubscribe_headers
    from closeloop.distribution.emails import from_address
    from closeloop.integrations.mailbox import ORG_HEADER
    from closeloop.integrations.notify import notify_email

    existing = ReviewInvitation.objects.filter(response_id=response.pk).first()
    if existing is not None:
        return existing
    organization = Organization.objects.get(pk=response.organization_id)
    sites = list(ReviewSite.objects.filter(organization=organization, is_active=True))
    if not sites or not response.contact_id:
        return None
    contact = Contact.objects.filter(pk=response.contact_id, organization=organization).first()
    if contact is None or not contact.email or not contact.is_subscribed:
        return None
    row = review_settings_get(organization=organization)
    score = response_score(response)
    band = band_for(score)
    if row.mode == ReviewMode.PROMOTERS_ONLY and band != ScoreBand.PROMOTERS:
        return None
    language = _language(response, contact, organization)
    text = wording(row, band, language)
    try:
        with transaction.atomic():
            invitation = ReviewInvitation.objects.create(
                organization=organization,
                response_id=response.pk,
                contact=contact,
                language=language,
                score=score,
                band=band,
            )
            links = [{"name": s.name, "url": click_url(invitation, s)} for s in sites]
            context = {
                "organization": organization,
                "contact": contact,
                "subject": text["subject"],
                "body": text["body"],
                "links": links,
                "language": language,
            }
            with translation.override(language):
                plain = render_to_string("advocacy/email/review_invitation.txt", context)
                html = render_to_string("advocacy/email/review_invitation.html", context)
            headers = {ORG_HEADER: str(organization.pk), **list_unsubscribe_headers(contact)}
            delivery = notify_email(
                organization=organization,
                to=[contact.email],
                subject=text["subject"],
                text=plain,
                html=html,
                idempotency_key=idempotency_key or f"review-invitation:{response.pk}",
                language=language,
                headers=headers,
                related_type=RELATED_TYPE,
                related_id=str(invitation.pk),
                from_email=from_address(organization),
            )
            invitation.delivery = delivery
            invitation.sent_at = timezone.now()
            invitation.save(update_fields=["delivery", "sent_at", "updated_at"])
            activity_record(
                organization=organization, verb="review_invitation.sent", actor=actor,
                target=invitation, data={"band": band, "score": score},
            )  # fmt: skip
    except IntegrityError:
        return ReviewInvitation.objects.filter(response_id=response.pk).first()
    return invitation
