"""Metric results as plain data: the API's response schemas and the function that fills them
(dashboards use the same dicts for their charts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from closeloop.analytics.metrics.results import GroupResult, MetricComparison, MetricResult
from closeloop.analytics.metrics.stats import Comparison, Estimate


class PartOut(Schema):
    key: str
    label: str
    count: int
    share: float | None = Field(description="Percent of the group's n.")
    margin_of_error: float | None


class ChangeOut(Schema):
    difference: float | None = Field(description="Current minus previous, in the metric's unit.")
    margin_of_error: float | None = Field(
        description="95% margin of the difference: 1.96 x sqrt(SE1² + SE2²)."
    )
    exceeds_noise: bool = Field(description="Whether |difference| is larger than the margin.")
    sentence: str = Field(description='e.g. "Up 8 points, more than the margin of error (±5)."')


class GroupOut(Schema):
    key: str = Field(description="The group's key: a day (ISO), an id, a channel, a value...")
    label: str
    value: float | None = Field(
        description="NPS (-100..100), percent (CSAT, rates), or mean score (CES, rating); "
        "null when hidden or without answers (and for choice distributions)."
    )
    n: int | None = Field(description="Responses counted; null when the group is hidden.")
    margin_of_error: float | None = Field(description="95%, in the value's unit.")
    low: float | None = Field(description="The 95% interval (adjusted under 30 answers).")
    high: float | None
    counts: dict[str, int] | None = Field(
        description="NPS: promoters, passives, detractors; CSAT: satisfied, other; CES: easy, "
        "other; choice: each choice; rates: the numerator and denominator. Null when hidden."
    )
    hidden: bool = Field(description="Fewer responses than the minimum group size.")
    parts: list[PartOut] | None = None
    histogram: dict[int, int] | None = Field(None, description="Answers per score.")
    start: dt.date | None = Field(None, description="Time groupings: the period's first day.")
    change: ChangeOut | None = None


class MetricOut(Schema):
    metric: str
    basis: str = Field(description="`response` (every response) or `latest` (per contact).")
    basis_label: str
    source: str = Field(description="`rollup` (daily rollups) or `raw` (the answers).")
    group_by: str
    unit: str = Field(description="points, percent, score or count")
    min_group_size: int
    questions: list[str] = Field(description="The question keys read.")
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")
    groups: list[GroupOut]
    total: GroupOut
    previous: MetricOut | None = None
    change: ChangeOut | None = None


def change_data(change: Comparison) -> dict[str, Any]:
    return {
        "difference": change.difference,
        "margin_of_error": change.margin_of_error,
        "exceeds_noise": change.exceeds_noise,
        "sentence": change.sentence,
    }


def _parts(group: GroupResult) -> list[dict[str, Any]] | None:
    if group.hidden or not group.parts:
        return None
    return [
        {
            "key": part.key,
            "label": part.label,
            "count": part.count,
            "share": part.estimate.value,
            "margin_of_error": part.estimate.margin_of_error,
        }
        for part in group.parts
    ]


def group_data(group: GroupResult, change: Comparison | None = None) -> dict[str, Any]:
    """One group as the API shows it."""
    estimate: Estimate = group.estimate
    return {
        "key": group.key,
        "label": group.label,
        "value": estimate.value,
        # a hidden group's size is withheld too: "2 answers from the night shift" is itself
        # something the minimum group size protects
        "n": None if group.hidden else estimate.n,
        "margin_of_error": estimate.margin_of_error,
        "low": estimate.low,
        "high": estimate.high,
        "counts": None if group.hidden else dict(estimate.counts),
        "hidden": group.hidden,
        "parts": _parts(group),
        "histogram": None if group.hidden else group.histogram,
        "start": group.start,
        "change": change_data(change) if change is not None else None,
    }


def metric_data(result: MetricResult, comparison: MetricComparison | None = None) -> dict[str, Any]:
    """A metric result (and its comparison with the previous period) as plain data."""
    changes = comparison.group_changes if comparison is not None else {}
    data: dict[str, Any] = {
        "metric": result.metric.value,
        "basis": result.basis.value,
        "basis_label": result.basis_label,
        "source": result.source,
        "group_by": str(result.group_by),
        "unit": result.unit,
        "min_group_size": result.min_group_size,
        "questions": sorted({ref.question.key for ref in result.questions}),
        "from": result.filters.date_from,
        "to": result.filters.date_to,
        "groups": [group_data(g, changes.get(g.key)) for g in result.groups],
        "total": group_data(result.total),
        "previous": None,
        "change": None,
    }
    if comparison is not None:
        data["previous"] = metric_data(comparison.previous)
        data["change"] = change_data(comparison.change)
    return data
