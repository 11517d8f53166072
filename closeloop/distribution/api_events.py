"""REST endpoints for business events, trigger rules and contact frequency rules.

No `from __future__ import annotations`: @paginate evaluates parameter annotations at import.
"""

import datetime as dt
import uuid
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.errors import problem
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.distribution import events_selectors as selectors
from closeloop.distribution import events_services as services
from closeloop.distribution.models import Event, FrequencyPolicy, TriggerRule
from closeloop.surveys.selectors import access_survey

router = Router(tags=["events and triggers"])


# --- schemas -----------------------------------------------------------------------------------


class EventContactIn(Schema):
    """Who the event is about: found by external id or email, created if new."""

    email: str | None = None
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    phone: str | None = None
    kind: Literal["customer", "employee"] | None = Field(
        None, description="customer (default for a new contact) or employee."
    )
    attributes: dict[str, Any] | None = Field(
        None,
        description="Attributes to set on the contact; a key seen for the first time is "
        "defined, typed by its value.",
    )


class EventIn(Schema):
    """A business event: a purchase, a delivery, a closed support ticket (any type)."""

    contact: EventContactIn
    type: str = Field(description="Any string, e.g. purchase or support_ticket_closed.")
    properties: dict[str, Any] = Field(default_factory=dict)
    time: str | None = Field(
        None, description="When it happened, ISO 8601 (no time zone: UTC). Default: now."
    )
    id: str | None = Field(
        None, description="Your id for the event: sending it again does nothing (idempotent)."
    )


class EventBatchIn(Schema):
    """Up to 500 events, each handled on its own."""

    events: list[dict[str, Any]] = Field(max_length=services.MAX_BATCH)


class EventDetailOut(Schema):
    """What one trigger rule did with the event, or why it did nothing."""

    model_config = ConfigDict(extra="allow")

    rule: str
    name: str
    result: Literal["scheduled", "conditions_not_met", "sampled_out", "suppressed"]
    message: str
    reason: str | None = None
    invitation: str | None = None
    send_after: str | None = None


class EventOut(Schema):
    """An event and what it triggered."""

    id: uuid.UUID
    type: str
    event_id: str = Field(description="Your idempotency id, if you sent one.")
    contact: uuid.UUID | None
    properties: dict[str, Any]
    time: dt.datetime
    outcome: str
    details: list[EventDetailOut]
    received_at: dt.datetime
    duplicates: int = Field(
        0, description="How many times the same id was sent again after this event (retries)."
    )
    last_duplicate_at: dt.datetime | None = Field(
        None, description="When the id was last sent again."
    )

    @staticmethod
    def resolve_type(obj: Event) -> str:
        return obj.event_type

    @staticmethod
    def resolve_contact(obj: Event) -> uuid.UUID | None:
        return obj.contact_id  # type: ignore[return-value]

    @staticmethod
    def resolve_time(obj: Event) -> dt.datetime:
        return obj.occurred_at

    @staticmethod
    def resolve_received_at(obj: Event) -> dt.datetime:
        return obj.created_at

    @staticmethod
    def resolve_details(obj: Event) -> list[dict[str, Any]]:
        return selectors.event_details(obj)


class EventIngestOut(EventOut):
    """The stored event; `duplicate` when its id was seen before (nothing was triggered)."""

    duplicate: bool = False


class BatchItemOut(Schema):
    index: int
    id: uuid.UUID | None = None
    outcome: str | None = None
    duplicate: bool = False
    details: list[dict[str, Any]] = Field(default_factory=list)
    errors: list[dict[str, str]] = Field(default_factory=list)


class BatchOut(Schema):
    accepted: int
    duplicates: int
    errors: int
    results: list[BatchItemOut]


class TriggerRuleIn(Schema):
    """A trigger rule: when an event of a type arrives and its conditions hold, invite."""

    model_config = ConfigDict(extra="forbid")

    name: str
    event_type: str
    conditions: dict[str, Any] | list[dict[str, Any]] | None = Field(
        None,
        description='{"match": "all"|"any", "rules": [{"field": "properties.total", '
        '"op": "gte", "value": 30000}]}; fields properties.<key>, attribute.<key>, '
        "contact.language, contact.kind; ops eq ne lt lte gt gte in not_in contains exists "
        "not_exists.",
    )
    delay_minutes: int = 0
    sample_percent: int = 100
    channel: Literal["email", "widget"] = "email"
    survey: uuid.UUID
    touchpoint: uuid.UUID | None = None
    template: uuid.UUID | None = None
    is_active: bool = True


