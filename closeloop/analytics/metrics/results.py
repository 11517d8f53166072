"""What the metric engine returns: per group an estimate, its parts and histogram; the total;
the basis and where the numbers came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext as _

from closeloop.analytics.metrics.definitions import (
    Basis,
    GroupBy,
    Metric,
    MetricFilters,
    QuestionRef,
)
from closeloop.analytics.metrics.stats import Comparison, Estimate

Source = Literal["rollup", "raw"]


@dataclass(frozen=True)
class Part:
    """A category's share within a group (NPS promoters, CES easy, each choice)."""

    key: str
    label: str
    count: int
    estimate: Estimate


@dataclass(frozen=True)
class GroupResult:
    """One group's figure. A hidden group (too few responses) keeps its n only."""

    key: str
    label: str
    estimate: Estimate
    hidden: bool = False
    parts: tuple[Part, ...] = ()
    # score metrics: how many answered each score
    histogram: dict[int, int] | None = None
    # time groupings: the first day of the period
    start: dt.date | None = None


@dataclass(frozen=True)
class MetricResult:
    """A metric's groups and total, the basis and where the numbers came from."""

    metric: Metric
    basis: Basis
    group_by: GroupBy
    source: Source
    filters: MetricFilters
    min_group_size: int
    groups: tuple[GroupResult, ...]
    total: GroupResult
    questions: tuple[QuestionRef, ...] = ()
    employee: bool = False

    @property
    def unit(self) -> str:
        """'points' (NPS), 'percent' (shares and rates), 'score' (means) or 'count' (choice)."""
        if self.metric in (Metric.NPS, Metric.ENPS):
            return "points"
        if self.metric in (Metric.CES, Metric.RATING):
            return "score"
        if self.metric == Metric.CHOICE:
            return "count"
        return "percent"

    @property
    def basis_label(self) -> str:
        return basis_label(self.basis)

    def group(self, key: str) -> GroupResult | None:
        return next((g for g in self.groups if g.key == key), None)


@dataclass(frozen=True)
class MetricComparison:
    """A metric now and in the period before, with the change of the total and of each group
    (categorical groupings only: periods do not line up)."""

    current: MetricResult
    previous: MetricResult
    change: Comparison
    group_changes: dict[str, Comparison] = field(default_factory=dict)


def basis_label(basis: Basis) -> str:
    if basis == Basis.LATEST:
        return _("Latest score per contact")
    return _("Every response")
