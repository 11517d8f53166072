"""Writes for email campaigns and invitation email templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.services import activity_record
from closeloop.core.tasks import enqueue_on_commit
from closeloop.distribution.choices import CampaignStatus, InvitationStatus, RecurrenceUnit
from closeloop.distribution.emails import TEXT_FIELDS, default_texts
from closeloop.distribution.models import Campaign, EmailTemplate, Invitation
from closeloop.integrations.outbox import deliveries_cancel
from closeloop.surveys.choices import SurveyStatus

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User
    from closeloop.contacts.models import Contact, Segment
    from closeloop.distribution.models import Touchpoint
    from closeloop.surveys.models import Survey

DEFAULT_TEMPLATE_NAME = "Default invitation"
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
MAX_TEXT = {"subject": 300, "body": 5000, "button": 80}


# --- templates ----------------------------------------------------------------------------------


def clean_texts(texts: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Keep known languages' subject/body/button strings; drop empty languages."""
    languages = {code for code, _name in settings.LANGUAGES}
    cleaned: dict[str, dict[str, str]] = {}
    for code, fields in texts.items():
        if not isinstance(fields, Mapping):
            raise DomainError(_("Texts must be given per language."), field="texts")
        code = str(code).strip()
        if code not in languages and not (2 <= len(code) <= 10 and code.replace("-", "").isalpha()):
            raise DomainError(_("Unknown language %(code)s.") % {"code": code}, field="texts")
        entry = {}
        for key in TEXT_FIELDS:
            value = str(fields.get(key) or "").strip()
            if len(value) > MAX_TEXT[key]:
                raise DomainError(
                    _("The %(field)s is too long (at most %(n)d characters).")
                    % {"field": key, "n": MAX_TEXT[key]},
                    field=f"texts.{code}.{key}",
                )
            if value:
                entry[key] = value
        if entry:
            cleaned[code] = entry
    return cleaned


