"""Writes and reads of the org's case settings: defaults, root causes, SLA policies, business
hours, holidays and reply templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import ApiKey, Organization, Team, User
from closeloop.cases.choices import DEFAULT_ROOT_CAUSES, CasePriority
from closeloop.cases.models import (
    BusinessHours,
    CaseSettings,
    Holiday,
    ReplyTemplate,
    RootCause,
    SlaPolicy,
)
from closeloop.cases.sla import Calendar, make_calendar
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.services import activity_record

DEFAULT_FIRST_RESPONSE_HOURS = Decimal(24)
DEFAULT_RESOLUTION_HOURS = Decimal(72)
DEFAULT_OPEN = dt.time(9, 0)
DEFAULT_CLOSE = dt.time(18, 0)


# --- defaults -------------------------------------------------------------------------------


def _settings_row(organization: Organization) -> CaseSettings:
    row = CaseSettings.objects.filter(organization=organization).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return CaseSettings.objects.create(organization=organization)
    except IntegrityError:
        return CaseSettings.objects.get(organization=organization)


def case_defaults_ensure(*, organization: Organization) -> CaseSettings:
    """Give the org its starting root causes, Mon-Fri 09:00-18:00 business hours and a Support
    SLA (24 business hours to first response, 72 to resolution), once: what an admin later
    deletes stays deleted."""
    row = _settings_row(organization)
    if row.defaults_installed_at is not None:
        return row
    with transaction.atomic():
        row = CaseSettings.objects.select_for_update().get(pk=row.pk)
        if row.defaults_installed_at is not None:
            return row
        # Names are the org's data, written in its own language (like the default teams).
        with translation.override(organization.default_language):
            for position, (key, label) in enumerate(DEFAULT_ROOT_CAUSES):
                RootCause.objects.get_or_create(
                    organization=organization,
                    default_key=key,
                    defaults={"name": str(label), "position": position},
                )
            support_name = str(_("Support SLA"))
            default_name = str(_("Default SLA"))
        if not BusinessHours.objects.filter(organization=organization).exists():
            BusinessHours.objects.bulk_create(
                BusinessHours(
                    organization=organization, weekday=d, start=DEFAULT_OPEN, end=DEFAULT_CLOSE
                )
                for d in range(5)
            )
        support = Team.objects.filter(organization=organization, slug="support").first()
        if support is not None:
            SlaPolicy.objects.get_or_create(
                organization=organization,
                team=support,
                priority="",
                defaults={
                    "name": support_name,
                    "first_response_hours": DEFAULT_FIRST_RESPONSE_HOURS,
                    "resolution_hours": DEFAULT_RESOLUTION_HOURS,
                },
            )
        SlaPolicy.objects.get_or_create(
            organization=organization,
            team=None,
            priority="",
            defaults={
                "name": default_name,
                "first_response_hours": DEFAULT_FIRST_RESPONSE_HOURS,
                "resolution_hours": DEFAULT_RESOLUTION_HOURS,
            },
        )
        row.defaults_installed_at = timezone.now()
        row.save(update_fields=["defaults_installed_at", "updated_at"])
    return row


# --- reads ----------------------------------------------------------------------------------


def root_causes(*, organization: Organization, active_only: bool = False) -> QuerySet[RootCause]:
    qs = RootCause.objects.filter(organization=organization)
    return qs.filter(is_active=True) if active_only else qs


def sla_policies(*, organization: Organization) -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.filter(organization=organization).select_related("team")


def reply_templates(
    *, organization: Organization, active_only: bool = False
) -> QuerySet[ReplyTemplate]:
    qs = ReplyTemplate.objects.filter(organization=organization)
    return qs.filter(is_active=True) if active_only else qs


def sla_policy_for(
    *, organization: Organization, team: Team | None, priority: str
) -> SlaPolicy | None:
    """The policy that applies: team and priority, else the team's default, else the org's
    policy for the priority, else the org's default."""
    candidates = list(
        SlaPolicy.objects.filter(organization=organization)
        .filter(Q(team=team) | Q(team__isnull=True) if team is not None else Q(team__isnull=True))
        .filter(priority__in=[priority, ""])
    )

    def rank(p: SlaPolicy) -> tuple[int, int]:
        return (0 if p.team_id is not None else 1, 0 if p.priority else 1)

    return min(candidates, key=rank) if candidates else None


def org_calendar(*, organization: Organization) -> Calendar:
    """The org's business hours and holidays in its time zone."""
    hours = [
        (h.weekday, h.start, h.end) for h in BusinessHours.objects.filter(organization=organization)
    ]
    holidays = Holiday.objects.filter(organization=organization).values_list("date", flat=True)
    return make_calendar(time_zone=organization.time_zone, hours=hours, holidays=holidays)


