"""REST endpoints for alert rules and alerts, targets and benchmarks (with their reference
lines), and business metrics (mounted by api/api.py).

Read keys may only GET; every change needs a write key and is recorded as done by that key.
Another organization's ids answer 404. No `from __future__ import annotations`: @paginate
evaluates parameter annotations at import.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from closeloop.analytics.alerts import selectors
from closeloop.analytics.alerts.business import (
    BusinessResult,
    GroupFigures,
    business_metrics,
)
from closeloop.analytics.alerts.describe import (
    event_sentence,
    event_title,
    finding_sentence,
    rule_summary,
)
from closeloop.analytics.alerts.rules import (
    RuleInput,
    alert_rule_create,
    alert_rule_delete,
    alert_rule_update,
    mask_url,
    teams_and_members,
)
from closeloop.analytics.alerts.targets import (
    target_create,
    target_delete,
    target_update,
    targets_for,
)
from closeloop.analytics.metrics import Estimate
from closeloop.analytics.models import AlertEvent, AlertRule, MetricTarget, TargetMetric
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError, NotFoundError

router = Router(tags=["alerts and targets"])


def _find(lookup: Callable[..., Any], request: HttpRequest, pk: Any, field: str) -> Any:
    """An object of the key's organization by id, or 404 naming the field."""
    if pk is None:
        return None
    try:
        return lookup(organization=api_org(request), pk=pk)
    except Http404:
        raise NotFoundError(
            _("There is no such %(what)s.") % {"what": field}, field=field
        ) from None


def _survey(request: HttpRequest, pk: uuid.UUID | None) -> Any:
    from closeloop.surveys.selectors import access_survey

    return _find(access_survey, request, pk, "survey")


def _segment(request: HttpRequest, pk: uuid.UUID | None) -> Any:
    from closeloop.contacts.selectors import access_segment

    return _find(access_segment, request, pk, "segment")


def _touchpoint(request: HttpRequest, pk: uuid.UUID | None) -> Any:
    from closeloop.distribution.journey_selectors import access_touchpoint

    return _find(access_touchpoint, request, pk, "touchpoint")


# --- alert rules ------------------------------------------------------------------------------


class AlertRuleOut(Schema):
    """An alert rule. Webhook URLs are shown shortened; a signing secret only once."""

    id: uuid.UUID
    name: str
    kind: str = Field(description="score_drop, count_above or silence")
    is_active: bool
    metric: str = Field(description="score_drop: nps, csat or ces")
    min_drop: float = Field(description="score_drop: the smallest drop that counts")
    count_of: str = Field(description="count_above: detractors, passives, promoters, responses")
    level: int | None = Field(description="count_above: alert when the count goes above this")
    window_hours: int = Field(
        description="count_above: 1, 6, 24 or 168; silence: hours without a response"
    )
    survey: uuid.UUID | None
    segment: uuid.UUID | None
    touchpoint: uuid.UUID | None
    email_teams: list[uuid.UUID]
    email_members: list[uuid.UUID] = Field(description="Membership ids.")
    slack_webhook_url: str
    teams_webhook_url: str
    webhook_url: str
    webhook_secret: str | None = Field(
        description="The signing secret, only in the answer that made it; null afterwards."
    )
    summary: str = Field(description="What the rule watches, in words.")
    last_checked_at: dt.datetime | None
    last_check: dict[str, Any] = Field(description="What the last check found (status, figures).")
    last_check_sentence: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_survey(obj: AlertRule) -> uuid.UUID | None:
        return obj.survey_id

    @staticmethod
    def resolve_segment(obj: AlertRule) -> uuid.UUID | None:
        return obj.segment_id

    @staticmethod
    def resolve_touchpoint(obj: AlertRule) -> uuid.UUID | None:
        return obj.touchpoint_id

    @staticmethod
    def resolve_email_teams(obj: AlertRule) -> list[uuid.UUID]:
        return [t.pk for t in obj.email_teams.all()]

    @staticmethod
    def resolve_email_members(obj: AlertRule) -> list[uuid.UUID]:
        return [m.pk for m in obj.email_members.all()]

    @staticmethod
    def resolve_slack_webhook_url(obj: AlertRule) -> str:
        return mask_url(obj.slack_webhook_url)

    @staticmethod
    def resolve_teams_webhook_url(obj: AlertRule) -> str:
        return mask_url(obj.teams_webhook_url)

    @staticmethod
    def resolve_webhook_url(obj: AlertRule) -> str:
        return mask_url(obj.webhook_url)

    @staticmethod
    def resolve_webhook_secret(obj: AlertRule) -> str | None:
        return getattr(obj, "revealed_secret", "") or None

    @staticmethod
    def resolve_summary(obj: AlertRule) -> str:
        return rule_summary(obj)

    @staticmethod
    def resolve_last_check_sentence(obj: AlertRule) -> str:
        if not obj.last_check:
            return ""
        return finding_sentence(obj.kind, obj.last_check, time_zone=obj.organization.time_zone)