class TriggerRulePatch(Schema):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    event_type: str | None = None
    conditions: dict[str, Any] | list[dict[str, Any]] | None = None
    delay_minutes: int | None = None
    sample_percent: int | None = None
    channel: Literal["email", "widget"] | None = None
    survey: uuid.UUID | None = None
    touchpoint: uuid.UUID | None = None
    template: uuid.UUID | None = None
    is_active: bool | None = None


class TriggerRuleOut(Schema):
    id: uuid.UUID
    name: str
    event_type: str
    conditions: dict[str, Any]
    delay_minutes: int
    sample_percent: int
    channel: str
    survey: uuid.UUID
    survey_name: str
    touchpoint: uuid.UUID | None
    template: uuid.UUID | None
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_survey(obj: TriggerRule) -> Any:
        return obj.survey_id

    @staticmethod
    def resolve_survey_name(obj: TriggerRule) -> str:
        return obj.survey.name

    @staticmethod
    def resolve_touchpoint(obj: TriggerRule) -> Any:
        return obj.touchpoint_id

    @staticmethod
    def resolve_template(obj: TriggerRule) -> Any:
        return obj.template_id


class FrequencyPolicyIn(Schema):
    """The rules in full (PUT): a field left out or null switches that rule off."""

    model_config = ConfigDict(extra="forbid")

    min_days_between: int = Field(description="At most one invitation per contact per N days.")
    max_per_month: int | None = Field(None, description="At most N invitations in 30 days.")
    skip_if_completed_within_days: int | None = Field(
        None, description="Skip if the contact answered this survey within N days."
    )
    skip_if_declined_within_days: int | None = Field(
        None, description="Skip if the contact declined this survey within N days."
    )
    quiet_hours_start: str | None = Field(None, description="HH:MM, if quiet hours are supported.")
    quiet_hours_end: str | None = None


class FrequencyPolicyOut(Schema):
    survey: uuid.UUID | None
    inherited: bool = Field(description="True when the survey follows the org-wide rules.")
    min_days_between: int
    max_per_month: int | None
    skip_if_completed_within_days: int | None
    skip_if_declined_within_days: int | None
    quiet_hours_start: str | None = None
    quiet_hours_end: str | None = None


# --- helpers -----------------------------------------------------------------------------------


def _invalid(exc: services.InputInvalid, prefix: str = "body.") -> HttpResponse:
    errors = [{"field": f"{prefix}{k}", "message": v} for k, v in exc.errors.items()]
    return problem(
        status=422,
        title=_("The request is not valid."),
        detail=f"{errors[0]['field']}: {errors[0]['message']}",
        code="validation",
        field=errors[0]["field"],
        errors=errors,
    )


def _event_out(event: Event, duplicate: bool) -> Event:
    event.duplicate = duplicate  # type: ignore[attr-defined]
    return event


def _policy_out(policy: FrequencyPolicy, survey_id: Any, inherited: bool) -> dict[str, Any]:
    def hhmm(name: str) -> str | None:
        value = getattr(policy, name, None)
        return value.strftime("%H:%M") if value is not None else None

    return {
        "survey": survey_id,
        "inherited": inherited,
        "min_days_between": policy.min_days_between,
        "max_per_month": policy.max_per_month,
        "skip_if_completed_within_days": policy.skip_if_completed_within_days,
        "skip_if_declined_within_days": policy.skip_if_declined_within_days,
        "quiet_hours_start": hhmm("quiet_hours_start"),
        "quiet_hours_end": hhmm("quiet_hours_end"),
    }


def _policy_data(payload: FrequencyPolicyIn) -> dict[str, Any]:
    allowed = services.policy_fields()
    return {k: v for k, v in payload.dict().items() if k in allowed}


# --- events ------------------------------------------------------------------------------------


