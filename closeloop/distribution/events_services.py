"""Writes for event-triggered surveys: ingesting business events, trigger rules, and the
contact frequency policies (org-wide and per survey)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.contacts.attributes import KEY_RE
from closeloop.contacts.choices import AttributeType, DedupeBy
from closeloop.contacts.models import AttributeDefinition, Contact
from closeloop.contacts.services import (
    attribute_definition_create,
    clean_contact_data,
    contact_upsert_values,
    find_existing,
)
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs
from closeloop.distribution.choices import (
    EventOutcome,
    InvitationStatus,
    ListeningChannel,
)
from closeloop.distribution.conditions import (
    ConditionsInvalid,
    condition_context,
    conditions_evaluate,
    validate_conditions,
)
from closeloop.distribution.invitations import invitation_create
from closeloop.distribution.models import (
    EmailTemplate,
    Event,
    FrequencyPolicy,
    Invitation,
    Touchpoint,
    TriggerRule,
)
from closeloop.surveys.models import Survey

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User

MAX_BATCH = 500
MAX_PROPERTIES_BYTES = 16_000
MAX_DELAY_MINUTES = 60 * 24 * 365
MAX_DAYS = 3650
TRIGGER_CHANNELS = (ListeningChannel.EMAIL, ListeningChannel.WIDGET)
EVENT_TYPE_RE = re.compile(r"^[^\s]{1,100}$")
CONTACT_KEYS = ("email", "external_id", "first_name", "last_name", "language", "phone", "kind")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Per-rule results stored in Event.details.
RESULT_SCHEDULED = "scheduled"
RESULT_CONDITIONS = "conditions_not_met"
RESULT_SAMPLED_OUT = "sampled_out"
RESULT_SUPPRESSED = "suppressed"

register_verbs(
    {
        "trigger_rule.created": gettext_lazy("created a trigger rule"),
        "trigger_rule.updated": gettext_lazy("changed a trigger rule"),
        "trigger_rule.deleted": gettext_lazy("deleted a trigger rule"),
        "frequency_policy.updated": gettext_lazy("changed the contact frequency rules"),
        "frequency_policy.removed": gettext_lazy("removed a survey's own frequency rules"),
    }
)


class InputInvalid(DomainError):
    """Input with one or more fields at fault; `errors` maps each field to a message."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, message = next(iter(errors.items()))
        super().__init__(message, field=first_field, code="validation")
        self.errors = errors


@dataclass(frozen=True)
class IngestResult:
    """The stored event and whether it repeated an event id seen before (and so did nothing)."""

    event: Event
    duplicate: bool


def _repeated(event: Event, now: dt.datetime) -> IngestResult:
    """The event id arrived again (a client's retry): count it on the first event, which is
    returned as it was; nothing is triggered again."""
    Event.objects.filter(pk=event.pk).update(duplicates=F("duplicates") + 1, last_duplicate_at=now)
    event.refresh_from_db(fields=["duplicates", "last_duplicate_at"])
    return IngestResult(event=event, duplicate=True)


# --- events ------------------------------------------------------------------------------------


def parse_event_time(value: Any, *, field: str = "time") -> dt.datetime:
    """An aware datetime from a datetime or ISO 8601 text; without a time zone, UTC."""
    if isinstance(value, dt.datetime):
        parsed: dt.datetime | None = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise InputInvalid({field: _("Give the time as ISO 8601, e.g. 2026-05-01T14:30:00+09:00.")})
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return AttributeType.BOOLEAN
    if isinstance(value, int | float):
        return AttributeType.NUMBER
    if isinstance(value, str) and DATE_RE.match(value.strip()):
        return AttributeType.DATE
    return AttributeType.TEXT


