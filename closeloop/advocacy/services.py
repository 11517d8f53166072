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
    ClickSource,
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


_BAND_OF_MOOD = {
    "happy": ScoreBand.PROMOTERS,
    "neutral": ScoreBand.PASSIVES,
    "unhappy": ScoreBand.DETRACTORS,
}
# When a response has several scores, the band follows the first of these it has.
BAND_METRICS = ("nps", "csat", "ces")


def band_for(score: float | None, metric: str = "nps", points: int = 0) -> str:
    """The wording band of a score: happy (NPS 9-10, CSAT top box, CES 5-7), unhappy (NPS
    0-6, CSAT below the middle of its scale, CES 1-3), else neutral; neutral without one."""
    from closeloop.automation.scales import mood

    if score is None:
        return ScoreBand.PASSIVES
    found = mood(metric, score, points)
    return _BAND_OF_MOOD[found] if found is not None else ScoreBand.PASSIVES


@dataclass(frozen=True)
class ResponseScore:
    """The score that chooses a response's wording: which metric, the number, its band."""

    metric: str
    score: int | None
    band: str


def response_band(response: Any) -> ResponseScore:
    """The response's NPS answer, else its CSAT answer (on its own scale), else its CES
    answer, with the band it falls in; neutral when it has none of them."""
    from closeloop.responses.models import AnswerFact
    from closeloop.responses.selectors import definition_of

    facts: dict[str, tuple[str, float]] = {}
    for key, metric, number in (
        AnswerFact.objects.filter(
            response_id=response.pk, question_type__in=BAND_METRICS, number__isnull=False
        )
        .order_by("id")
        .values_list("question_key", "question_type", "number")
    ):
        if number is not None:  # the first answer of each metric counts
            facts.setdefault(metric, (key, number))
    for metric in BAND_METRICS:
        if metric not in facts:
            continue
        key, number = facts[metric]
        points = 0
        if metric == "csat":
            version = getattr(response, "version", None)
            if version is not None:
                questions = {q.key: q for _p, q in definition_of(version).iter_questions()}
                points = int(getattr(questions.get(key), "points", 0) or 0)
        return ResponseScore(metric, int(number), band_for(number, metric, points))
    return ResponseScore("", None, ScoreBand.PASSIVES)


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


def selective_asking_allowed(*, organization: Organization) -> bool:
    """Whether the organization chose to ask promoters only, acknowledging the warning that
    review sites forbid it: only then may review invitations depend on the score."""
    row = ReviewSettings.objects.filter(organization=organization).first()
    return (
        row is not None
        and row.mode == ReviewMode.PROMOTERS_ONLY
        and row.acknowledged_selective_asking_warning_at is not None
    )


def review_settings_update(
    *,
    organization: Organization,
    mode: str,
    acknowledge_warning: bool = False,
    texts: dict[str, dict[str, dict[str, str]]] | None = None,
    show_on_ending: bool | None = None,
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
    if show_on_ending is not None:
        row.show_on_ending = show_on_ending
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
        target=row, data={"mode": mode, "show_on_ending": row.show_on_ending},
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
    *, organization: Organization, score: float | None, language: str, band: str | None = None
) -> list[ReviewLink]:
    """The review links to offer a respondent with this score (or band): every offered site,
    in order, or none for a customer who is not happy in promoters-only mode. The links are
    the same in any language and for every score; the URLs are the sites' own."""
    row = review_settings_get(organization=organization)
    band = band or band_for(score)
    if row.mode == ReviewMode.PROMOTERS_ONLY and band != ScoreBand.PROMOTERS:
        return []
    return [
        ReviewLink(site_id=str(s.pk), name=s.name, kind=s.kind, url=s.url)
        for s in ReviewSite.objects.filter(organization=organization, is_active=True)
    ]


