"""Rows of either source folded into per-group cells (sums and counts), and the periods of
time groupings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from closeloop.analytics.metrics.definitions import SCORE_METRICS, GroupBy, Metric, QuestionRef
from closeloop.analytics.metrics.sources import Row
from closeloop.analytics.metrics.stats import CES_EASY_SCORES, csat_satisfied_scores
from closeloop.analytics.models.rollups import ANSWERED, SCORES


@dataclass
class ScoreCell:
    n: int = 0
    total: float = 0.0
    total_squares: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * len(SCORES))
    satisfied: int = 0
    easy: int = 0

    def add(self, row: Row, ref: QuestionRef) -> None:
        self.n += int(row["n"] or 0)
        self.total += float(row["total"] or 0)
        self.total_squares += float(row["total_squares"] or 0)
        for i in SCORES:
            self.histogram[i] += int(row[f"score_{i}"] or 0)
        qtype = ref.question.type
        if qtype == "csat":
            points = ref.question.points or 5
            self.satisfied += sum(
                int(row[f"score_{s}"] or 0) for s in csat_satisfied_scores(points)
            )
        elif qtype == "ces":
            self.easy += sum(int(row[f"score_{s}"] or 0) for s in CES_EASY_SCORES)

    def merge(self, other: ScoreCell) -> None:
        self.n += other.n
        self.total += other.total
        self.total_squares += other.total_squares
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]
        self.satisfied += other.satisfied
        self.easy += other.easy


@dataclass
class ChoiceCell:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    answered: int = 0

    def add(self, row: Row) -> None:
        if row["choice"] == ANSWERED:
            self.answered += int(row["count"] or 0)
        else:
            self.counts[row["choice"]] += int(row["count"] or 0)

    def merge(self, other: ChoiceCell) -> None:
        for key, count in other.counts.items():
            self.counts[key] += count
        self.answered += other.answered


@dataclass
class CountCell:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, row: Row, names: Iterable[str]) -> None:
        for name in names:
            self.counts[name] += int(row.get(name) or 0)

    def merge(self, other: CountCell) -> None:
        for key, count in other.counts.items():
            self.counts[key] += count


Cell = ScoreCell | ChoiceCell | CountCell


def bucket_start(day: dt.date, grain: str) -> dt.date:
    """The first day of the day's period: itself, its Monday, its month, its quarter."""
    if isinstance(day, dt.datetime):
        day = day.date()
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day


def next_bucket(start: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return start + dt.timedelta(days=1)
    if grain == "week":
        return start + dt.timedelta(days=7)
    months = 3 if grain == "quarter" else 1
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)


def time_label(start: dt.date, grain: str) -> str:
    if grain == "week":
        return _("Week of %(date)s") % {"date": start.isoformat()}
    if grain == "month":
        return date_format(start, "YEAR_MONTH_FORMAT")
    if grain == "quarter":
        return _("Q%(quarter)d %(year)d") % {
            "quarter": (start.month - 1) // 3 + 1,
            "year": start.year,
        }
    return start.isoformat()


def group_dims(group_by: GroupBy) -> list[str]:
    if group_by.is_time:
        return ["bucket"]
    return {
        "none": [],
        "touchpoint": ["touchpoint_id"],
        "channel": ["channel"],
        "language": ["language"],
        "survey": ["survey_id"],
        "attribute": ["attribute"],
    }[group_by.kind]


def group_key_function(group_by: GroupBy) -> Callable[[Row], str]:
    if group_by.is_time:
        grain = group_by.kind

        def time_key(row: Row) -> str:
            return bucket_start(row["bucket"], grain).isoformat()

        return time_key
    column = group_dims(group_by)[0] if group_by.kind != "none" else ""

    def key(row: Row) -> str:
        value = row.get(column) if column else ""
        return "" if value is None else str(value)

    return key


def empty_cell(metric: Metric) -> Cell:
    if metric in SCORE_METRICS:
        return ScoreCell()
    if metric == Metric.CHOICE:
        return ChoiceCell()
    return CountCell()


def merge_cells(metric: Metric, cells: Iterable[Cell]) -> Cell:
    total = empty_cell(metric)
    for cell in cells:
        total.merge(cell)  # type: ignore[arg-type]
    return total