class AlertRuleIn(Schema):
    """A new alert rule."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    kind: str = Field(description="score_drop, count_above or silence")
    metric: str = ""
    min_drop: float = 0.0
    count_of: str = ""
    level: int | None = None
    window_hours: int = 24
    survey: uuid.UUID | None = None
    segment: uuid.UUID | None = None
    touchpoint: uuid.UUID | None = None
    email_teams: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    email_members: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    slack_webhook_url: str = Field("", max_length=500)
    teams_webhook_url: str = Field("", max_length=500)
    webhook_url: str = Field("", max_length=500)
    webhook_secret: str = Field(
        "", max_length=200, description="Empty with a webhook_url: one is made and returned once."
    )
    is_active: bool = True


class AlertRulePatch(Schema):
    """Changes to a rule; fields left out stay as they are (shortened URLs keep the saved ones)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    kind: str | None = None
    metric: str | None = None
    min_drop: float | None = None
    count_of: str | None = None
    level: int | None = None
    window_hours: int | None = None
    survey: uuid.UUID | None = None
    segment: uuid.UUID | None = None
    touchpoint: uuid.UUID | None = None
    email_teams: list[uuid.UUID] | None = Field(None, max_length=100)
    email_members: list[uuid.UUID] | None = Field(None, max_length=500)
    slack_webhook_url: str | None = Field(None, max_length=500)
    teams_webhook_url: str | None = Field(None, max_length=500)
    webhook_url: str | None = Field(None, max_length=500)
    webhook_secret: str | None = Field(None, max_length=200)
    is_active: bool | None = None


def _rule_input(request: HttpRequest, given: dict[str, Any], base: RuleInput) -> RuleInput:
    plain = (
        "name", "kind", "metric", "min_drop", "count_of", "level", "window_hours",
        "slack_webhook_url", "teams_webhook_url", "webhook_url", "webhook_secret", "is_active",
    )  # fmt: skip
    for name in plain:
        if name in given:
            value = given[name]
            if value is None and name not in ("level",):
                raise DomainError(_("Give a value, or leave the field out."), field=name)
            setattr(base, name, value)
    if "survey" in given:
        base.survey = _survey(request, given["survey"])
    if "segment" in given:
        base.segment = _segment(request, given["segment"])
    if "touchpoint" in given:
        base.touchpoint = _touchpoint(request, given["touchpoint"])
    if "email_teams" in given or "email_members" in given:
        teams, members = teams_and_members(
            api_org(request),
            given.get("email_teams") or ([] if "email_teams" in given else
                                         [t.pk for t in base.email_teams]),
            given.get("email_members") or ([] if "email_members" in given else
                                           [m.pk for m in base.email_members]),
        )  # fmt: skip
        base.email_teams, base.email_members = teams, members
    return base


def _rule(request: HttpRequest, alert_rule_id: uuid.UUID) -> AlertRule:
    return selectors.access_alert_rule(organization=api_org(request), pk=alert_rule_id)


@router.get("/alert-rules", response=with_errors({200: list[AlertRuleOut]}, 400, 422))
@paginate(CursorPagination)
def alert_rules_list(request: HttpRequest) -> QuerySet[AlertRule]:
    """The organization's alert rules, with what their last check found."""
    return selectors.alert_rule_list(organization=api_org(request)).select_related("organization")


