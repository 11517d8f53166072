"""Metric exports: a metric result from the engine (analytics.metrics.metric_compute) as CSV or
XLSX, one row per group and one for the total: value, n, 95% margin, interval and counts.

Groups under the minimum group size stay hidden in the file exactly as on screen, their n
included."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.analytics.exports.columns import Column
from closeloop.analytics.exports.format_csv import write_csv
from closeloop.analytics.exports.format_xlsx import Sheet, write_xlsx
from closeloop.analytics.metrics import Basis, GroupBy, Metric, MetricFilters, metric_compute
from closeloop.analytics.metrics.schemas import metric_data
from closeloop.core.errors import DomainError, NotFoundError

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.analytics.exports.services import Progress
    from closeloop.analytics.models import Export

METRIC_FORMATS = ("csv", "xlsx")
LIST_FIELDS = ("surveys", "touchpoints", "channels", "languages")


def _uuid(value: Any, field: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise DomainError(_("This is not a valid id."), field=field) from None


def _day(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field=field) from None


def _list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def clean_metric_query(*, organization: Organization, query: Mapping[str, Any]) -> dict[str, Any]:
    """A metric query as stored on an export (JSON), checked: the metric, grouping and basis
    are known, dates are dates, and every survey, touchpoint, team and segment is the
    organization's. DomainError names the field at fault."""
    try:
        metric = Metric(str(query.get("metric") or ""))
    except ValueError:
        raise DomainError(
            _("Choose one of: %(metrics)s.") % {"metrics": ", ".join(m.value for m in Metric)},
            field="metric",
        ) from None
    group_by = str(GroupBy.parse(str(query.get("group_by") or "none")))
    try:
        basis = Basis(str(query.get("basis") or Basis.RESPONSE))
    except ValueError:
        raise DomainError(_("Choose response or latest."), field="basis") from None
    clean: dict[str, Any] = {"metric": metric.value, "group_by": group_by, "basis": basis.value}
    start, end = _day(query.get("from"), "from"), _day(query.get("to"), "to")
    if start and end and start > end:
        raise DomainError(_("The end date is before the start date."), field="to")
    clean.update({"from": start, "to": end})
    if query.get("question"):
        clean["question"] = str(query["question"])[:64]
    clean["surveys"] = [_uuid(v, "survey") for v in _list(query.get("surveys"))]
    clean["touchpoints"] = [_uuid(v, "touchpoint") for v in _list(query.get("touchpoints"))]
    clean["channels"] = [str(v) for v in _list(query.get("channels"))]
    clean["languages"] = [str(v) for v in _list(query.get("languages"))]
    for name in ("team", "segment"):
        if query.get(name):
            clean[name] = _uuid(query[name], name)
    if query.get("attribute"):
        key, sep, value = str(query["attribute"]).partition(":")
        if not sep or not key.strip():
            raise DomainError(_("Write the attribute filter as key:value."), field="attribute")
        clean["attribute"] = f"{key.strip()}:{value.strip()}"
    metric_filters(organization=organization, query=clean)  # every object is the org's
    return {k: v for k, v in clean.items() if v not in (None, [], "")}


def metric_filters(*, organization: Organization, query: Mapping[str, Any]) -> MetricFilters:
    """The engine's filters for a stored metric query; NotFoundError names an unknown object."""
    from closeloop.cases.selectors import access_team
    from closeloop.contacts.selectors import access_segment
    from closeloop.distribution.journey_selectors import access_touchpoint
    from closeloop.surveys.selectors import access_survey

    def find(access: Any, pk: Any, field: str) -> Any:
        try:
            return access(organization=organization, pk=pk)
        except Http404:
            raise NotFoundError(_("There is nothing with this id here."), field=field) from None

    attribute: tuple[str, str] | None = None
    if query.get("attribute"):
        key, _sep, value = str(query["attribute"]).partition(":")
        attribute = (key, value)
    return MetricFilters(
        surveys=tuple(find(access_survey, pk, "survey") for pk in query.get("surveys", [])),
        question=query.get("question") or None,
        date_from=dt.date.fromisoformat(query["from"]) if query.get("from") else None,
        date_to=dt.date.fromisoformat(query["to"]) if query.get("to") else None,
        touchpoints=tuple(
            find(access_touchpoint, pk, "touchpoint") for pk in query.get("touchpoints", [])
        ),
        channels=tuple(query.get("channels", [])),
        languages=tuple(query.get("languages", [])),
        team=find(access_team, query["team"], "team") if query.get("team") else None,
        segment=(
            find(access_segment, query["segment"], "segment") if query.get("segment") else None
        ),
        attribute=attribute,
    )


def _columns(data: Mapping[str, Any]) -> list[Column]:
    count_labels: dict[str, str] = {}
    for group in [*data["groups"], data["total"]]:
        for part in group.get("parts") or []:
            count_labels.setdefault(part["key"], part["label"])
        for key in group.get("counts") or {}:
            count_labels.setdefault(key, key)
    unit = str(data["unit"])
    columns = [
        Column("group", _("Group"), "text", lambda g: g["label"]),
        Column("key", _("Key"), "text", lambda g: g["key"]),
        Column("start", _("Period start"), "date", lambda g: g.get("start")),
        Column("value", _("Value (%(unit)s)") % {"unit": unit}, "number", lambda g: g["value"]),
        Column("n", _("n"), "number", lambda g: g["n"], integer=True),
        Column(
            "margin_of_error",
            _("Margin of error") + " (95%)",
            "number",
            lambda g: g["margin_of_error"],
        ),
        Column("low", _("Interval, low") + " (95%)", "number", lambda g: g["low"]),
        Column("high", _("Interval, high") + " (95%)", "number", lambda g: g["high"]),
        Column(
            "hidden",
            _("Hidden (fewer than the minimum group size)"),
            "flag",
            lambda g: 1 if g["hidden"] else 0,
        ),
    ]
    for key, label in count_labels.items():
        columns.append(
            Column(
                f"count.{key}",
                _("Count: %(label)s") % {"label": label},
                "number",
                (lambda k: lambda g: (g.get("counts") or {}).get(k))(key),
                integer=True,
            )
        )
    return columns


def build_metrics(export: Export, path: Path, progress: Progress) -> None:
    """Compute the metric and write its groups and total."""
    from closeloop.analytics.models import Export as ExportModel

    organization = export.organization
    query = export.filters
    result = metric_compute(
        organization=organization,
        metric=query["metric"],
        filters=metric_filters(organization=organization, query=query),
        group_by=query.get("group_by", "none"),
        basis=query.get("basis", Basis.RESPONSE),
    )
    data = metric_data(result)
    rows = [*data["groups"], data["total"]]
    ExportModel.objects.filter(pk=export.pk).update(
        progress_total=len(rows), updated_at=timezone.now()
    )
    columns = _columns(data)
    if export.format == "xlsx":
        tz = zoneinfo.ZoneInfo(organization.time_zone)
        about = [
            (_("Metric"), str(data["metric"])),
            (_("Unit"), str(data["unit"])),
            (_("Grouped by"), str(data["group_by"])),
            (_("Basis"), str(data["basis_label"])),
            (_("From"), str(data["from"] or "")),
            (_("To"), str(data["to"] or "")),
            (_("Minimum group size"), str(data["min_group_size"])),
            (_("Questions"), ", ".join(data["questions"])),
            (_("Exported at"), f"{timezone.now().astimezone(tz):%Y-%m-%d %H:%M} ({tz})"),
        ]
        write_xlsx(path, [Sheet(_("Metric"), columns, rows)], about, progress.tick)
    else:
        write_csv(path, columns, rows, progress.tick)