@router.post(
    "/events",
    response=with_errors({200: EventIngestOut, 202: EventIngestOut}, 403, 409, 422),
    auth=write_required,
)
def events_ingest(request: HttpRequest, payload: EventIn) -> Any:
    """Send a business event (write scope). The contact is found or created, every active
    trigger rule of the type runs, and the answer says what each did: 202. An id sent before
    returns the first event with `duplicate: true` (200), counts the repeat in its
    `duplicates`, and triggers nothing."""
    try:
        result = services.event_ingest(
            organization=api_org(request),
            contact=payload.contact.dict(exclude_none=True),
            event_type=payload.type,
            properties=payload.properties,
            occurred_at=payload.time,
            event_id=payload.id,
            api_key=api_key(request),
        )
    except services.InputInvalid as exc:
        return _invalid(exc)
    return Status(200 if result.duplicate else 202, _event_out(result.event, result.duplicate))


@router.post("/events/batch", response=with_errors({202: BatchOut}, 403, 422), auth=write_required)
def events_batch(request: HttpRequest, payload: EventBatchIn) -> Any:
    """Send up to 500 events (write scope); each is handled on its own and its result names
    its index and, if refused, the fields at fault."""
    try:
        results = services.event_ingest_batch(
            organization=api_org(request), items=payload.events, api_key=api_key(request)
        )
    except services.InputInvalid as exc:
        return _invalid(exc)
    items = []
    for item in results:
        row: dict[str, Any] = {"index": item.index, "errors": item.errors or []}
        if item.result is not None:
            row.update(
                id=item.result.event.pk,
                outcome=item.result.event.outcome,
                duplicate=item.result.duplicate,
                details=selectors.event_details(item.result.event),
            )
        items.append(row)
    return Status(
        202,
        {
            "accepted": sum(1 for r in results if r.result and not r.result.duplicate),
            "duplicates": sum(1 for r in results if r.result and r.result.duplicate),
            "errors": sum(1 for r in results if r.errors),
            "results": items,
        },
    )


@router.get("/events", response=with_errors({200: list[EventOut]}, 400, 422))
@paginate(CursorPagination)
def events_list(
    request: HttpRequest,
    type: str | None = None,
    contact: str | None = None,
    outcome: Literal["triggered", "no_rule", "suppressed", "duplicate"] | None = None,
) -> QuerySet[Event]:
    """Events, oldest first; filter by type, contact (id, email or external id) and outcome
    (`duplicate`: events whose id was sent more than once)."""
    return selectors.event_list(
        organization=api_org(request), event_type=type, outcome=outcome, contact=contact
    )


@router.get("/events/{event_id}", response=with_errors({200: EventOut}, 404))
def events_detail(request: HttpRequest, event_id: uuid.UUID) -> Event:
    """One event and what each trigger rule did with it."""
    return selectors.access_event(organization=api_org(request), pk=event_id)


# --- trigger rules -----------------------------------------------------------------------------


def _rule(request: HttpRequest, rule_id: uuid.UUID) -> TriggerRule:
    return selectors.access_trigger_rule(organization=api_org(request), pk=rule_id)


@router.get("/trigger-rules", response=with_errors({200: list[TriggerRuleOut]}, 400, 422))
@paginate(CursorPagination)
def trigger_rules_list(
    request: HttpRequest, event_type: str | None = None
) -> QuerySet[TriggerRule]:
    """Trigger rules, oldest first; filter by event type."""
    return selectors.trigger_rule_list(organization=api_org(request), event_type=event_type)


@router.post(
    "/trigger-rules",
    response=with_errors({201: TriggerRuleOut}, 403, 422),
    auth=write_required,
)
def trigger_rules_create(request: HttpRequest, payload: TriggerRuleIn) -> Any:
    """Create a trigger rule (write scope)."""
    try:
        rule = services.trigger_rule_create(
            organization=api_org(request),
            actor=None,
            api_key=api_key(request),
            data=payload.dict(),
        )
    except services.InputInvalid as exc:
        return _invalid(exc)
    return Status(201, _rule(request, rule.pk))


@router.get("/trigger-rules/{rule_id}", response=with_errors({200: TriggerRuleOut}, 404))
def trigger_rules_detail(request: HttpRequest, rule_id: uuid.UUID) -> TriggerRule:
    """One trigger rule."""
    return _rule(request, rule_id)