@router.post(
    "/alert-rules",
    response=with_errors({201: AlertRuleOut}, 400, 403, 404, 422),
    auth=write_required,
)
def alert_rules_create(request: HttpRequest, payload: AlertRuleIn) -> Status[AlertRule]:
    """Add a rule (write scope). A webhook without a secret gets one, returned this once."""
    given = payload.model_dump()
    data = _rule_input(request, given, RuleInput(name="", kind=""))
    rule = alert_rule_create(organization=api_org(request), data=data, api_key=api_key(request))
    return Status(201, rule)


@router.get("/alert-rules/{alert_rule_id}", response=with_errors({200: AlertRuleOut}, 404))
def alert_rules_read(request: HttpRequest, alert_rule_id: uuid.UUID) -> AlertRule:
    """One alert rule."""
    return _rule(request, alert_rule_id)


@router.patch(
    "/alert-rules/{alert_rule_id}",
    response=with_errors({200: AlertRuleOut}, 400, 403, 404, 422),
    auth=write_required,
)
def alert_rules_update(
    request: HttpRequest, alert_rule_id: uuid.UUID, payload: AlertRulePatch
) -> AlertRule:
    """Change a rule (write scope): pause it with {"is_active": false}."""
    rule = _rule(request, alert_rule_id)
    data = _rule_input(request, payload.model_dump(exclude_unset=True), RuleInput.of(rule))
    return alert_rule_update(rule=rule, data=data, api_key=api_key(request))


@router.delete(
    "/alert-rules/{alert_rule_id}",
    response=with_errors({204: None}, 403, 404),
    auth=write_required,
)
def alert_rules_delete(request: HttpRequest, alert_rule_id: uuid.UUID) -> Status[None]:
    """Delete a rule and its alerts (write scope)."""
    alert_rule_delete(rule=_rule(request, alert_rule_id), api_key=api_key(request))
    return Status(204, None)


class AlertEventOut(Schema):
    """An alert that fired, with the figures behind it and a sentence in the request's language."""

    id: uuid.UUID
    rule: uuid.UUID
    rule_name: str
    kind: str
    period_key: str
    period_start: dt.datetime
    period_end: dt.datetime
    figures: dict[str, Any]
    title: str
    sentence: str
    channels: list[dict[str, Any]] = Field(description="What was queued on each channel.")
    created_at: dt.datetime

    @staticmethod
    def resolve_rule(obj: AlertEvent) -> uuid.UUID:
        return obj.rule_id

    @staticmethod
    def resolve_rule_name(obj: AlertEvent) -> str:
        return obj.rule.name

    @staticmethod
    def resolve_kind(obj: AlertEvent) -> str:
        return obj.rule.kind

    @staticmethod
    def resolve_figures(obj: AlertEvent) -> dict[str, Any]:
        return dict(obj.data)

    @staticmethod
    def resolve_title(obj: AlertEvent) -> str:
        return event_title(obj)

    @staticmethod
    def resolve_sentence(obj: AlertEvent) -> str:
        return event_sentence(obj)


class AlertEventsQuery(Schema):
    rule: uuid.UUID | None = Field(None, description="Only this rule's alerts.")


@router.get("/alert-events", response=with_errors({200: list[AlertEventOut]}, 400, 404, 422))
@paginate(CursorPagination)
def alert_events_list(
    request: HttpRequest, filters: Query[AlertEventsQuery]
) -> QuerySet[AlertEvent]:
    """Alerts that fired, in the order they fired (page with `cursor`)."""
    org = api_org(request)
    rule = None
    if filters.rule is not None:
        rule = _find(selectors.access_alert_rule, request, filters.rule, "rule")
    return selectors.alert_event_list(organization=org, rule=rule).select_related(
        "rule__organization"
    )


# --- targets and benchmarks ---------------------------------------------------------------------


class TargetOut(Schema):
    """A target the organization set, or an industry benchmark with its source."""

    id: uuid.UUID
    kind: str = Field(description="target or benchmark")
    metric: str = Field(description="nps, csat, ces, enps or response_rate")
    value: float
    label: str
    survey: uuid.UUID | None
    segment: uuid.UUID | None
    source: str
    source_url: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_survey(obj: MetricTarget) -> uuid.UUID | None:
        return obj.survey_id

    @staticmethod
    def resolve_segment(obj: MetricTarget) -> uuid.UUID | None:
        return obj.segment_id


