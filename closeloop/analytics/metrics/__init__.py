"""The metric engine: NPS, CSAT, CES, eNPS, average rating, choice distributions and response,
start and completion rates, each with n and a 95% margin, for any filters and grouping.

    from closeloop.analytics.metrics import MetricFilters, metric_compute

    result = metric_compute(
        organization=org, metric="nps", filters=MetricFilters(surveys=(survey,)), group_by="week"
    )
    result.total.estimate.value, result.total.estimate.margin_of_error
    for group in result.groups: group.key, group.label, group.estimate, group.hidden

See docs/analytics.md. The statistics alone (no database) are in `stats`.
"""

from closeloop.analytics.metrics.definitions import (
    Basis,
    GroupBy,
    Metric,
    MetricFilters,
    QuestionRef,
)
from closeloop.analytics.metrics.query import (
    metric_compare,
    metric_compute,
    previous_period,
    rollups_ready,
)
from closeloop.analytics.metrics.results import GroupResult, MetricComparison, MetricResult, Part
from closeloop.analytics.metrics.stats import Comparison, Distribution, Estimate, compare
from closeloop.analytics.metrics.suppression import (
    DEFAULT_MIN_GROUP_SIZE,
    EMPLOYEE_MIN_GROUP_SIZE,
    min_group_size,
    organization_min_group_size,
)

__all__ = [
    "DEFAULT_MIN_GROUP_SIZE",
    "EMPLOYEE_MIN_GROUP_SIZE",
    "Basis",
    "Comparison",
    "Distribution",
    "Estimate",
    "GroupBy",
    "GroupResult",
    "Metric",
    "MetricComparison",
    "MetricFilters",
    "MetricResult",
    "Part",
    "QuestionRef",
    "compare",
    "metric_compare",
    "metric_compute",
    "min_group_size",
    "organization_min_group_size",
    "previous_period",
    "rollups_ready",
]
