"""Pydantic schemas of a dashboard's page filters and of each widget kind's settings.

Stored as JSON on Dashboard.filters and Widget.config; validated on every write (services) and
read leniently (a setting that no longer validates falls back to the kind's defaults)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Metric = Literal["nps", "csat", "ces", "enps"]
Figure = Literal["score", "promoters", "passives", "detractors"]
Interval = Literal["day", "week", "month", "quarter"]
BreakdownBy = Literal["touchpoint", "channel", "language", "survey", "attribute"]
ScoreBand = Literal["any", "promoters", "passives", "detractors"]
Period = Literal["7d", "30d", "90d", "365d", "custom"]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]

PERIOD_DAYS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
PERIOD_LABELS: dict[str, Any] = {
    "7d": _("Last 7 days"),
    "30d": _("Last 30 days"),
    "90d": _("Last 90 days"),
    "365d": _("Last 12 months"),
    "custom": _("Custom dates"),
}
BASIS_LABELS: dict[str, Any] = {
    "response": _("Every response"),
    "latest": _("Latest score per contact"),
}
METRIC_LABELS: dict[str, Any] = {
    "nps": _("NPS"),
    "csat": _("CSAT"),
    "ces": _("CES"),
    "enps": _("eNPS"),
}
FIGURE_LABELS: dict[str, Any] = {
    "score": _("The score"),
    "promoters": _("Share of promoters"),
    "passives": _("Share of passives"),
    "detractors": _("Share of detractors"),
}
INTERVAL_LABELS: dict[str, Any] = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
}
BREAKDOWN_LABELS: dict[str, Any] = {
    "touchpoint": _("Touchpoint"),
    "channel": _("Channel"),
    "language": _("Language"),
    "survey": _("Survey"),
    "attribute": _("Contact attribute"),
}
BAND_LABELS: dict[str, Any] = {
    "any": _("Any score"),
    "promoters": _("Promoters (9-10)"),
    "passives": _("Passives (7-8)"),
    "detractors": _("Detractors (0-6)"),
}
MAX_CUSTOM_DAYS = 3 * 366


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PageFilters(_Strict):
    """Filters that apply to every widget of a page."""

    survey: uuid.UUID | None = None
    period: Period = "90d"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    touchpoint: uuid.UUID | None = None
    channel: str | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=10)
    segment: uuid.UUID | None = None
    # Every response counts (default), or only each contact's latest score.
    basis: Literal["response", "latest"] = "response"

    @model_validator(mode="after")
    def _dates(self) -> PageFilters:
        if self.period == "custom":
            if self.date_from is None or self.date_to is None:
                raise ValueError(str(_("Custom dates need both a start and an end.")))
            if self.date_from > self.date_to:
                raise ValueError(str(_("The start date must come before the end date.")))
            if (self.date_to - self.date_from).days > MAX_CUSTOM_DAYS:
                raise ValueError(str(_("Choose a range of at most three years.")))
        else:
            self.date_from = self.date_to = None
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept on the dashboard: only what differs from the defaults."""
        return self.model_dump(mode="json", exclude_defaults=True)


class MetricCardConfig(_Strict):
    metric: Metric = "nps"
    figure: Figure = "score"
    compare: bool = True


class TrendConfig(_Strict):
    metric: Metric = "nps"
    figure: Figure = "score"
    interval: Interval = "week"


class BreakdownConfig(_Strict):
    metric: Metric = "nps"
    by: BreakdownBy = "touchpoint"
    attribute: str = Field(default="", max_length=60)

    @model_validator(mode="after")
    def _attribute(self) -> BreakdownConfig:
        if self.by == "attribute" and not self.attribute:
            raise ValueError(str(_("Name the contact attribute to break down by.")))
        if self.by != "attribute":
            self.attribute = ""
        return self


class DistributionConfig(_Strict):
    metric: Literal["nps", "csat", "ces", "enps", "choice"] = "nps"
    # For "choice": the question key of a choice question of the page's (or this) survey.
    question: str = Field(default="", max_length=64)
    survey: uuid.UUID | None = None

    @model_validator(mode="after")
    def _question(self) -> DistributionConfig:
        if self.metric == "choice" and not (self.question and self.survey):
            raise ValueError(str(_("Choose the survey and the question whose choices to show.")))
        return self


class VerbatimsConfig(_Strict):
    limit: int = Field(default=8, ge=1, le=50)
    band: ScoreBand = "any"
    # Any of these words in the answer (case-insensitive); empty: every open answer.
    contains: list[Word] = Field(default_factory=list, max_length=20)
    # Any of these response tags (set by automation rules).
    tags: list[Word] = Field(default_factory=list, max_length=20)
    # Only feedback routed to the dashboard's team by an automation rule.
    team_inbox: bool = False


class DriversConfig(_Strict):
    target: Literal["nps", "csat"] = "nps"


class CaseMetricsConfig(_Strict):
    # On a team dashboard, only the team's cases.
    team_only: bool = True


CONFIG_MODELS: dict[str, type[_Strict]] = {
    "metric_card": MetricCardConfig,
    "trend": TrendConfig,
    "breakdown": BreakdownConfig,
    "distribution": DistributionConfig,
    "verbatims": VerbatimsConfig,
    "drivers": DriversConfig,
    "case_metrics": CaseMetricsConfig,
}


def parse_filters(data: dict[str, Any] | None) -> PageFilters:
    """Stored or submitted filters; anything that no longer validates is dropped."""
    try:
        return PageFilters.model_validate(data or {})
    except ValueError:
        clean = {k: v for k, v in (data or {}).items() if k in PageFilters.model_fields}
        for key in list(clean):
            try:
                PageFilters.model_validate({key: clean[key]})
            except ValueError:
                clean.pop(key)
        if clean.get("period") == "custom":
            clean.pop("period")
        return PageFilters.model_validate(clean)


def parse_config(kind: str, data: dict[str, Any] | None) -> BaseModel:
    """A widget's settings; settings that no longer validate give the kind's defaults."""
    model = CONFIG_MODELS[kind]
    try:
        return model.model_validate(data or {})
    except ValueError:
        return model()


@dataclass(frozen=True)
class DateRange:
    """[start, end) in the org's time zone, and the same length just before it."""

    start: dt.datetime
    end: dt.datetime
    first_day: dt.date
    last_day: dt.date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> DateRange:
        last = self.first_day - dt.timedelta(days=1)
        first = last - dt.timedelta(days=self.days - 1)
        return _range(first, last, self.start.tzinfo)  # type: ignore[arg-type]


def _range(first: dt.date, last: dt.date, zone: dt.tzinfo) -> DateRange:
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return DateRange(start=start, end=end, first_day=first, last_day=last)


def date_range(filters: PageFilters, *, time_zone: str, today: dt.date) -> DateRange:
    """The page's period as whole days in the org's time zone, today included."""
    zone = ZoneInfo(time_zone)
    if filters.period == "custom" and filters.date_from and filters.date_to:
        return _range(filters.date_from, filters.date_to, zone)
    days = PERIOD_DAYS.get(filters.period, 90)
    return _range(today - dt.timedelta(days=days - 1), today, zone)