class TargetIn(Schema):
    """A new target or benchmark (a benchmark needs `source`)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = "target"
    metric: TargetMetric
    value: float
    label: str = Field("", max_length=120)
    survey: uuid.UUID | None = None
    segment: uuid.UUID | None = None
    source: str = Field("", max_length=300)
    source_url: str = Field("", max_length=500)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class TargetPatch(Schema):
    """Changes to a target or benchmark; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = None
    metric: TargetMetric | None = None
    value: float | None = None
    label: str | None = Field(None, max_length=120)
    survey: uuid.UUID | None = None
    segment: uuid.UUID | None = None
    source: str | None = Field(None, max_length=300)
    source_url: str | None = Field(None, max_length=500)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


def _target_data(request: HttpRequest, given: dict[str, Any]) -> dict[str, Any]:
    data = dict(given)
    for name in ("kind", "metric", "value", "label", "source", "source_url"):
        if name in data and data[name] is None:
            raise DomainError(_("Give a value, or leave the field out."), field=name)
    if "metric" in data:
        data["metric"] = str(data["metric"])
    if "survey" in data:
        data["survey"] = _survey(request, data["survey"])
    if "segment" in data:
        data["segment"] = _segment(request, data["segment"])
    return data


def _target(request: HttpRequest, target_id: uuid.UUID) -> MetricTarget:
    return selectors.access_target(organization=api_org(request), pk=target_id)


@router.get("/targets", response=with_errors({200: list[TargetOut]}, 400, 422))
@paginate(CursorPagination)
def targets_list(request: HttpRequest) -> QuerySet[MetricTarget]:
    """The organization's targets and industry benchmarks."""
    return selectors.target_list(organization=api_org(request))


@router.post(
    "/targets", response=with_errors({201: TargetOut}, 400, 403, 404, 422), auth=write_required
)
def targets_create(request: HttpRequest, payload: TargetIn) -> Status[MetricTarget]:
    """Add a target or benchmark (write scope)."""
    target = target_create(
        organization=api_org(request),
        data=_target_data(request, payload.model_dump()),
        api_key=api_key(request),
    )
    return Status(201, target)


@router.get("/targets/{target_id}", response=with_errors({200: TargetOut}, 404))
def targets_read(request: HttpRequest, target_id: uuid.UUID) -> MetricTarget:
    """One target or benchmark."""
    return _target(request, target_id)


@router.patch(
    "/targets/{target_id}",
    response=with_errors({200: TargetOut}, 400, 403, 404, 422),
    auth=write_required,
)
def targets_update(
    request: HttpRequest, target_id: uuid.UUID, payload: TargetPatch
) -> MetricTarget:
    """Change a target or benchmark (write scope)."""
    target = _target(request, target_id)
    data = _target_data(request, payload.model_dump(exclude_unset=True))
    return target_update(target=target, data=data, api_key=api_key(request))


@router.delete(
    "/targets/{target_id}", response=with_errors({204: None}, 403, 404), auth=write_required
)
def targets_delete(request: HttpRequest, target_id: uuid.UUID) -> Status[None]:
    """Delete a target or benchmark (write scope)."""
    target_delete(target=_target(request, target_id), api_key=api_key(request))
    return Status(204, None)


class ReferenceLinesQuery(Schema):
    metric: TargetMetric
    survey: uuid.UUID | None = Field(None, description="Also this survey's own lines.")
    segment: uuid.UUID | None = Field(None, description="Also this segment's own lines.")
    from_: dt.date | None = Field(None, alias="from", description="Valid on or after this day.")
    to: dt.date | None = Field(None, description="Valid on or before this day.")


class ReferenceLineOut(Schema):
    id: uuid.UUID
    kind: str
    metric: str
    value: float
    label: str = Field(description='"Target 40" or "Industry benchmark 32 (label)".')
    source: str
    source_url: str
    survey: uuid.UUID | None
    segment: uuid.UUID | None
    valid_from: dt.date | None
    valid_to: dt.date | None


@router.get("/reference-lines", response=with_errors({200: list[ReferenceLineOut]}, 404, 422))
def reference_lines(request: HttpRequest, query: Query[ReferenceLinesQuery]) -> list[Any]:
    """The targets and benchmarks a chart of the metric draws (organization-wide plus the
    survey's and segment's own), targets first, the most specific first."""
    return [
        line.as_dict()
        for line in targets_for(
            api_org(request),
            str(query.metric),
            survey=_survey(request, query.survey),
            segment=_segment(request, query.segment),
            date_from=query.from_,
            date_to=query.to,
        )
    ]