def _definitions(
    organization: Organization, attributes: Mapping[str, Any], api_key: ApiKey | None
) -> dict[str, AttributeDefinition]:
    """The organization's attribute definitions; keys an event sends for the first time are
    defined on the spot, typed by their first value."""
    definitions = {d.key: d for d in AttributeDefinition.objects.filter(organization=organization)}
    errors: dict[str, str] = {}
    for key, value in attributes.items():
        key = str(key)
        if key in definitions or value is None:
            continue
        if not KEY_RE.match(key) or "__" in key:
            errors[f"contact.attributes.{key}"] = _(
                "Attribute keys use lower-case letters, digits and single underscores, "
                "starting with a letter."
            )
            continue
        try:
            with transaction.atomic():
                definitions[key] = attribute_definition_create(
                    organization=organization,
                    key=key,
                    type=_infer_type(value),
                    actor=None,
                    api_key=api_key,
                )
        except (ConflictError, IntegrityError):  # defined by a concurrent event meanwhile
            definitions[key] = AttributeDefinition.objects.get(organization=organization, key=key)
    if errors:
        raise InputInvalid(errors)
    return definitions


def _unchanged(contact: Contact, values: Mapping[str, Any]) -> bool:
    for name, value in values.items():
        if name == "attributes":
            current = contact.attributes or {}
            if any(current.get(k) != v for k, v in value.items()):
                return False
        elif getattr(contact, name) != value:
            return False
    return True


def event_contact(
    *, organization: Organization, data: Any, api_key: ApiKey | None = None
) -> Contact:
    """The contact an event is about: found by external id or email, created if new, its
    fields and attributes updated with what the event says."""
    if not isinstance(data, Mapping):
        raise InputInvalid(
            {"contact": _("Give the contact as an object with email or external_id.")}
        )
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise InputInvalid(
            {"contact.attributes": _("Attributes must be an object of key and value.")}
        )
    raw = {k: data[k] for k in CONTACT_KEYS if data.get(k) not in (None, "")}
    if not (raw.get("email") or raw.get("external_id")):
        raise InputInvalid({"contact.email": _("Give the contact's email or external_id.")})
    definitions = _definitions(organization, attributes, api_key)
    if attributes:
        raw["attributes"] = attributes
    values, errors = clean_contact_data(raw, definitions)
    if errors:
        raise InputInvalid({f"contact.{k}": v for k, v in errors.items()})
    match_by = DedupeBy.EXTERNAL_ID if values.get("external_id") else DedupeBy.EMAIL
    existing = find_existing(organization, values, match_by)
    if existing is not None and existing.erased_at is None and _unchanged(existing, values):
        return existing
    try:
        with transaction.atomic():
            contact, _created = contact_upsert_values(
                organization=organization, values=values, match_by=match_by
            )
    except DomainError as exc:
        field = f"contact.{exc.field}" if exc.field else "contact"
        if isinstance(exc, ConflictError):
            raise ConflictError(exc.message, field=field, code=exc.code) from None
        raise InputInvalid({field: exc.message}) from None
    return contact


def _sampled_in(rule: TriggerRule, event: Event) -> bool:
    """Sampling: the same event id always lands on the same side for a rule; without an id,
    a coin toss."""
    if rule.sample_percent >= 100:
        return True
    if rule.sample_percent <= 0:
        return False
    if event.event_id:
        digest = hashlib.sha256(f"{event.event_id}:{rule.pk}".encode()).hexdigest()
        bucket = int(digest[:12], 16) % 100
    else:
        bucket = random.randrange(100)
    return bucket < rule.sample_percent


