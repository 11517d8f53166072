"""Email campaigns at work: sending to the audience in chunks, quiet hours, reminders, recurring
runs, and keeping each invitation's status in step with its email and its response.

Tasks take ids and are safe to run twice: a contact already invited in this run of the campaign
is skipped, every email is an outbox row with an idempotency key, and campaigns are claimed
with conditional UPDATEs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.core import events
from closeloop.core.periodic import periodic
from closeloop.core.tasks import enqueue_on_commit
from closeloop.distribution.choices import (
    CampaignStatus,
    InvitationStatus,
    ListeningChannel,
    RecurrenceUnit,
)
from closeloop.distribution.emails import invitation_email
from closeloop.distribution.frequency import org_policy
from closeloop.distribution.invitations import invitation_advance, invitation_create
from closeloop.distribution.models import Campaign, EmailTemplate, FrequencyPolicy, Invitation
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus
from closeloop.integrations.outbox import (
    ERASED_REASON,
    SendBlock,
    deliveries_cancel,
    delivery_enqueue,
    on_delivery,
    outbox_flush,
    send_check,
)

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.contacts.models import Contact
    from closeloop.surveys.models import Survey

logger = logging.getLogger("closeloop.distribution")

CHUNK_SIZE = 200
INVITATION = "invitation"
REMINDER = "invitation_reminder"
# Statuses of an invitation that may still get a reminder: it reached the contact, who has not
# finished answering (a started survey is worth a nudge too).
REMINDABLE = (InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.STARTED)
OPEN_STATUSES = (InvitationStatus.QUEUED, InvitationStatus.SENT, InvitationStatus.OPENED)
# Last errors of an invitation email cancelled at send time (stable text for the log).
UNSUBSCRIBED_REASON = "contact unsubscribed"


# --- time: quiet hours, periods, recurrence -----------------------------------------------------


def _tz(organization: Organization) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(organization.time_zone or "UTC")


def quiet_hours(
    *, organization: Organization, survey: Survey | None = None
) -> tuple[dt.time | None, dt.time | None]:
    """The quiet hours in force: the survey's own policy's when it sets them, else the org's."""
    if survey is not None:
        own = (
            FrequencyPolicy.objects.filter(organization=organization, survey=survey)
            .values_list("quiet_hours_start", "quiet_hours_end")
            .first()
        )
        if own is not None and own[0] is not None and own[1] is not None:
            return own
    policy = org_policy(organization)
    return policy.quiet_hours_start, policy.quiet_hours_end


def quiet_hours_end(
    *, organization: Organization, at: dt.datetime, survey: Survey | None = None
) -> dt.datetime | None:
    """When `at` falls in the quiet hours (the survey's own, else the org's; in the org's time
    zone), the moment they end."""
    start, end = quiet_hours(organization=organization, survey=survey)
    if start is None or end is None or start == end:
        return None
    tz = _tz(organization)
    local = at.astimezone(tz)
    now = local.time()
    day = local.date()
    if start < end:
        if not start <= now < end:
            return None
    elif now >= start:
        day = day + dt.timedelta(days=1)  # inside a span that crosses midnight, before it
    elif now >= end:
        return None
    return dt.datetime.combine(day, end, tzinfo=tz)


def send_time(
    *, organization: Organization, at: dt.datetime, survey: Survey | None = None
) -> dt.datetime:
    """`at`, or the end of the quiet hours it falls in (the survey's, else the org's)."""
    return quiet_hours_end(organization=organization, at=at, survey=survey) or at