# --- business metrics ---------------------------------------------------------------------------


class BusinessQuery(Schema):
    survey: uuid.UUID | None = Field(None, description="A customer survey; default: all of them.")
    from_: dt.date | None = Field(None, alias="from", description="First day (org time zone).")
    to: dt.date | None = Field(None, description="Last day, included.")
    churn: str = Field("", max_length=60, description="A yes/no or date attribute's key.")
    revenue: str = Field("", max_length=60, description="A number attribute's key.")
    event: str = Field("", max_length=100, description="A business event type.")


class EstimateOut(Schema):
    value: float | None = Field(description="Percent for rates; the attribute's unit for means.")
    n: int
    margin_of_error: float | None


class GroupOut(Schema):
    key: str = Field(description="promoters, passives or detractors")
    label: str
    n: int = Field(description="Contacts in the group (0 when hidden).")
    hidden: bool = Field(description="Fewer contacts than the minimum group size.")
    churn_rate: EstimateOut | None
    retention_rate: EstimateOut | None
    event_share: EstimateOut | None
    revenue_mean: EstimateOut | None
    revenue_sum: float | None


class UnresolvedOut(Schema):
    n: int = Field(description="Detractor responses in the period (0 when hidden).")
    hidden: bool
    share: EstimateOut | None = Field(description="Without a resolved case, in percent.")
    no_case: int
    open_case: int
    resolved: int


class BusinessOut(Schema):
    n_contacts: int
    min_group_size: int
    churn_attribute: str
    revenue_attribute: str
    event_type: str
    groups: list[GroupOut]
    revenue_at_risk: float | None = Field(
        description="An estimate: the revenue attribute summed over the detractors."
    )
    revenue_at_risk_hidden: bool
    unresolved: UnresolvedOut | None
    summary: list[str]


def _estimate(estimate: Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {"value": estimate.value, "n": estimate.n, "margin_of_error": estimate.margin_of_error}


def _group(g: GroupFigures) -> dict[str, Any]:
    return {
        "key": g.key,
        "label": g.label,
        "n": g.n,
        "hidden": g.hidden,
        "churn_rate": _estimate(g.churn),
        "retention_rate": _estimate(g.retention),
        "event_share": _estimate(g.event),
        "revenue_mean": _estimate(g.revenue),
        "revenue_sum": g.revenue_sum,
    }


def _business_out(result: BusinessResult) -> dict[str, Any]:
    unresolved = result.unresolved
    return {
        "n_contacts": result.n_contacts,
        "min_group_size": result.min_group_size,
        "churn_attribute": result.churn_attribute,
        "revenue_attribute": result.revenue_attribute,
        "event_type": result.event_type,
        "groups": [_group(g) for g in result.groups],
        "revenue_at_risk": result.revenue_at_risk,
        "revenue_at_risk_hidden": result.revenue_at_risk_hidden,
        "unresolved": None
        if unresolved is None
        else {
            "n": unresolved.n,
            "hidden": unresolved.hidden,
            "share": _estimate(unresolved.share),
            "no_case": unresolved.no_case,
            "open_case": unresolved.open_case,
            "resolved": unresolved.resolved,
        },
        "summary": result.sentences,
    }


@router.get("/business-metrics", response=with_errors({200: BusinessOut}, 400, 404, 422))
def business_metrics_get(request: HttpRequest, query: Query[BusinessQuery]) -> dict[str, Any]:
    """Churn and retention rates, the share with a business event and the mean revenue of
    promoters, passives and detractors (each contact in the group of their latest NPS answer
    in the period), revenue at risk (an estimate) and the unresolved-issue share of detractors.
    Groups under the minimum group size are hidden."""
    result = business_metrics(
        organization=api_org(request),
        survey=_survey(request, query.survey),
        date_from=query.from_,
        date_to=query.to,
        churn_attribute=query.churn.strip(),
        revenue_attribute=query.revenue.strip(),
        event_type=query.event,
    )
    return _business_out(result)
