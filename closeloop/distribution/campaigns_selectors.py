"""Reads for email campaigns, templates and invitations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet

from closeloop.accounts.access import access_object
from closeloop.distribution.choices import InvitationStatus
from closeloop.distribution.models import Campaign, EmailTemplate, Invitation

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization


def access_campaign(*, organization: Organization, pk: Any) -> Campaign:
    return access_object(
        Campaign.objects.select_related("survey", "segment", "template", "touchpoint"),
        organization=organization,
        pk=pk,
    )


def access_email_template(*, organization: Organization, pk: Any) -> EmailTemplate:
    return access_object(EmailTemplate.objects.all(), organization=organization, pk=pk)


def campaign_list(*, organization: Organization) -> QuerySet[Campaign]:
    return Campaign.objects.filter(organization=organization).select_related("survey", "segment")


def email_template_list(*, organization: Organization) -> QuerySet[EmailTemplate]:
    return EmailTemplate.objects.filter(organization=organization)


def campaign_status_counts(*, campaign: Campaign) -> dict[str, int]:
    """Invitations of the campaign per status (every status present, zero if none)."""
    counts = {status: 0 for status in InvitationStatus.values}
    rows = (
        Invitation.objects.filter(campaign=campaign)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def invitation_list(
    *,
    organization: Organization,
    status: str = "",
    survey: Any = None,
    contact: Any = None,
    campaign: Any = None,
) -> QuerySet[Invitation]:
    """The organization's invitations, filtered by status, survey, contact and campaign ids."""
    qs = Invitation.objects.filter(organization=organization).select_related(
        "contact", "survey", "campaign"
    )
    if status:
        qs = qs.filter(status=status)
    if survey:
        qs = qs.filter(survey_id=survey)
    if contact:
        qs = qs.filter(contact_id=contact)
    if campaign:
        qs = qs.filter(campaign_id=campaign)
    return qs
