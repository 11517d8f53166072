"""Key-driver analysis: which questions and attributes explain the target score, how much (by
Johnson's relative weights) and how well each one performs, as a priority matrix.

Rules (docs/analytics.md, "Key drivers"):
- rows are completed responses that answered the target; a driver answered by fewer than 30% of
  them is left out (and said so); the rest are analysed listwise (rows answering every driver);
- a choice becomes one-hot columns (its most common level is the reference; levels with fewer
  than 5 rows are pooled into it) and its columns' weights are added into one importance;
- constant drivers are left out; the model needs at least 30 complete rows and more rows than
  predictor columns + 10, otherwise the drivers answered least are left out until it fits;
- performance is a scale's mean on 0-100, or for a choice or yes/no the share of the level that
  goes with the highest target (none for a number attribute, which is not in the matrix);
- quadrants cut importance (share of R²) and performance at their medians.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from closeloop.analytics.drivers.dataset import (
    Dataset,
    DriverColumn,
    DriverFilters,
    DriverKind,
    Target,
)
from closeloop.analytics.drivers.stats import FloatArray, correlation, relative_weights
from closeloop.analytics.metrics.suppression import DEFAULT_MIN_GROUP_SIZE, suppressed

MIN_ROWS = 30
MIN_COVERAGE = 0.30
EXTRA_ROWS = 10
MIN_LEVEL_ROWS = 5
MAX_LEVEL_COLUMNS = 12
# A choice with more different answers than this (a free-text attribute such as a city or a
# name) is not a driver; and the "best" level of a choice must hold at least this share.
MAX_LEVELS = 20
MIN_BEST_LEVEL_SHARE = 0.05

Quadrant = Literal["fix_first", "keep_up", "monitor", "lower_priority"]
Status = Literal["ok", "too_few_responses", "no_drivers"]

QUADRANTS: tuple[Quadrant, ...] = ("fix_first", "keep_up", "monitor", "lower_priority")
QUADRANT_LABELS: dict[str, str | Promise] = {
    "fix_first": gettext_lazy("Fix first"),
    "keep_up": gettext_lazy("Keep up"),
    "monitor": gettext_lazy("Monitor"),
    "lower_priority": gettext_lazy("Lower priority"),
}
QUADRANT_HELP: dict[str, str | Promise] = {
    "fix_first": gettext_lazy("Matters a lot, scores low."),
    "keep_up": gettext_lazy("Matters a lot, scores well."),
    "monitor": gettext_lazy("Matters less, scores low."),
    "lower_priority": gettext_lazy("Matters less, scores well."),
}
KIND_LABELS: dict[str, str | Promise] = {
    "scale": gettext_lazy("Rating"),
    "choice": gettext_lazy("Choice"),
    "yes_no": gettext_lazy("Yes/no"),
    "number": gettext_lazy("Number"),
}


@dataclass(frozen=True)
class LevelStat:
    """One answer of a choice or yes/no driver: how many gave it and their mean target; both
    None when the group is under the minimum group size (hidden)."""

    key: str
    label: str
    count: int | None
    mean_target: float | None

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Driver:
    """One driver's importance and performance.

    weight: raw relative weight (the drivers' weights add up to R²); share: weight / R² (0-1);
    performance: 0-100 (None for number attributes); best_level: for a choice or yes/no, the
    answer that goes with the highest target, whose share is the performance; direction: for a
    rating or number, +1 when higher values go with a higher target, -1 when lower."""

    key: str
    label: str
    kind: DriverKind
    source: str
    weight: float
    share: float
    performance: float | None
    quadrant: Quadrant | None
    best_level: str | None
    direction: int
    answered: int
    columns: int
    levels: tuple[LevelStat, ...] = ()

    @property
    def quadrant_label(self) -> str:
        return str(QUADRANT_LABELS[self.quadrant]) if self.quadrant else ""

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def share_percent(self) -> float:
        return 100.0 * self.share


@dataclass(frozen=True)
class ExcludedDriver:
    """A candidate driver left out of the model, and why (in words)."""

    key: str
    label: str
    kind: DriverKind
    code: Literal["low_coverage", "constant", "too_many_levels", "listwise"]
    reason: str


@dataclass(frozen=True)
class DriverAnalysis:
    """The result: status "ok" with drivers (most important first), or a reason in `message`.

    n: responses in the model (answered the target and every driver); n_target: responses that
    answered the target; r_squared: share of the target's variance the drivers explain."""

    survey_id: uuid.UUID
    target: Target
    filters: DriverFilters
    status: Status
    message: str
    n: int
    n_target: int
    r_squared: float | None = None
    drivers: tuple[Driver, ...] = ()
    excluded: tuple[ExcludedDriver, ...] = ()
    importance_cut: float | None = None
    performance_cut: float | None = None
    summary: tuple[str, ...] = ()
    capped: bool = False
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def in_quadrant(self, quadrant: Quadrant) -> list[Driver]:
        """The drivers in one quadrant, most important first."""
        return [d for d in self.drivers if d.quadrant == quadrant]

    @property
    def quadrants(self) -> list[dict[str, object]]:
        """Every quadrant with its label, help text and drivers (for templates)."""
        return [
            {
                "key": q,
                "label": QUADRANT_LABELS[q],
                "help": QUADRANT_HELP[q],
                "drivers": self.in_quadrant(q),
            }
            for q in QUADRANTS
        ]

    @property
    def r_squared_percent(self) -> float | None:
        return None if self.r_squared is None else 100.0 * self.r_squared


# --- building the model ----------------------------------------------------------------------


@dataclass
class _Candidate:
    column: DriverColumn
    values: dict[uuid.UUID, float | str]
    design: list[FloatArray] = field(default_factory=list)

    def build(self, rows: list[uuid.UUID]) -> int:
        """The predictor columns of this driver on these rows; returns how many (0: constant)."""
        self.design = []
        if self.column.kind == "choice":
            levels = [str(self.values[r]) for r in rows]
            counts = Counter(levels)
            if len(counts) < 2:
                return 0
            ordered = [level for level, _count in counts.most_common()]
            kept = [lvl for lvl in ordered[1:] if counts[lvl] >= MIN_LEVEL_ROWS]
            for level in kept[:MAX_LEVEL_COLUMNS]:
                self.design.append(np.array([1.0 if v == level else 0.0 for v in levels]))
            return len(self.design)
        numbers = np.array([float(self.values[r]) for r in rows])
        if numbers.std() <= 0:
            return 0
        self.design.append(numbers)
        return 1


def _coverage_reason(share: float) -> str:
    return _("answered by only %(pct)d%% of the responses (a driver needs %(min)d%%)") % {
        "pct": round(100 * share),
        "min": round(100 * MIN_COVERAGE),
    }


def _excluded(column: DriverColumn, code: str, reason: str) -> ExcludedDriver:
    return ExcludedDriver(
        key=column.key,
        label=column.label,
        kind=column.kind,
        code=code,  # type: ignore[arg-type]
        reason=reason,
    )


def _level_stats(
    column: DriverColumn, values: dict[uuid.UUID, float | str], y: dict[uuid.UUID, float]
) -> tuple[LevelStat, ...]:
    sums: dict[str, float] = {}
    counts: Counter[str] = Counter()
    for rid, value in values.items():
        level = str(int(value)) if column.kind == "yes_no" else str(value)
        sums[level] = sums.get(level, 0.0) + y[rid]
        counts[level] += 1
    return tuple(
        LevelStat(
            key=level,
            label=column.levels.get(level, level),
            count=count,
            mean_target=sums[level] / count,
        )
        for level, count in counts.most_common()
    )


def _hide_small_levels(levels: tuple[LevelStat, ...], threshold: int) -> tuple[LevelStat, ...]:
    """The levels as shown: groups under the minimum group size (and any that subtracting
    from the driver's total would give away) lose their count and mean."""
    sizes = {level.key: level.count or 0 for level in levels}
    hidden, _total = suppressed(sizes, total=sum(sizes.values()), threshold=threshold)
    return tuple(
        LevelStat(key=level.key, label=level.label, count=None, mean_target=None)
        if level.key in hidden
        else level
        for level in levels
    )


def _performance(
    column: DriverColumn,
    values: dict[uuid.UUID, float | str],
    levels: tuple[LevelStat, ...],
    threshold: int,
) -> tuple[float | None, str | None]:
    """Performance on 0-100 and, for a choice or yes/no, the best level's label (only a level
    at or above the minimum group size can be the best one)."""
    if column.kind == "scale" and column.low is not None and column.high is not None:
        if column.high <= column.low:
            return None, None
        mean = float(np.mean([float(v) for v in values.values()]))
        return 100.0 * (mean - column.low) / (column.high - column.low), None
    if column.kind in ("choice", "yes_no") and levels:
        total = sum(level.count or 0 for level in levels)
        least = max(MIN_LEVEL_ROWS, threshold, MIN_BEST_LEVEL_SHARE * total)
        eligible = [level for level in levels if (level.count or 0) >= least]
        if not eligible:
            return None, None
        best = max(eligible, key=lambda level: (level.mean_target or 0.0, level.count or 0))
        return 100.0 * (best.count or 0) / total, best.label
    return None, None


def _quadrant(share: float, performance: float, share_cut: float, perf_cut: float) -> Quadrant:
    important = share >= share_cut
    performing = performance >= perf_cut
    if important:
        return "keep_up" if performing else "fix_first"
    return "lower_priority" if performing else "monitor"


def _too_few(n: int, target: Target) -> str:
    return ngettext(
        "Only %(n)d response answers %(target)s with these filters; a key-driver analysis "
        "needs at least %(min)d.",
        "Only %(n)d responses answer %(target)s with these filters; a key-driver analysis "
        "needs at least %(min)d.",
        n,
    ) % {"n": n, "target": target.label, "min": MIN_ROWS}


def analyse(
    dataset: Dataset,
    *,
    survey_id: uuid.UUID,
    filters: DriverFilters,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> DriverAnalysis:
    """Weigh the dataset's drivers (see the module docstring for the rules); answers given by
    fewer than `min_group_size` responses show no count or mean."""
    from closeloop.analytics.drivers.summary import summary_sentences

    y = dataset.y
    target = dataset.target
    n_target = len(y)

    def empty(
        status: Status, message: str, n: int, excluded: list[ExcludedDriver]
    ) -> DriverAnalysis:
        return DriverAnalysis(
            survey_id=survey_id,
            target=target,
            filters=filters,
            status=status,
            message=message,
            n=n,
            n_target=n_target,
            excluded=tuple(excluded),
            capped=dataset.capped,
            min_group_size=min_group_size,
        )

    if n_target < MIN_ROWS:
        return empty("too_few_responses", _too_few(n_target, target), n_target, [])
    excluded: list[ExcludedDriver] = []
    candidates: list[_Candidate] = []
    for column in dataset.columns:
        values = {rid: v for rid, v in column.values.items() if rid in y}
        if not values:
            continue  # never asked or never answered here: nothing to say about it
        coverage = len(values) / n_target
        if coverage < MIN_COVERAGE:
            excluded.append(_excluded(column, "low_coverage", _coverage_reason(coverage)))
        elif len(set(values.values())) < 2:
            excluded.append(_excluded(column, "constant", _("everyone gave the same answer")))
        elif column.kind == "choice" and len(set(values.values())) > MAX_LEVELS:
            excluded.append(
                _excluded(
                    column,
                    "too_many_levels",
                    _("has more than %(max)d different answers") % {"max": MAX_LEVELS},
                )
            )
        else:
            candidates.append(_Candidate(column, values))
    if not candidates:
        message = (
            _(
                "No other question or contact attribute is answered by enough of these "
                "responses to be weighed as a driver."
            )
            if excluded
            else _(
                "This survey has no other rating, choice or yes/no question (and the "
                "respondents have no contact attributes), so there is nothing to weigh."
            )
        )
        return empty("no_drivers", message, 0, excluded)

    # Listwise: keep the rows that answer every driver; leave out the least answered drivers
    # until there are enough rows for the number of predictor columns.
    rows: list[uuid.UUID] = []
    while candidates:
        answered = set(y)
        for candidate in candidates:
            answered &= candidate.values.keys()
        rows = sorted(answered)
        constant = [c for c in candidates if rows and c.build(rows) == 0]
        if constant and len(rows) >= MIN_ROWS:
            for candidate in constant:
                excluded.append(
                    _excluded(
                        candidate.column,
                        "constant",
                        _("too little variation in the analysed responses"),
                    )
                )
                candidates.remove(candidate)
            continue
        columns = sum(len(c.design) for c in candidates)
        if len(rows) >= MIN_ROWS and len(rows) > columns + EXTRA_ROWS:
            break
        least = min(candidates, key=lambda c: (len(c.values), -len(c.design), c.column.key))
        excluded.append(
            _excluded(
                least.column,
                "listwise",
                _("left out so that enough responses answer every remaining driver"),
            )
        )
        candidates.remove(least)
    if not candidates:
        message = _(
            "Too few responses answer %(target)s and the other questions together to weigh "
            "the drivers; widen the filters or the date range."
        ) % {"target": target.label}
        return empty("no_drivers", message, 0, excluded)

    target_values = np.array([y[r] for r in rows])
    design = np.column_stack([column for c in candidates for column in c.design])
    result = relative_weights(design, target_values)
    weights = result.weights
    drivers: list[Driver] = []
    offset = 0
    for candidate in candidates:
        width = len(candidate.design)
        weight = float(weights[offset : offset + width].sum())
        offset += width
        column = candidate.column
        levels = (
            _level_stats(column, candidate.values, y) if column.kind in ("choice", "yes_no") else ()
        )
        performance, best = _performance(column, candidate.values, levels, min_group_size)
        levels = _hide_small_levels(levels, min_group_size)
        direction = 0
        if column.kind in ("scale", "number"):
            r = correlation(candidate.design[0], target_values)
            direction = 1 if r > 0 else -1 if r < 0 else 0
        drivers.append(
            Driver(
                key=column.key,
                label=column.label,
                kind=column.kind,
                source=column.source,
                weight=weight,
                share=weight / result.r_squared if result.r_squared > 0 else 0.0,
                performance=performance,
                quadrant=None,
                best_level=best,
                direction=direction,
                answered=len(candidate.values),
                columns=width,
                levels=levels,
            )
        )
    placed = [d for d in drivers if d.performance is not None]
    share_cut = perf_cut = None
    if len(placed) >= 2:
        share_cut = float(np.median([d.share for d in placed]))
        perf_cut = float(np.median([d.performance for d in placed if d.performance is not None]))
        drivers = [
            _with_quadrant(d, share_cut, perf_cut) if d.performance is not None else d
            for d in drivers
        ]
    drivers.sort(key=lambda d: (-d.weight, d.label))
    analysis = DriverAnalysis(
        status="ok",
        message="",
        n=len(rows),
        r_squared=result.r_squared,
        drivers=tuple(drivers),
        excluded=tuple(excluded),
        importance_cut=share_cut,
        performance_cut=perf_cut,
        survey_id=survey_id,
        target=target,
        filters=filters,
        n_target=n_target,
        capped=dataset.capped,
        min_group_size=min_group_size,
    )
    return _with_summary(analysis, summary_sentences(analysis))


def _with_quadrant(driver: Driver, share_cut: float, perf_cut: float) -> Driver:
    from dataclasses import replace

    assert driver.performance is not None
    return replace(
        driver, quadrant=_quadrant(driver.share, driver.performance, share_cut, perf_cut)
    )


def _with_summary(analysis: DriverAnalysis, sentences: list[str]) -> DriverAnalysis:
    from dataclasses import replace

    return replace(analysis, summary=tuple(sentences))