def _apply_rule(
    rule: TriggerRule, event: Event, contact: Contact, context: Mapping[str, Any], now: dt.datetime
) -> dict[str, Any]:
    """Run one trigger rule for the event; what happened, for the event log."""
    detail: dict[str, Any] = {"rule": str(rule.pk), "name": rule.name}
    result = conditions_evaluate(rule.conditions or {}, context)
    if not result.matched:
        detail["result"] = RESULT_CONDITIONS
        detail["condition"] = result.failed
        detail["actual"] = result.actual if _jsonable(result.actual) else str(result.actual)
        return detail
    if not _sampled_in(rule, event):
        detail["result"] = RESULT_SAMPLED_OUT
        detail["sample_percent"] = rule.sample_percent
        return detail
    send_after = event.occurred_at + dt.timedelta(minutes=rule.delay_minutes)
    invitation = invitation_create(
        organization=event.organization,
        survey=rule.survey,
        contact=contact,
        channel=rule.channel,
        trigger=rule,
        event=event,
        touchpoint=rule.touchpoint,
        send_after=send_after,
        # Frequency rules are judged at the time it will go out (an overdue one: at once).
        now=max(now, send_after),
    )
    detail["invitation"] = str(invitation.pk)
    if invitation.status == InvitationStatus.SUPPRESSED:
        detail["result"] = RESULT_SUPPRESSED
        detail["reason"] = invitation.suppressed_reason
    else:
        detail["result"] = RESULT_SCHEDULED
        detail["send_after"] = _schedule_delivery(invitation, rule, now).isoformat()
        detail["channel"] = rule.channel
    return detail


def _schedule_delivery(invitation: Invitation, rule: TriggerRule, now: dt.datetime) -> dt.datetime:
    """An email invitation goes into the outbox now, due at its send time (after the survey's
    quiet hours, else the org's); the outbox's periodic flush sends it then. A widget
    invitation waits for the contact's next visit. Returns when it is due."""
    from closeloop.distribution.campaigns_services import email_template_default
    from closeloop.distribution.sending import invitation_email_enqueue, send_time

    assert invitation.send_after is not None
    if rule.channel != ListeningChannel.EMAIL:
        return invitation.send_after
    organization = invitation.organization
    due = send_time(
        organization=organization, at=max(invitation.send_after, now), survey=rule.survey
    )
    if due != invitation.send_after:
        invitation.send_after = due
        invitation.save(update_fields=["send_after", "updated_at"])
    invitation_email_enqueue(
        invitation=invitation,
        template=rule.template or email_template_default(organization=organization),
        not_before=due,
        dispatch=due <= now,
    )
    return due


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _outcome(details: list[dict[str, Any]]) -> str:
    results = {d["result"] for d in details}
    if RESULT_SCHEDULED in results:
        return EventOutcome.TRIGGERED
    if results & {RESULT_SAMPLED_OUT, RESULT_SUPPRESSED}:
        return EventOutcome.SUPPRESSED
    return EventOutcome.NO_RULE


def _clean_event(
    *, event_type: Any, properties: Any, occurred_at: Any, event_id: Any, now: dt.datetime
) -> tuple[str, dict[str, Any], dt.datetime, str]:
    errors: dict[str, str] = {}
    etype = str(event_type or "").strip() if isinstance(event_type, str | None) else ""
    if not etype:
        errors["type"] = _("Give the event's type, e.g. purchase or support_ticket_closed.")
    elif not EVENT_TYPE_RE.match(etype):
        errors["type"] = _("The type is up to 100 characters without spaces.")
    props = properties if properties is not None else {}
    if not isinstance(props, Mapping):
        errors["properties"] = _("Properties must be an object of key and value.")
        props = {}
    elif not _jsonable(props) or len(json.dumps(props)) > MAX_PROPERTIES_BYTES:
        errors["properties"] = _("Keep the properties under 16 KB of JSON.")
    eid = "" if event_id is None else str(event_id).strip()
    if len(eid) > 200:
        errors["id"] = _("Keep the event id under 200 characters.")
    when = now
    if occurred_at not in (None, ""):
        try:
            when = parse_event_time(occurred_at)
        except InputInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise InputInvalid(errors)
    return etype, dict(props), when, eid