def period_key(campaign: Campaign, at: dt.datetime) -> str:
    """The recurring campaign's period containing `at` (org time): "2026-W47" or "2026-11"."""
    if not campaign.recurrence_every:
        return ""
    local = at.astimezone(_tz(campaign.organization))
    if campaign.recurrence_unit == RecurrenceUnit.WEEKS:
        year, week, _day = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def _add_months(value: dt.datetime, months: int) -> dt.datetime:
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def next_run_after(campaign: Campaign, start: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The first run of a recurring campaign after `now`, stepping from `start` (same local
    time of day, in the org's time zone)."""
    every = max(1, campaign.recurrence_every or 1)
    local = start.astimezone(_tz(campaign.organization))
    steps = 0
    candidate = local
    while candidate <= now:
        steps += 1
        if campaign.recurrence_unit == RecurrenceUnit.WEEKS:
            candidate = local + dt.timedelta(weeks=every * steps)
        else:
            candidate = _add_months(local, every * steps)
    return candidate


# --- audience -----------------------------------------------------------------------------------


def campaign_recipients(campaign: Campaign) -> QuerySet[Contact]:
    """The segment's contacts and the explicit list, once each."""
    from closeloop.contacts.models import Contact
    from closeloop.contacts.selectors import segment_contacts

    condition = Q(pk__in=campaign.contacts.values("pk"))
    if campaign.segment is not None:
        condition |= Q(pk__in=segment_contacts(segment=campaign.segment).values("pk"))
    return Contact.objects.filter(condition, organization_id=campaign.organization_id)


def campaign_template(campaign: Campaign) -> EmailTemplate:
    from closeloop.distribution.campaigns_services import email_template_default

    return campaign.template or email_template_default(organization=campaign.organization)


# --- one email ----------------------------------------------------------------------------------


def invitation_email_enqueue(
    *,
    invitation: Invitation,
    template: EmailTemplate | None,
    not_before: dt.datetime | None = None,
    reminder: int = 0,
    dispatch: bool = False,
) -> Delivery:
    """Render the invitation email (a reminder when `reminder` > 0) into an outbox row."""
    email = invitation_email(invitation=invitation, template=template, reminder=reminder > 0)
    key = f"invitation:{invitation.pk}" + (f":reminder:{reminder}" if reminder else "")
    contact = invitation.contact
    return delivery_enqueue(
        organization=invitation.organization,
        kind=DeliveryKind.EMAIL,
        target=(contact.email or "") if contact is not None else "",
        payload=email.payload(),
        idempotency_key=key,
        related_type=REMINDER if reminder else INVITATION,
        related_id=str(invitation.pk),
        not_before=not_before,
        dispatch=dispatch,
    )


# --- campaign runs ------------------------------------------------------------------------------


def _finish_run(campaign: Campaign, now: dt.datetime) -> None:
    changes: dict[str, Any] = {"finished_at": now, "updated_at": now}
    if campaign.recurrence_every and campaign.recurrence_unit:
        changes["status"] = CampaignStatus.SCHEDULED
        start = campaign.next_run_at or campaign.started_at or now
        # The run's own start counts as "now" too: a run started ahead of the clock (a test,
        # a clock skew) must still move the schedule past itself.
        reference = max(now, campaign.started_at or now)
        changes["next_run_at"] = next_run_after(campaign, start, reference)
    else:
        changes["status"] = CampaignStatus.SENT
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(**changes)


def campaign_process(
    *, campaign_id: Any, chunk_size: int = CHUNK_SIZE, now: dt.datetime | None = None
) -> Campaign | None:
    """Invite the campaign's audience in chunks (frequency rules apply; suppressed invitations
    record the rule) and queue one email per invitation; progress goes to total/processed."""
    campaign = (
        Campaign.objects.select_related("organization", "survey", "template", "segment")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None or campaign.status != CampaignStatus.SENDING:
        return campaign
    started = campaign.started_at or timezone.now()
    period = period_key(campaign, started)
    template = campaign_template(campaign)
    organization = campaign.organization
    done = Invitation.objects.filter(campaign=campaign, period=period).values("contact_id")
    remaining = campaign_recipients(campaign).exclude(pk__in=done).order_by("pk")
    already = Invitation.objects.filter(campaign=campaign, period=period).count()
    Campaign.objects.filter(pk=campaign.pk).update(
        total=already + remaining.count(), processed=already
    )
    last: Any = None
    while True:
        if not Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).exists():
            return campaign  # cancelled meanwhile
        batch = remaining.filter(pk__gt=last) if last is not None else remaining
        contacts = list(batch[:chunk_size])
        if not contacts:
            break
        moment = now or timezone.now()
        send_at = send_time(organization=organization, at=moment, survey=campaign.survey)
        with transaction.atomic():
            for contact in contacts:
                invitation = invitation_create(
                    organization=organization,
                    survey=campaign.survey,
                    contact=contact,
                    channel=ListeningChannel.EMAIL,
                    campaign=campaign,
                    period=period,
                    send_after=send_at,
                    now=moment,
                )
                if invitation.status == InvitationStatus.QUEUED:
                    invitation.organization = organization
                    invitation.survey = campaign.survey
                    invitation.contact = contact
                    invitation_email_enqueue(
                        invitation=invitation, template=template, not_before=send_at
                    )
            Campaign.objects.filter(pk=campaign.pk).update(
                processed=Invitation.objects.filter(campaign=campaign, period=period).count()
            )
            enqueue_on_commit(outbox_flush)
        last = contacts[-1].pk
    campaign.refresh_from_db()
    _finish_run(campaign, now or timezone.now())
    campaign.refresh_from_db()
    return campaign


@task
def campaign_send(campaign_id: str) -> int:
    """Run one send of a campaign (enqueued by send now and by the scheduler)."""
    campaign = campaign_process(campaign_id=campaign_id)
    return campaign.processed if campaign is not None else 0


def campaigns_start_due(*, now: dt.datetime | None = None) -> list[str]:
    """Start every scheduled campaign whose time has come (claimed once); returns their ids."""
    now = now or timezone.now()
    started = []
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, next_run_at__lte=now)
    for pk, next_run_at in due.values_list("pk", "next_run_at"):
        with transaction.atomic():
            claimed = Campaign.objects.filter(
                pk=pk, status=CampaignStatus.SCHEDULED, next_run_at=next_run_at
            ).update(
                status=CampaignStatus.SENDING,
                started_at=now,
                finished_at=None,
                total=0,
                processed=0,
                updated_at=now,
            )
            if claimed:
                enqueue_on_commit(campaign_send, str(pk))
                started.append(str(pk))
    return started


@periodic(every=dt.timedelta(minutes=1), name="distribution.campaigns_due")
@task
def campaigns_due() -> int:
    """Start scheduled and recurring campaigns that are due."""
    return len(campaigns_start_due())


# --- reminders ----------------------------------------------------------------------------------


def _answered(invitation: Invitation) -> bool:
    """Whether the contact finished the survey (the invitation catches up with the response
    if an event was missed); a started, unfinished response still gets its reminder."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import Response

    if invitation.personal_link_id is None:
        return False
    responses = Response.objects.filter(personal_link_id=invitation.personal_link_id)
    response = responses.filter(status=ResponseStatus.COMPLETE).first() or responses.first()
    if response is None:
        return False
    _advance_from_response(invitation.pk, response)
    return bool(response.status == ResponseStatus.COMPLETE)


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind contacts who have not finished answering (not opened, or started and left),
    after the campaign's days, at most its number of reminders; returns how many reminders
    were queued."""
    now = now or timezone.now()
    queued = 0
    campaigns = (
        Campaign.objects.select_related("organization", "survey", "template")
        .filter(reminder_after_days__isnull=False, max_reminders__gt=0)
        .exclude(status__in=[CampaignStatus.DRAFT, CampaignStatus.CANCELLED])
    )
    for campaign in campaigns:
        since = now - dt.timedelta(days=campaign.reminder_after_days or 0)
        invitations = (
            Invitation.objects.select_related("contact")
            .filter(
                campaign=campaign,
                status__in=REMINDABLE,
                reminders_sent__lt=campaign.max_reminders,
                sent_at__isnull=False,
            )
            .annotate(last_sent=Coalesce("last_reminder_at", "sent_at"))
            .filter(last_sent__lte=since)
        )
        template = campaign_template(campaign)
        send_at = send_time(organization=campaign.organization, at=now, survey=campaign.survey)
        for invitation in invitations[:5000]:
            contact = invitation.contact
            if contact is None or not contact.email or not contact.is_subscribed:
                continue
            if _answered(invitation):
                continue
            number = invitation.reminders_sent + 1
            with transaction.atomic():
                claimed = Invitation.objects.filter(
                    pk=invitation.pk, reminders_sent=invitation.reminders_sent
                ).update(reminders_sent=number, last_reminder_at=now, updated_at=now)
                if not claimed:
                    continue
                invitation.organization = campaign.organization
                invitation.survey = campaign.survey
                invitation_email_enqueue(
                    invitation=invitation, template=template, not_before=send_at, reminder=number
                )
                queued += 1
    if queued:
        enqueue_on_commit(outbox_flush)
    return queued


@periodic(every=dt.timedelta(minutes=10), name="distribution.campaign_reminders")
@task
def campaign_reminders() -> int:
    """Queue the reminders that are due."""
    return reminders_send()


# --- keeping invitations in step ----------------------------------------------------------------


def _consent_check(delivery: Delivery) -> SendBlock | None:
    """Consent is checked again right before an invitation email or reminder goes out: the
    contact may have unsubscribed or been erased while it waited (quiet hours, a delay)."""
    from closeloop.contacts.models import Contact

    invitation = (
        Invitation.objects.filter(pk=delivery.related_id).values("contact_id", "status").first()
    )
    if invitation is None:
        return None
    contact = None
    if invitation["contact_id"] is not None:
        contact = (
            Contact.objects.filter(pk=invitation["contact_id"])
            .only("erased_at", "unsubscribed_at")
            .first()
        )
    if contact is None or contact.erased_at is not None:
        return SendBlock(
            reason=ERASED_REASON,
            message=_("The contact was erased (GDPR): nothing is sent to them again."),
        )
    if contact.unsubscribed_at is not None:
        return SendBlock(
            reason=UNSUBSCRIBED_REASON,
            message=_("The contact has unsubscribed: this email is not sent to them again."),
        )
    return None


send_check(INVITATION)(_consent_check)
send_check(REMINDER)(_consent_check)


def _stopped_at_send(delivery: Delivery) -> None:
    """An email cancelled at send time: the invitation says why."""
    if delivery.last_error == UNSUBSCRIBED_REASON:
        invitation_advance(invitation_id=delivery.related_id, status=InvitationStatus.UNSUBSCRIBED)
    elif delivery.last_error == ERASED_REASON and delivery.related_type == INVITATION:
        invitation_advance(
            invitation_id=delivery.related_id,
            status=InvitationStatus.CANCELLED,
            error=_("The contact was erased."),
        )


@on_delivery(REMINDER)
def _reminder_delivered(delivery: Delivery) -> None:
    """A reminder cancelled because the contact unsubscribed: the invitation follows."""
    if delivery.status == DeliveryStatus.CANCELLED:
        _stopped_at_send(delivery)


@on_delivery(INVITATION)
def _invitation_delivered(delivery: Delivery) -> None:
    """The first email was sent (-> sent), finally failed (-> bounced or failed), or was
    cancelled at send time (-> unsubscribed, or cancelled for an erased contact)."""
    if delivery.status == DeliveryStatus.CANCELLED:
        _stopped_at_send(delivery)
    elif delivery.status == DeliveryStatus.SENT:
        invitation_advance(invitation_id=delivery.related_id, status=InvitationStatus.SENT,
                           at=delivery.sent_at)  # fmt: skip
    elif delivery.status == DeliveryStatus.FAILED:
        bounced = (delivery.response_status or 0) >= 500
        invitation_advance(
            invitation_id=delivery.related_id,
            status=InvitationStatus.BOUNCED if bounced else InvitationStatus.FAILED,
            error=delivery.last_error,
        )


def invitation_opened(*, invitation_id: Any) -> bool:
    """The contact's mail client loaded the open pixel."""
    return invitation_advance(invitation_id=invitation_id, status=InvitationStatus.OPENED)


def _advance_from_response(invitation_id: Any, response: Any) -> None:
    from closeloop.responses.choices import ResponseStatus

    Invitation.objects.filter(pk=invitation_id, response__isnull=True).update(response=response.pk)
    invitation_advance(
        invitation_id=invitation_id, status=InvitationStatus.STARTED, at=response.started_at
    )
    if response.status == ResponseStatus.COMPLETE:
        invitation_advance(
            invitation_id=invitation_id,
            status=InvitationStatus.COMPLETED,
            at=response.completed_at,
        )


def _on_response(response_id: Any) -> None:
    from closeloop.responses.models import Response

    response = Response.objects.filter(pk=response_id).first()
    if response is None or response.personal_link_id is None:
        return
    invitation = Invitation.objects.filter(personal_link_id=response.personal_link_id).first()
    if invitation is not None:
        _advance_from_response(invitation.pk, response)


@events.on("response.started")
def on_response_started(*, response_id: Any, **_payload: Any) -> None:
    """A respondent opened their personal link and started: the invitation is started."""
    _on_response(response_id)


@events.on("response.completed")
def on_response_completed(*, response_id: Any, **_payload: Any) -> None:
    """A respondent finished: the invitation is completed and points at the response."""
    _on_response(response_id)


@events.on("contact.unsubscribed")
def on_contact_unsubscribed(*, contact_id: Any, **_payload: Any) -> None:
    """The contact's open invitations become unsubscribed; unsent emails and reminders (of
    started ones too) are cancelled."""
    rows = Invitation.objects.filter(
        contact_id=contact_id, status__in=(*OPEN_STATUSES, InvitationStatus.STARTED)
    ).values_list("pk", "status")
    ids = [str(pk) for pk, status in rows if status in OPEN_STATUSES]
    reason = UNSUBSCRIBED_REASON
    deliveries_cancel(related_type=INVITATION, related_ids=ids, reason=reason)
    deliveries_cancel(
        related_type=REMINDER, related_ids=[str(pk) for pk, _s in rows], reason=reason
    )
    for pk in ids:
        invitation_advance(invitation_id=pk, status=InvitationStatus.UNSUBSCRIBED)
