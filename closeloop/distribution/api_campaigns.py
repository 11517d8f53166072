"""REST endpoints for email campaigns, invitations and invitation email templates."""

import datetime as dt
import uuid
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError
from closeloop.distribution import campaigns_selectors as selectors
from closeloop.distribution import campaigns_services as services
from closeloop.distribution.choices import InvitationStatus, RecurrenceUnit
from closeloop.distribution.models import Campaign, EmailTemplate, Invitation, Touchpoint

router = Router(tags=["campaigns"])


class CampaignIn(Schema):
    """A campaign of a survey to a segment and/or listed contacts; `send` says when."""

    name: str = Field(max_length=200)
    survey_id: uuid.UUID
    segment_id: uuid.UUID | None = None
    contact_ids: list[uuid.UUID] = Field(default_factory=list, max_length=5000)
    touchpoint_id: uuid.UUID | None = None
    template_id: uuid.UUID | None = Field(None, description="Empty: the default template.")
    send: Literal["draft", "now", "later"] = "draft"
    scheduled_at: dt.datetime | None = Field(None, description='Needed with send="later".')
    reminder_after_days: int | None = Field(3, ge=1, le=60)
    max_reminders: int = Field(1, ge=0, le=5)
    recurrence_every: int | None = Field(None, ge=1, le=52)
    recurrence_unit: Literal["", "weeks", "months"] = ""


class CampaignOut(Schema):
    id: uuid.UUID
    name: str
    survey_id: uuid.UUID
    segment_id: uuid.UUID | None
    template_id: uuid.UUID | None
    touchpoint_id: uuid.UUID | None
    status: str
    scheduled_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    next_run_at: dt.datetime | None
    reminder_after_days: int | None
    max_reminders: int
    recurrence_every: int | None
    recurrence_unit: str
    total: int
    processed: int
    counts: dict[str, int] = Field(description="Invitations per status.")
    created_at: dt.datetime

    @staticmethod
    def resolve_counts(obj: Campaign) -> dict[str, int]:
        return selectors.campaign_status_counts(campaign=obj)


class InvitationOut(Schema):
    id: uuid.UUID
    survey_id: uuid.UUID
    contact_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    trigger_id: uuid.UUID | None
    channel: str
    language: str
    status: str
    status_label: str
    suppressed_reason: str | None = Field(description="The rule that stopped it, if not sent.")
    suppressed_reason_label: str | None
    period: str
    sent_at: dt.datetime | None
    opened_at: dt.datetime | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    reminders_sent: int
    response_id: uuid.UUID | None
    created_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj: Invitation) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_suppressed_reason(obj: Invitation) -> str | None:
        return obj.suppressed_reason or None

    @staticmethod
    def resolve_suppressed_reason_label(obj: Invitation) -> str | None:
        return str(obj.get_suppressed_reason_display()) if obj.suppressed_reason else None


class TemplateTexts(Schema):
    subject: str = ""
    body: str = ""
    button: str = ""


class EmailTemplateIn(Schema):
    name: str = Field(max_length=120)
    texts: dict[str, TemplateTexts] = Field(
        description='Per language code: {"en": {"subject": ..., "body": ..., "button": ...}}. '
        "Placeholders: {{contact.first_name}}, {{survey.name}}, {{organization.name}}."
    )


class EmailTemplateOut(Schema):
    id: uuid.UUID
    name: str
    texts: dict[str, dict[str, str]]
    created_at: dt.datetime
    updated_at: dt.datetime


def _campaign(request: HttpRequest, campaign_id: uuid.UUID) -> Campaign:
    return selectors.access_campaign(organization=api_org(request), pk=campaign_id)


def _lookup(model: Any, organization: Any, pk: uuid.UUID | None, field: str) -> Any:
    if pk is None:
        return None
    obj = model.objects.filter(organization=organization, pk=pk).first()
    if obj is None:
        raise DomainError(_("Not found in this organization."), field=f"body.{field}")
    return obj


@router.get("/campaigns", response=with_errors({200: list[CampaignOut]}, 400, 422))
@paginate(CursorPagination)
def campaigns_list(request: HttpRequest) -> QuerySet[Campaign]:
    """Email campaigns, oldest first, with invitation counts per status."""
    return selectors.campaign_list(organization=api_org(request))