# --- root causes ----------------------------------------------------------------------------


def _clean_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give it a name."), field=field)
    return name


def root_cause_create(
    *,
    organization: Organization,
    name: str,
    description: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> RootCause:
    """Add a root cause to the org's taxonomy."""
    name = _clean_name(name)
    if RootCause.objects.filter(organization=organization, name__iexact=name).exists():
        raise ConflictError(_("This root cause exists already."), field="name")
    last = RootCause.objects.filter(organization=organization).order_by("-position").first()
    cause = RootCause.objects.create(
        organization=organization,
        name=name,
        description=description.strip(),
        position=(last.position + 1) if last else 0,
    )
    activity_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        verb="root_cause.created",
        target=cause,
    )
    return cause


def root_cause_update(
    *,
    root_cause: RootCause,
    name: str,
    description: str = "",
    is_active: bool = True,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> RootCause:
    """Rename, describe, or retire a root cause (retired ones stay on past cases)."""
    name = _clean_name(name)
    clash = RootCause.objects.filter(
        organization_id=root_cause.organization_id, name__iexact=name
    ).exclude(pk=root_cause.pk)
    if clash.exists():
        raise ConflictError(_("This root cause exists already."), field="name")
    root_cause.name = name
    root_cause.description = description.strip()
    root_cause.is_active = is_active
    root_cause.save(update_fields=["name", "description", "is_active", "updated_at"])
    activity_record(
        organization=root_cause.organization,
        actor=actor,
        api_key=api_key,
        verb="root_cause.updated",
        target=root_cause,
    )
    return root_cause


def root_cause_delete(
    *, root_cause: RootCause, actor: User | None = None, api_key: ApiKey | None = None
) -> None:
    """Delete an unused root cause; one used on cases can only be retired."""
    if root_cause.cases.exists():
        raise ConflictError(
            _("Cases use this root cause: retire it instead (untick Active)."), field="name"
        )
    activity_record(
        organization=root_cause.organization,
        actor=actor,
        api_key=api_key,
        verb="root_cause.deleted",
        target=root_cause,
    )
    root_cause.delete()


# --- SLA policies, business hours, holidays -------------------------------------------------


def sla_policy_save(
    *,
    organization: Organization,
    team: Team | None,
    priority: str,
    first_response_hours: Decimal,
    resolution_hours: Decimal,
    business_hours_only: bool = True,
    escalate_to_lead: bool = True,
    raise_priority: bool = True,
    name: str = "",
    policy: SlaPolicy | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> SlaPolicy:
    """Create or change the SLA policy of a team (or every team) and priority (or any)."""
    if priority and priority not in CasePriority.values:
        raise DomainError(_("Choose a priority."), field="priority")
    if first_response_hours <= 0:
        raise DomainError(_("Give a number of hours above zero."), field="first_response_hours")
    if resolution_hours < first_response_hours:
        raise DomainError(
            _("Resolution cannot be due before the first response."), field="resolution_hours"
        )
    clash = SlaPolicy.objects.filter(organization=organization, team=team, priority=priority)
    if policy is not None:
        clash = clash.exclude(pk=policy.pk)
    if clash.exists():
        raise ConflictError(
            _("A policy for this team and priority exists already: change that one."),
            field="priority",
        )
    target = policy or SlaPolicy(organization=organization)
    target.team = team
    target.priority = priority
    target.name = name.strip()
    target.first_response_hours = first_response_hours
    target.resolution_hours = resolution_hours
    target.business_hours_only = business_hours_only
    target.escalate_to_lead = escalate_to_lead
    target.raise_priority = raise_priority
    target.save()
    activity_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        verb="sla_policy.updated" if policy else "sla_policy.created",
        target=target,
    )
    return target


def sla_policy_delete(
    *, policy: SlaPolicy, actor: User | None = None, api_key: ApiKey | None = None
) -> None:
    """Delete an SLA policy; cases keep the due times they have."""
    activity_record(
        organization=policy.organization,
        actor=actor,
        api_key=api_key,
        verb="sla_policy.deleted",
        target=policy,
    )
    policy.delete()


def business_hours_set(
    *,
    organization: Organization,
    hours: dict[int, tuple[dt.time, dt.time] | None],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> list[BusinessHours]:
    """Replace the opening hours: weekday -> (opens, closes), or None when closed."""
    for day, window in hours.items():
        if window is not None and window[1] <= window[0]:
            raise DomainError(_("Closing time must be after opening time."), field=f"day_{day}")
    with transaction.atomic():
        BusinessHours.objects.filter(organization=organization).delete()
        rows = BusinessHours.objects.bulk_create(
            BusinessHours(organization=organization, weekday=day, start=w[0], end=w[1])
            for day, w in sorted(hours.items())
            if w is not None
        )
        activity_record(
            organization=organization,
            actor=actor,
            api_key=api_key,
            verb="business_hours.updated",
            data={
                str(d): [w[0].isoformat(), w[1].isoformat()] if w else None
                for d, w in hours.items()
            },
        )
    return rows


def holiday_add(
    *,
    organization: Organization,
    date: dt.date,
    name: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Holiday:
    """Close the org on a date (SLA clocks in business hours skip it)."""
    name = _clean_name(name)
    if Holiday.objects.filter(organization=organization, date=date).exists():
        raise ConflictError(_("This date is a holiday already."), field="date")
    holiday = Holiday.objects.create(organization=organization, date=date, name=name)
    activity_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        verb="holiday.added",
        target=holiday,
    )
    return holiday


def holiday_delete(
    *, holiday: Holiday, actor: User | None = None, api_key: ApiKey | None = None
) -> None:
    """Open the org again on a date."""
    activity_record(
        organization=holiday.organization,
        actor=actor,
        api_key=api_key,
        verb="holiday.deleted",
        target=holiday,
    )
    holiday.delete()


# --- reply templates ------------------------------------------------------------------------


def _clean_texts(texts: dict[str, Any]) -> dict[str, dict[str, str]]:
    clean: dict[str, dict[str, str]] = {}
    languages = {code for code, _label in settings.LANGUAGES}
    for lang, value in texts.items():
        if lang not in languages:
            raise DomainError(
                _("Write templates in %(languages)s.")
                % {"languages": ", ".join(sorted(languages))},
                field=f"texts.{lang}",
            )
        subject = str((value or {}).get("subject", "")).strip()
        body = str((value or {}).get("body", "")).strip()
        if subject or body:
            if not body:
                raise DomainError(_("Write the message."), field=f"body_{lang}")
            clean[lang] = {"subject": subject, "body": body}
    if not clean:
        raise DomainError(_("Write the message in at least one language."), field="texts")
    return clean


def reply_template_save(
    *,
    organization: Organization,
    name: str,
    texts: dict[str, Any],
    is_active: bool = True,
    template: ReplyTemplate | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> ReplyTemplate:
    """Create or change a reply template (subject and body per language)."""
    name = _clean_name(name)
    clash = ReplyTemplate.objects.filter(organization=organization, name__iexact=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise ConflictError(_("A template with this name exists already."), field="name")
    target = template or ReplyTemplate(organization=organization)
    target.name = name
    target.texts = _clean_texts(texts)
    target.is_active = is_active
    target.save()
    activity_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        verb="reply_template.updated" if template else "reply_template.created",
        target=target,
    )
    return target


def reply_template_delete(
    *, template: ReplyTemplate, actor: User | None = None, api_key: ApiKey | None = None
) -> None:
    """Delete a reply template; replies sent from it keep their text."""
    activity_record(
        organization=template.organization,
        actor=actor,
        api_key=api_key,
        verb="reply_template.deleted",
        target=template,
    )
    template.delete()


# --- team inboxes ---------------------------------------------------------------------------

MAX_INBOX_TAGS = 30


def clean_inbox_tags(tags: Iterable[str]) -> list[str]:
    """Tags as rules store them on responses (trimmed, case-folded), once each, in order."""
    clean: list[str] = []
    for tag in tags:
        value = str(tag).strip().casefold()[:60]
        if value and value not in clean:
            clean.append(value)
    return clean


def team_inbox_tags_set(
    *,
    team: Team,
    tags: Iterable[str],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Team:
    """Set the tags a team owns: responses and cases with any of them show in its inbox."""
    clean = clean_inbox_tags(tags)
    if len(clean) > MAX_INBOX_TAGS:
        raise DomainError(
            _("A team can own at most %(n)d tags.") % {"n": MAX_INBOX_TAGS}, field="inbox_tags"
        )
    before = list(team.inbox_tags or [])
    team.inbox_tags = clean
    team.save(update_fields=["inbox_tags", "updated_at"])
    activity_record(
        organization=team.organization,
        actor=actor,
        api_key=api_key,
        verb="team.inbox_tags_updated",
        target=team,
        data={"before": before, "after": clean},
    )
    return team