def event_ingest(
    *,
    organization: Organization,
    contact: Any,
    event_type: Any,
    properties: Any = None,
    occurred_at: Any = None,
    event_id: Any = None,
    api_key: ApiKey | None = None,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Store a business event for a contact (found, created or updated) and run every active
    trigger rule of its type; a repeated event id returns the first event, counts the repeat
    on it (`duplicates`) and triggers nothing."""
    now = now or timezone.now()
    etype, props, when, eid = _clean_event(
        event_type=event_type,
        properties=properties,
        occurred_at=occurred_at,
        event_id=event_id,
        now=now,
    )
    if eid:
        seen = Event.objects.filter(organization=organization, event_id=eid).first()
        if seen is not None:
            return _repeated(seen, now)
    with transaction.atomic():
        person = event_contact(organization=organization, data=contact, api_key=api_key)
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    organization=organization,
                    contact=person,
                    event_type=etype,
                    event_id=eid,
                    properties=props,
                    occurred_at=when,
                )
        except IntegrityError:
            # The same id arrived concurrently and won the race.
            seen = Event.objects.filter(organization=organization, event_id=eid).first()
            if seen is None:
                raise
            return _repeated(seen, now)
        rules = list(
            TriggerRule.objects.filter(
                organization=organization, event_type=etype, is_active=True
            ).select_related("survey", "survey__organization", "touchpoint")
        )
        context = condition_context(properties=props, contact=person)
        details = [_apply_rule(rule, event, person, context, now) for rule in rules]
        event.details = details
        event.outcome = _outcome(details) if details else EventOutcome.NO_RULE
        event.save(update_fields=["details", "outcome", "updated_at"])
    return IngestResult(event=event, duplicate=False)


@dataclass
class BatchItemResult:
    """What happened to one event of a batch: stored (maybe a duplicate) or refused."""

    index: int
    result: IngestResult | None = None
    errors: list[dict[str, str]] | None = None


def event_ingest_batch(
    *,
    organization: Organization,
    items: Sequence[Mapping[str, Any]],
    api_key: ApiKey | None = None,
    now: dt.datetime | None = None,
) -> list[BatchItemResult]:
    """Ingest up to 500 events, each on its own: a bad one is reported and the rest go in."""
    if len(items) > MAX_BATCH:
        raise InputInvalid(
            {"events": _("Send at most %(max)d events at a time.") % {"max": MAX_BATCH}}
        )
    results = []
    for index, item in enumerate(items):
        prefix = f"events[{index}]"
        outcome = BatchItemResult(index=index)
        try:
            outcome.result = event_ingest(
                organization=organization,
                contact=item.get("contact"),
                event_type=item.get("type"),
                properties=item.get("properties"),
                occurred_at=item.get("time"),
                event_id=item.get("id"),
                api_key=api_key,
                now=now,
            )
        except InputInvalid as exc:
            outcome.errors = [
                {"field": f"{prefix}.{k}", "message": v} for k, v in exc.errors.items()
            ]
        except DomainError as exc:
            field = f"{prefix}.{exc.field}" if exc.field else prefix
            outcome.errors = [{"field": field, "message": exc.message}]
        results.append(outcome)
    return results


# --- trigger rules -----------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "event_type",
    "conditions",
    "delay_minutes",
    "sample_percent",
    "channel",
    "survey",
    "touchpoint",
    "template",
    "is_active",
)


def _owned[M: (Survey, Touchpoint, EmailTemplate)](
    model: type[M], organization: Organization, value: Any
) -> M | None:
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value if value.organization_id == organization.pk else None
    try:
        return model.objects.filter(organization=organization, pk=str(value)).first()
    except (ValueError, TypeError, ValidationError):  # a malformed id is simply not found
        return None


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _clean_rule(organization: Organization, data: Mapping[str, Any], rule: TriggerRule) -> None:
    """Apply the given fields to the rule, collecting a message for each field at fault."""
    errors: dict[str, str] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors["name"] = _("Give the rule a name.")
        elif len(name) > 200:
            errors["name"] = _("Keep the name under 200 characters.")
        rule.name = name
    if "event_type" in data:
        etype = str(data["event_type"] or "").strip()
        if not etype:
            errors["event_type"] = _("Give the event type this rule listens for.")
        elif not EVENT_TYPE_RE.match(etype):
            errors["event_type"] = _("The type is up to 100 characters without spaces.")
        rule.event_type = etype
    if "conditions" in data:
        try:
            rule.conditions = validate_conditions(data["conditions"])
        except ConditionsInvalid as exc:
            errors[exc.field or "conditions"] = exc.message
    if "delay_minutes" in data:
        delay = _int(data["delay_minutes"], 0, MAX_DELAY_MINUTES)
        if delay is None:
            errors["delay_minutes"] = _("The delay is 0 to 525600 minutes (a year).")
        else:
            rule.delay_minutes = delay
    if "sample_percent" in data:
        percent = _int(data["sample_percent"], 0, 100)
        if percent is None:
            errors["sample_percent"] = _("Sampling is a whole percentage from 0 to 100.")
        else:
            rule.sample_percent = percent
    if "channel" in data:
        if data["channel"] not in TRIGGER_CHANNELS:
            errors["channel"] = _("The channel is “email” or “widget”.")
        else:
            rule.channel = str(data["channel"])
    if "survey" in data:
        survey = _owned(Survey, organization, data["survey"])
        if survey is None:
            errors["survey"] = _("Choose one of this organization's surveys.")
        elif survey.current_version_id is None:
            errors["survey"] = _("Publish the survey first.")
        else:
            rule.survey = survey
    elif rule._state.adding:
        errors["survey"] = _("Choose the survey to send.")
    if "touchpoint" in data:
        touchpoint = _owned(Touchpoint, organization, data["touchpoint"])
        if data["touchpoint"] not in (None, "") and touchpoint is None:
            errors["touchpoint"] = _("Choose one of this organization's touchpoints.")
        rule.touchpoint = touchpoint
    if "template" in data:
        template = _owned(EmailTemplate, organization, data["template"])
        if data["template"] not in (None, "") and template is None:
            errors["template"] = _("Choose one of this organization's email templates.")
        rule.template = template
    if "is_active" in data:
        rule.is_active = bool(data["is_active"])
    if rule._state.adding:
        for required in ("name", "event_type"):
            if required not in data:
                errors.setdefault(required, _("This field is required."))
    if errors:
        raise InputInvalid(errors)


def trigger_rule_create(
    *,
    organization: Organization,
    actor: User | None,
    api_key: ApiKey | None = None,
    data: Mapping[str, Any],
) -> TriggerRule:
    """Create a trigger rule: event type + conditions + delay + sampling + channel -> survey."""
    rule = TriggerRule(organization=organization)
    _clean_rule(organization, data, rule)
    rule.save()
    activity_record(
        organization=organization, actor=actor, api_key=api_key, verb="trigger_rule.created",
        target=rule, data={"event_type": rule.event_type},
    )  # fmt: skip
    return rule


def trigger_rule_update(
    *,
    rule: TriggerRule,
    actor: User | None,
    api_key: ApiKey | None = None,
    data: Mapping[str, Any],
) -> TriggerRule:
    """Change the given fields of a trigger rule (events already handled stay as they were)."""
    _clean_rule(rule.organization, data, rule)
    rule.save()
    activity_record(
        organization=rule.organization, actor=actor, api_key=api_key,
        verb="trigger_rule.updated", target=rule,
        data={"fields": sorted(k for k in data if k in RULE_FIELDS)},
    )  # fmt: skip
    return rule


def trigger_rule_delete(
    *, rule: TriggerRule, actor: User | None, api_key: ApiKey | None = None
) -> None:
    """Delete a trigger rule; its invitations and the events it handled stay."""
    activity_record(
        organization=rule.organization, actor=actor, api_key=api_key,
        verb="trigger_rule.deleted", target=rule,
    )  # fmt: skip
    rule.delete()


# --- frequency policies ------------------------------------------------------------------------

POLICY_FIELDS = (
    "min_days_between",
    "max_per_month",
    "skip_if_completed_within_days",
    "skip_if_declined_within_days",
)
OPTIONAL_POLICY_FIELDS = frozenset(
    {"max_per_month", "skip_if_completed_within_days", "skip_if_declined_within_days"}
)
QUIET_HOUR_FIELDS = ("quiet_hours_start", "quiet_hours_end")


def policy_fields() -> tuple[str, ...]:
    """The policy's editable fields; quiet hours too when the model has them."""
    names = {f.name for f in FrequencyPolicy._meta.get_fields()}
    return POLICY_FIELDS + tuple(f for f in QUIET_HOUR_FIELDS if f in names)


def _clean_policy(data: Mapping[str, Any], policy: FrequencyPolicy) -> None:
    errors: dict[str, str] = {}
    for name in policy_fields():
        if name not in data:
            continue
        value = data[name]
        if name in QUIET_HOUR_FIELDS:
            if value in (None, ""):
                setattr(policy, name, None)
                continue
            if isinstance(value, dt.time):
                setattr(policy, name, value)
                continue
            try:
                setattr(policy, name, dt.time.fromisoformat(str(value)))
            except ValueError:
                errors[name] = _("Give a time such as 21:00.")
            continue
        if value in (None, "") and name in OPTIONAL_POLICY_FIELDS:
            setattr(policy, name, None)
            continue
        high = 100 if name == "max_per_month" else MAX_DAYS
        low = 1 if name == "max_per_month" else 0
        number = _int(value, low, high)
        if number is None:
            errors[name] = _("Give a whole number from %(low)d to %(high)d.") % {
                "low": low,
                "high": high,
            }
            continue
        setattr(policy, name, number)
    if errors:
        raise InputInvalid(errors)


def frequency_policy_update(
    *,
    organization: Organization,
    survey: Survey | None = None,
    actor: User | None,
    api_key: ApiKey | None = None,
    data: Mapping[str, Any],
) -> FrequencyPolicy:
    """Set the org-wide frequency rules (survey None) or a survey's own, which then replace
    the org-wide ones for that survey."""
    if survey is not None and survey.organization_id != organization.pk:
        raise DomainError(_("Choose one of this organization's surveys."), field="survey")
    with transaction.atomic():
        policy = (
            FrequencyPolicy.objects.select_for_update()
            .filter(organization=organization, survey=survey)
            .first()
        )
        if policy is None:
            if survey is not None:
                # A new override starts from the org-wide rules, then changes what is given.
                from closeloop.distribution.frequency import org_policy

                base = org_policy(organization)
                policy = FrequencyPolicy(organization=organization, survey=survey)
                for name in policy_fields():
                    setattr(policy, name, getattr(base, name))
            else:
                policy = FrequencyPolicy(organization=organization, survey=None)
        _clean_policy(data, policy)
        policy.save()
        activity_record(
            organization=organization, actor=actor, api_key=api_key,
            verb="frequency_policy.updated", target=survey,
            data={k: getattr(policy, k) for k in POLICY_FIELDS},
        )  # fmt: skip
    return policy


def frequency_policy_remove(
    *, organization: Organization, survey: Survey, actor: User | None, api_key: ApiKey | None = None
) -> None:
    """Drop a survey's own frequency rules: the org-wide rules apply to it again."""
    deleted, _rows = FrequencyPolicy.objects.filter(
        organization=organization, survey=survey
    ).delete()
    if deleted:
        activity_record(
            organization=organization, actor=actor, api_key=api_key,
            verb="frequency_policy.removed", target=survey,
        )  # fmt: skip