def ending_review_links(*, response: Any, language: str) -> list[ReviewLink]:
    """The review links for a survey's thank-you page, when the organization shows them
    there: the same offered sites for every respondent (in promoters-only mode, for happy
    ones only), each through the tracked redirect /r/<token>/."""
    row = ReviewSettings.objects.filter(organization_id=response.organization_id).first()
    if row is None or not row.show_on_ending or response.historical:
        return []
    scored = response_band(response)
    links = review_links_for(
        organization=row.organization, score=scored.score, language=language, band=scored.band
    )
    return [
        ReviewLink(
            site_id=link.site_id,
            name=link.name,
            kind=link.kind,
            url=_absolute(_token({"r": str(response.pk), "s": link.site_id})),
        )
        for link in links
    ]


def _token(data: dict[str, str]) -> str:
    return signing.dumps(data, salt=CLICK_SALT)


def _absolute(token: str) -> str:
    path = reverse("advocacy_public:click", args=[token])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def click_token(invitation: ReviewInvitation, site: ReviewSite) -> str:
    """A signed token naming the invitation and the site (never the URL itself)."""
    return _token({"i": str(invitation.pk), "s": str(site.pk)})


def click_url(invitation: ReviewInvitation, site: ReviewSite) -> str:
    return _absolute(click_token(invitation, site))


def review_click_record(*, token: str, user_agent: str = "") -> str | None:
    """Record a click (from an invitation email, or from a thank-you page) and return the
    configured URL of the site, or None for a bad token or a site that is gone or no longer
    offered."""
    from closeloop.responses.models import Response

    try:
        data = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not data.get("s") or not (data.get("i") or data.get("r")):
        return None
    invitation: ReviewInvitation | None = None
    response: Response | None = None
    if data.get("i"):
        invitation = ReviewInvitation.objects.filter(pk=str(data["i"])).first()
        organization_id = invitation.organization_id if invitation is not None else None
        band = invitation.band if invitation is not None else ""
    else:
        response = Response.objects.select_related("version").filter(pk=str(data["r"])).first()
        organization_id = response.organization_id if response is not None else None
        band = response_band(response).band if response is not None else ""
    if organization_id is None:
        return None
    site = ReviewSite.objects.filter(
        pk=str(data["s"]), organization_id=organization_id, is_active=True
    ).first()
    if site is None:
        return None
    ReviewClick.objects.create(
        organization_id=organization_id,
        invitation=invitation,
        response=response,
        source=ClickSource.EMAIL if invitation is not None else ClickSource.ENDING,
        band=band,
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


def review_invitation_skip_reason(*, response: Any) -> str | None:
    """Why no review invitation is sent for this response (a sentence for the run log), or
    None when one may be sent."""
    from closeloop.contacts.models import Contact

    organization_id = response.organization_id
    if not ReviewSite.objects.filter(organization_id=organization_id, is_active=True).exists():
        return _("No review site is offered yet: add one under Reviews and advocates.")
    if not response.contact_id:
        return _("The respondent is anonymous: no email address.")
    contact = Contact.objects.filter(
        pk=response.contact_id, organization_id=organization_id
    ).first()
    if contact is None or contact.erased_at is not None:
        return _("The contact was erased.")
    if contact.unsubscribed_at is not None:
        return _("The contact unsubscribed.")
    if not contact.email:
        return _("The contact has no email address.")
    row = ReviewSettings.objects.filter(organization_id=organization_id).first()
    if (
        row is not None
        and row.mode == ReviewMode.PROMOTERS_ONLY
        and response_band(response).band != ScoreBand.PROMOTERS
    ):
        return _("Promoters only: this respondent's score is not among the happiest.")
    return None


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
    scored = response_band(response)
    score, band = scored.score, scored.band
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
                metric=scored.metric,
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
                target=invitation, data={"band": band, "score": score, "metric": scored.metric},
            )  # fmt: skip
    except IntegrityError:
        return ReviewInvitation.objects.filter(response_id=response.pk).first()
    return invitation
