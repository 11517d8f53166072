"""Analytics endpoints: GET /api/v1/metrics (other areas register their own routers)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from closeloop.analytics.metrics import (
    Basis,
    Metric,
    MetricFilters,
    metric_compare,
    metric_compute,
)
from closeloop.analytics.metrics.schemas import MetricOut, metric_data
from closeloop.api.auth import api_org
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError

router = Router(tags=["analytics"])


class MetricsQuery(Schema):
    metric: Metric = Field(
        description="nps, csat, ces, enps, rating, choice, response_rate, start_rate or "
        "completion_rate."
    )
    survey: list[uuid.UUID] = Field(
        default_factory=list,
        description="Survey ids (repeatable). Default: every customer survey (employee "
        "surveys for enps).",
    )
    question: str | None = Field(
        None,
        max_length=64,
        description="A question key; default: each version's first question of the metric's "
        "type (choice: the first choice question).",
    )
    from_: dt.date | None = Field(None, alias="from", description="First day (org time zone).")
    to: dt.date | None = Field(None, description="Last day, included.")
    group_by: str = Field(
        "none",
        max_length=80,
        description="none, day, week, month, quarter (org time zone), touchpoint, channel, "
        "language, survey, or attribute:<key>.",
    )
    touchpoint: list[uuid.UUID] = Field(default_factory=list, description="Touchpoint ids.")
    channel: list[str] = Field(default_factory=list, description="Channels (repeatable).")
    language: list[str] = Field(default_factory=list, description="Languages (repeatable).")
    segment: uuid.UUID | None = Field(None, description="Only contacts in this segment.")
    team: uuid.UUID | None = Field(
        None, description="Only responses routed to this team or with one of its cases."
    )
    attribute: str | None = Field(
        None, max_length=200, description="key:value: the contact's attribute has this value."
    )
    basis: Basis = Field(
        Basis.RESPONSE, description="response (every response) or latest (per contact)."
    )
    compare: Literal["previous_period"] | None = Field(
        None, description="previous_period: also the period of the same length before."
    )


def _filters(request: HttpRequest, query: MetricsQuery) -> MetricFilters:
    from closeloop.cases.selectors import access_team
    from closeloop.contacts.selectors import access_segment
    from closeloop.distribution.journey_selectors import access_touchpoint
    from closeloop.surveys.selectors import access_survey

    organization = api_org(request)
    attribute: tuple[str, str] | None = None
    if query.attribute is not None:
        key, sep, value = query.attribute.partition(":")
        if not sep or not key.strip():
            raise DomainError(
                _("Write the attribute filter as key:value."),
                field="attribute",
                code="invalid-attribute",
            )
        attribute = (key.strip(), value.strip())
    return MetricFilters(
        surveys=tuple(access_survey(organization=organization, pk=pk) for pk in query.survey),
        question=query.question or None,
        date_from=query.from_,
        date_to=query.to,
        touchpoints=tuple(
            access_touchpoint(organization=organization, pk=pk) for pk in query.touchpoint
        ),
        channels=tuple(query.channel),
        languages=tuple(query.language),
        team=access_team(organization=organization, pk=query.team) if query.team else None,
        segment=(
            access_segment(organization=organization, pk=query.segment) if query.segment else None
        ),
        attribute=attribute,
    )


@router.get("/metrics", response=with_errors({200: MetricOut}, 400, 404, 422), by_alias=True)
def metrics_get(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    """A metric with n, 95% margin of error and the counts behind it, per group and in total;
    groups under the minimum group size are hidden (also against subtraction from the total).
    With `compare=previous_period` (needs `from` and `to`), also the previous period and the
    change, saying in words whether it is larger than the noise. A read key is enough."""
    organization = api_org(request)
    filters = _filters(request, query)
    options: dict[str, Any] = {
        "organization": organization,
        "metric": query.metric,
        "filters": filters,
        "group_by": query.group_by,
        "basis": query.basis,
    }
    if query.compare == "previous_period":
        comparison = metric_compare(**options)
        return metric_data(comparison.current, comparison)
    return metric_data(metric_compute(**options))