def email_template_create(
    *,
    organization: Organization,
    name: str,
    texts: Mapping[str, Any],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> EmailTemplate:
    """Create an invitation email template with texts per language."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the template a name."), field="name")
    template = EmailTemplate.objects.create(
        organization=organization, name=name[:120], texts=clean_texts(texts)
    )
    activity_record(
        organization=organization, actor=actor, api_key=api_key,
        verb="email_template.created", target=template,
    )  # fmt: skip
    return template


def email_template_update(
    *,
    template: EmailTemplate,
    name: str,
    texts: Mapping[str, Any],
    actor: User | None = None,
) -> EmailTemplate:
    """Change a template's name and texts."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the template a name."), field="name")
    template.name = name[:120]
    template.texts = clean_texts(texts)
    template.save(update_fields=["name", "texts", "updated_at"])
    activity_record(
        organization=template.organization, actor=actor,
        verb="email_template.updated", target=template,
    )  # fmt: skip
    return template


def email_template_default(*, organization: Organization) -> EmailTemplate:
    """The organization's default template, created on first use with the built-in texts in
    every language the app speaks."""
    template = EmailTemplate.objects.filter(
        organization=organization, name=DEFAULT_TEMPLATE_NAME
    ).first()
    if template is not None:
        return template
    texts = {code: default_texts(code) for code, _name in settings.LANGUAGES}
    template, _created = EmailTemplate.objects.get_or_create(
        organization=organization, name=DEFAULT_TEMPLATE_NAME, defaults={"texts": texts}
    )
    return template


# --- campaigns ----------------------------------------------------------------------------------


def _check(
    *,
    organization: Organization,
    survey: Survey,
    segment: Segment | None,
    contacts: list[Contact],
    template: EmailTemplate | None,
    recurrence_every: int | None,
    recurrence_unit: str,
    reminder_after_days: int | None,
    max_reminders: int,
) -> None:
    for obj, field in ((survey, "survey"), (segment, "segment"), (template, "template")):
        if obj is not None and obj.organization_id != organization.pk:
            raise DomainError(_("Not found."), field=field)
    if any(c.organization_id != organization.pk for c in contacts):
        raise DomainError(_("Not found."), field="contacts")
    if survey.status == SurveyStatus.CLOSED:
        raise DomainError(_("This survey is closed."), field="survey")
    if segment is None and not contacts:
        raise DomainError(_("Choose a segment or list some contacts."), field="segment")
    if bool(recurrence_every) != bool(recurrence_unit):
        raise DomainError(
            _("Give both how often and the unit, or neither."), field="recurrence_every"
        )
    if recurrence_unit and recurrence_unit not in RecurrenceUnit.values:
        raise DomainError(_("Choose weeks or months."), field="recurrence_unit")
    if reminder_after_days is not None and reminder_after_days < 1:
        raise DomainError(_("Remind after at least one day."), field="reminder_after_days")
    if max_reminders > 5:
        raise DomainError(_("At most 5 reminders."), field="max_reminders")


def campaign_create(
    *,
    organization: Organization,
    name: str,
    survey: Survey,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    touchpoint: Touchpoint | None = None,
    segment: Segment | None = None,
    contacts: Iterable[Contact] = (),
    template: EmailTemplate | None = None,
    reminder_after_days: int | None = 3,
    max_reminders: int = 1,
    recurrence_every: int | None = None,
    recurrence_unit: str = "",
) -> Campaign:
    """Create a draft campaign of a survey to a segment and/or a list of contacts."""
    contact_list = list(contacts)
    name = name.strip()
    if not name:
        raise DomainError(_("Give the campaign a name."), field="name")
    _check(
        organization=organization, survey=survey, segment=segment, contacts=contact_list,
        template=template, recurrence_every=recurrence_every, recurrence_unit=recurrence_unit,
        reminder_after_days=reminder_after_days, max_reminders=max_reminders,
    )  # fmt: skip
    with transaction.atomic():
        campaign = Campaign.objects.create(
            organization=organization,
            name=name[:200],
            survey=survey,
            touchpoint=touchpoint,
            segment=segment,
            template=template,
            reminder_after_days=reminder_after_days,
            max_reminders=max_reminders if reminder_after_days else 0,
            recurrence_every=recurrence_every or None,
            recurrence_unit=recurrence_unit if recurrence_every else "",
            created_by=actor,
        )
        campaign.contacts.set(contact_list)
        activity_record(
            organization=organization, actor=actor, api_key=api_key,
            verb="campaign.created", target=campaign,
        )  # fmt: skip
    return campaign


def campaign_update(
    *,
    campaign: Campaign,
    actor: User | None = None,
    contacts: Iterable[Contact] | None = None,
    **fields: Any,
) -> Campaign:
    """Change a draft or scheduled campaign (name, survey, audience, template, reminders,
    recurrence)."""
    if campaign.status not in EDITABLE:
        raise ConflictError(_("Only a draft or scheduled campaign can be changed."))
    allowed = {
        "name", "survey", "touchpoint", "segment", "template",
        "reminder_after_days", "max_reminders", "recurrence_every", "recurrence_unit",
    }  # fmt: skip
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Unknown field."), field=sorted(unknown)[0])
    for key, value in fields.items():
        setattr(campaign, key, value)
    contact_list = list(contacts) if contacts is not None else list(campaign.contacts.all())
    if not campaign.name.strip():
        raise DomainError(_("Give the campaign a name."), field="name")
    _check(
        organization=campaign.organization, survey=campaign.survey, segment=campaign.segment,
        contacts=contact_list, template=campaign.template,
        recurrence_every=campaign.recurrence_every, recurrence_unit=campaign.recurrence_unit,
        reminder_after_days=campaign.reminder_after_days, max_reminders=campaign.max_reminders,
    )  # fmt: skip
    if not campaign.recurrence_every:
        campaign.recurrence_every, campaign.recurrence_unit = None, ""
    with transaction.atomic():
        campaign.save()
        if contacts is not None:
            campaign.contacts.set(contact_list)
        activity_record(
            organization=campaign.organization, actor=actor,
            verb="campaign.updated", target=campaign,
        )  # fmt: skip
    return campaign


def _ready_to_send(campaign: Campaign) -> None:
    if campaign.survey.status != SurveyStatus.ACTIVE or campaign.survey.current_version_id is None:
        raise DomainError(_("Publish the survey before sending it."), field="survey")


def campaign_schedule(
    *,
    campaign: Campaign,
    at: dt.datetime,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Campaign:
    """Send the campaign at `at` (the first run of a recurring one)."""
    if campaign.status not in EDITABLE:
        raise ConflictError(_("This campaign was already sent or cancelled."))
    _ready_to_send(campaign)
    if at <= timezone.now() - dt.timedelta(minutes=1):
        raise DomainError(_("Choose a time in the future."), field="scheduled_at")
    with transaction.atomic():
        campaign.status = CampaignStatus.SCHEDULED
        campaign.scheduled_at = at
        campaign.next_run_at = at
        campaign.save(update_fields=["status", "scheduled_at", "next_run_at", "updated_at"])
        activity_record(
            organization=campaign.organization, actor=actor, api_key=api_key,
            verb="campaign.scheduled", target=campaign, data={"at": at.isoformat()},
        )  # fmt: skip
    return campaign


def campaign_send_now(
    *, campaign: Campaign, actor: User | None = None, api_key: ApiKey | None = None
) -> Campaign:
    """Start sending now, in the background (a recurring campaign's first run)."""
    from closeloop.distribution.sending import campaign_send

    _ready_to_send(campaign)
    now = timezone.now()
    with transaction.atomic():
        claimed = Campaign.objects.filter(pk=campaign.pk, status__in=EDITABLE).update(
            status=CampaignStatus.SENDING,
            started_at=now,
            finished_at=None,
            next_run_at=now if campaign.recurrence_every else None,
            total=0,
            processed=0,
            updated_at=now,
        )
        if not claimed:
            raise ConflictError(_("This campaign is already sending, sent or cancelled."))
        enqueue_on_commit(campaign_send, str(campaign.pk))
        activity_record(
            organization=campaign.organization, actor=actor, api_key=api_key,
            verb="campaign.sent", target=campaign,
        )  # fmt: skip
    campaign.refresh_from_db()
    return campaign


def campaign_cancel(
    *, campaign: Campaign, actor: User | None = None, api_key: ApiKey | None = None
) -> Campaign:
    """Stop a campaign: no further runs, reminders or unsent emails; its queued invitations
    become cancelled (not failed: nothing went wrong with them)."""
    if campaign.status == CampaignStatus.CANCELLED:
        return campaign
    with transaction.atomic():
        now = timezone.now()
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.CANCELLED, next_run_at=None, updated_at=now
        )
        queued = [
            str(pk)
            for pk in Invitation.objects.filter(
                campaign=campaign, status=InvitationStatus.QUEUED
            ).values_list("pk", flat=True)
        ]
        reason = "campaign cancelled"
        deliveries_cancel(related_type="invitation", related_ids=queued, reason=reason)
        # Reminders already queued (waiting for quiet hours to end) are not sent either.
        everyone = [
            str(pk)
            for pk in Invitation.objects.filter(campaign=campaign).values_list("pk", flat=True)
        ]
        deliveries_cancel(related_type="invitation_reminder", related_ids=everyone, reason=reason)
        Invitation.objects.filter(pk__in=queued, status=InvitationStatus.QUEUED).update(
            status=InvitationStatus.CANCELLED,
            error=_("The campaign was cancelled."),
            updated_at=now,
        )
        activity_record(
            organization=campaign.organization, actor=actor, api_key=api_key,
            verb="campaign.cancelled", target=campaign,
        )  # fmt: skip
    campaign.refresh_from_db()
    return campaign