@router.post(
    "/campaigns",
    response=with_errors({201: CampaignOut}, 400, 403, 409, 422),
    auth=write_required,
)
def campaigns_create(request: HttpRequest, payload: CampaignIn) -> Status[Campaign]:
    """Create a campaign (write scope) and send it now, schedule it, or keep it as a draft."""
    from closeloop.contacts.models import Contact, Segment
    from closeloop.surveys.models import Survey

    org = api_org(request)
    key = api_key(request)
    contacts = list(Contact.objects.filter(organization=org, pk__in=payload.contact_ids))
    if len(contacts) != len(set(payload.contact_ids)):
        raise DomainError(
            _("Some contacts are not in this organization."), field="body.contact_ids"
        )
    if payload.send == "later" and payload.scheduled_at is None:
        raise DomainError(_("Give scheduled_at to send later."), field="body.scheduled_at")
    if payload.recurrence_unit and payload.recurrence_unit not in RecurrenceUnit.values:
        raise DomainError(_("Choose weeks or months."), field="body.recurrence_unit")
    campaign = services.campaign_create(
        organization=org,
        api_key=key,
        name=payload.name,
        survey=_lookup(Survey, org, payload.survey_id, "survey_id"),
        segment=_lookup(Segment, org, payload.segment_id, "segment_id"),
        touchpoint=_lookup(Touchpoint, org, payload.touchpoint_id, "touchpoint_id"),
        template=_lookup(EmailTemplate, org, payload.template_id, "template_id"),
        contacts=contacts,
        reminder_after_days=payload.reminder_after_days,
        max_reminders=payload.max_reminders,
        recurrence_every=payload.recurrence_every,
        recurrence_unit=payload.recurrence_unit,
    )
    if payload.send == "now":
        campaign = services.campaign_send_now(campaign=campaign, api_key=key)
    elif payload.send == "later" and payload.scheduled_at is not None:
        campaign = services.campaign_schedule(
            campaign=campaign, at=payload.scheduled_at, api_key=key
        )
    return Status(201, campaign)


@router.get("/campaigns/{campaign_id}", response=with_errors({200: CampaignOut}, 404))
def campaigns_detail(request: HttpRequest, campaign_id: uuid.UUID) -> Campaign:
    """One campaign with its progress and invitation counts per status."""
    return _campaign(request, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/send",
    response=with_errors({202: CampaignOut}, 400, 403, 404, 409),
    auth=write_required,
)
def campaigns_send(request: HttpRequest, campaign_id: uuid.UUID) -> Status[Campaign]:
    """Start sending a draft or scheduled campaign now, in the background (write scope)."""
    campaign = services.campaign_send_now(
        campaign=_campaign(request, campaign_id), api_key=api_key(request)
    )
    return Status(202, campaign)


@router.post(
    "/campaigns/{campaign_id}/cancel",
    response=with_errors({200: CampaignOut}, 403, 404),
    auth=write_required,
)
def campaigns_cancel(request: HttpRequest, campaign_id: uuid.UUID) -> Campaign:
    """Cancel a campaign: no more runs, reminders or unsent emails (write scope)."""
    campaign = services.campaign_cancel(
        campaign=_campaign(request, campaign_id), api_key=api_key(request)
    )
    return campaign


@router.get("/invitations", response=with_errors({200: list[InvitationOut]}, 400, 422))
@paginate(CursorPagination)
def invitations_list(
    request: HttpRequest,
    contact: uuid.UUID | None = None,
    survey: uuid.UUID | None = None,
    status: str = "",
    campaign: uuid.UUID | None = None,
) -> QuerySet[Invitation]:
    """Invitations of every channel, oldest first, each with its status and, if it was not
    sent, the rule that stopped it (`suppressed_reason` and a readable label)."""
    if status and status not in InvitationStatus.values:
        raise DomainError(
            _("Unknown status; use one of: %(list)s")
            % {"list": ", ".join(InvitationStatus.values)},
            field="status",
        )
    return selectors.invitation_list(
        organization=api_org(request),
        status=status,
        survey=survey,
        contact=contact,
        campaign=campaign,
    )


@router.get("/email-templates", response=with_errors({200: list[EmailTemplateOut]}, 400, 422))
@paginate(CursorPagination)
def email_templates_list(request: HttpRequest) -> QuerySet[EmailTemplate]:
    """Invitation email templates, oldest first (the default one is created if missing)."""
    org = api_org(request)
    services.email_template_default(organization=org)
    return selectors.email_template_list(organization=org)


@router.post(
    "/email-templates",
    response=with_errors({201: EmailTemplateOut}, 400, 403, 422),
    auth=write_required,
)
def email_templates_create(request: HttpRequest, payload: EmailTemplateIn) -> Status[EmailTemplate]:
    """Create an invitation email template with texts per language (write scope)."""
    template = services.email_template_create(
        organization=api_org(request),
        api_key=api_key(request),
        name=payload.name,
        texts={code: texts.dict() for code, texts in payload.texts.items()},
    )
    return Status(201, template)