@router.patch(
    "/trigger-rules/{rule_id}",
    response=with_errors({200: TriggerRuleOut}, 403, 404, 422),
    auth=write_required,
)
def trigger_rules_update(
    request: HttpRequest, rule_id: uuid.UUID, payload: TriggerRulePatch
) -> Any:
    """Change a trigger rule's fields (write scope)."""
    rule = _rule(request, rule_id)
    try:
        services.trigger_rule_update(
            rule=rule, actor=None, api_key=api_key(request), data=payload.dict(exclude_unset=True)
        )
    except services.InputInvalid as exc:
        return _invalid(exc)
    return _rule(request, rule_id)


@router.delete(
    "/trigger-rules/{rule_id}", response=with_errors({204: None}, 403, 404), auth=write_required
)
def trigger_rules_delete(request: HttpRequest, rule_id: uuid.UUID) -> Status[None]:
    """Delete a trigger rule (write scope); events it handled and invitations stay."""
    services.trigger_rule_delete(rule=_rule(request, rule_id), actor=None, api_key=api_key(request))
    return Status(204, None)


# --- frequency policies ------------------------------------------------------------------------


@router.get("/frequency-policy", response=with_errors({200: FrequencyPolicyOut}))
def frequency_policy_get(request: HttpRequest) -> dict[str, Any]:
    """The org-wide contact frequency rules, for every channel."""
    policies = selectors.frequency_policies(organization=api_org(request))
    return _policy_out(policies.org, None, inherited=False)


@router.put(
    "/frequency-policy",
    response=with_errors({200: FrequencyPolicyOut}, 403, 422),
    auth=write_required,
)
def frequency_policy_put(request: HttpRequest, payload: FrequencyPolicyIn) -> Any:
    """Replace the org-wide contact frequency rules (write scope)."""
    try:
        policy = services.frequency_policy_update(
            organization=api_org(request),
            actor=None,
            api_key=api_key(request),
            data=_policy_data(payload),
        )
    except services.InputInvalid as exc:
        return _invalid(exc)
    return _policy_out(policy, None, inherited=False)


@router.get(
    "/surveys/{survey_id}/frequency-policy",
    response=with_errors({200: FrequencyPolicyOut}, 404),
)
def survey_frequency_policy_get(request: HttpRequest, survey_id: uuid.UUID) -> dict[str, Any]:
    """The rules in force for a survey: its own, or the org-wide ones (`inherited`)."""
    org = api_org(request)
    survey = access_survey(organization=org, pk=survey_id)
    own = selectors.survey_policy(organization=org, survey=survey)
    if own is not None:
        return _policy_out(own, survey.pk, inherited=False)
    return _policy_out(selectors.frequency_policies(organization=org).org, survey.pk, True)


@router.put(
    "/surveys/{survey_id}/frequency-policy",
    response=with_errors({200: FrequencyPolicyOut}, 403, 404, 422),
    auth=write_required,
)
def survey_frequency_policy_put(
    request: HttpRequest, survey_id: uuid.UUID, payload: FrequencyPolicyIn
) -> Any:
    """Give a survey its own frequency rules, which replace the org-wide ones for it."""
    org = api_org(request)
    survey = access_survey(organization=org, pk=survey_id)
    try:
        policy = services.frequency_policy_update(
            organization=org,
            survey=survey,
            actor=None,
            api_key=api_key(request),
            data=_policy_data(payload),
        )
    except services.InputInvalid as exc:
        return _invalid(exc)
    return _policy_out(policy, survey.pk, inherited=False)


@router.delete(
    "/surveys/{survey_id}/frequency-policy",
    response=with_errors({204: None}, 403, 404),
    auth=write_required,
)
def survey_frequency_policy_delete(request: HttpRequest, survey_id: uuid.UUID) -> Status[None]:
    """Remove a survey's own frequency rules: the org-wide ones apply again (write scope)."""
    org = api_org(request)
    survey = access_survey(organization=org, pk=survey_id)
    services.frequency_policy_remove(
        organization=org, survey=survey, actor=None, api_key=api_key(request)
    )
    return Status(204, None)
