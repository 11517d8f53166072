"""Targets and industry benchmarks: services to keep them, `targets_for(...)` for the reference
lines of a chart, and `target_gaps(...)` for "4 points below target" on a metric card.

A target or benchmark applies to one metric, optionally to one survey and/or one segment, and
optionally only between two dates. For a chart of a survey, the lines are those of that survey
and the organization-wide ones; the most specific line of each kind comes first and is the one
a gap is measured against. A benchmark must say where its figure comes from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from closeloop.accounts.models import ApiKey, Organization, User
from closeloop.analytics.models import MetricTarget, TargetKind, TargetMetric
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs

register_verbs(
    {
        "metric_target.created": gettext_lazy("added a target or benchmark"),
        "metric_target.updated": gettext_lazy("changed a target or benchmark"),
        "metric_target.deleted": gettext_lazy("deleted a target or benchmark"),
    }
)

# The scale of each metric: (lowest, highest) value.
SCALES: dict[str, tuple[float, float]] = {
    "nps": (-100.0, 100.0),
    "enps": (-100.0, 100.0),
    "csat": (0.0, 100.0),
    "response_rate": (0.0, 100.0),
    "ces": (1.0, 7.0),
}
FIELDS = (
    "kind", "metric", "value", "label", "survey", "segment", "source", "source_url",
    "valid_from", "valid_to",
)  # fmt: skip


def _clean(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind") or TargetKind.TARGET
    if kind not in TargetKind.values:
        raise DomainError(_("Choose target or benchmark."), field="kind")
    metric = data.get("metric") or ""
    if metric not in TargetMetric.values:
        raise DomainError(
            _("Choose a metric: %(metrics)s.") % {"metrics": ", ".join(TargetMetric.values)},
            field="metric",
        )
    value = data.get("value")
    if value is None:
        raise DomainError(_("Give the figure."), field="value")
    low, high = SCALES[metric]
    if not low <= float(value) <= high:
        raise DomainError(
            _("On this metric's scale a figure is from %(low)s to %(high)s.")
            % {"low": f"{low:g}", "high": f"{high:g}"},
            field="value",
        )
    source = (data.get("source") or "").strip()
    url = (data.get("source_url") or "").strip()
    if kind == TargetKind.BENCHMARK and not source:
        raise DomainError(
            _("Say where the benchmark comes from (a report, a survey, a year)."), field="source"
        )
    if url and not url.lower().startswith(("http://", "https://")):
        raise DomainError(_("Give a web address starting with https://."), field="source_url")
    valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
    if valid_from and valid_to and valid_from > valid_to:
        raise DomainError(_("The end date is before the start date."), field="valid_to")
    for name in ("survey", "segment"):
        obj = data.get(name)
        if obj is not None and obj.organization_id != organization.pk:
            raise DomainError(_("Choose one of your organization's entries."), field=name)
    return {
        "kind": kind,
        "metric": metric,
        "value": float(value),
        "label": (data.get("label") or "").strip()[:120],
        "survey": data.get("survey"),
        "segment": data.get("segment"),
        "source": source[:300],
        "source_url": url[:500],
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def target_create(
    *,
    organization: Organization,
    data: dict[str, Any],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> MetricTarget:
    """Add a target or an industry benchmark (a benchmark needs its source)."""
    values = _clean(organization, data)
    with transaction.atomic():
        target = MetricTarget.objects.create(organization=organization, created_by=actor, **values)
        activity_record(
            organization=organization, actor=actor, api_key=api_key,
            verb="metric_target.created", target=target,
            data={"metric": target.metric, "kind": target.kind, "value": target.value},
        )  # fmt: skip
    return target


def target_update(
    *,
    target: MetricTarget,
    data: dict[str, Any],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> MetricTarget:
    """Change a target or benchmark; fields not given keep their values."""
    merged = {name: getattr(target, name) for name in FIELDS}
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    values = _clean(target.organization, merged)
    with transaction.atomic():
        for name, value in values.items():
            setattr(target, name, value)
        target.save()
        activity_record(
            organization=target.organization, actor=actor, api_key=api_key,
            verb="metric_target.updated", target=target,
        )  # fmt: skip
    return target


def target_delete(
    *, target: MetricTarget, actor: User | None = None, api_key: ApiKey | None = None
) -> None:
    """Delete a target or benchmark."""
    with transaction.atomic():
        activity_record(
            organization=target.organization, actor=actor, api_key=api_key,
            verb="metric_target.deleted", target=target,
        )  # fmt: skip
        target.delete()


# --- reference lines and gaps --------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceLine:
    """A horizontal line on a chart of the metric: a target or a benchmark."""

    id: uuid.UUID
    kind: str
    metric: str
    value: float
    label: str
    source: str
    source_url: str
    survey_id: uuid.UUID | None
    segment_id: uuid.UUID | None
    valid_from: dt.date | None
    valid_to: dt.date | None

    @property
    def is_benchmark(self) -> bool:
        return self.kind == TargetKind.BENCHMARK

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for a chart (plotly shapes) or the API."""
        return {
            "id": str(self.id),
            "kind": self.kind,
            "metric": self.metric,
            "value": self.value,
            "label": self.label,
            "source": self.source,
            "source_url": self.source_url,
            "survey": str(self.survey_id) if self.survey_id else None,
            "segment": str(self.segment_id) if self.segment_id else None,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


def line_label(target: MetricTarget) -> str:
    """ "Target 40" or "Industry benchmark 32 (label)"."""
    head = _("Target") if target.kind == TargetKind.TARGET else _("Industry benchmark")
    text = f"{head} {target.value:g}"
    return f"{text} ({target.label})" if target.label else text


def targets_for(
    organization: Organization,
    metric: str,
    *,
    survey: Any = None,
    segment: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[ReferenceLine]:
    """The targets and benchmarks to draw on a chart of `metric`: the organization-wide ones
    plus those of the survey and segment shown (ids or objects), valid at some time between
    date_from and date_to (open ends allowed). Targets first, then benchmarks; within a kind
    the most specific (survey and segment) first."""
    survey_id = getattr(survey, "pk", survey)
    segment_id = getattr(segment, "pk", segment)
    qs = MetricTarget.objects.filter(organization=organization, metric=metric)
    qs = (
        qs.filter(Q(survey__isnull=True) | Q(survey_id=survey_id))
        if survey_id
        else qs.filter(survey__isnull=True)
    )
    qs = (
        qs.filter(Q(segment__isnull=True) | Q(segment_id=segment_id))
        if segment_id
        else qs.filter(segment__isnull=True)
    )
    if date_to is not None:
        qs = qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=date_to))
    if date_from is not None:
        qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=date_from))
    rows = sorted(
        qs,
        key=lambda t: (
            t.kind != TargetKind.TARGET,
            -(int(t.survey_id is not None) + int(t.segment_id is not None)),
            -(t.valid_from or dt.date.min).toordinal(),
            -t.value,
        ),
    )
    return [
        ReferenceLine(
            id=t.pk,
            kind=t.kind,
            metric=t.metric,
            value=t.value,
            label=line_label(t),
            source=t.source,
            source_url=t.source_url,
            survey_id=t.survey_id,
            segment_id=t.segment_id,
            valid_from=t.valid_from,
            valid_to=t.valid_to,
        )
        for t in rows
    ]


@dataclass(frozen=True)
class Gap:
    """How far a figure is from a target or benchmark, in words and numbers."""

    line: ReferenceLine
    difference: float  # value - line.value
    within_margin: bool
    sentence: str


def _amount(metric: str, amount: float) -> str:
    digits = 2 if metric == "ces" else 1
    text = f"{abs(amount):.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def gap_sentence(
    metric: str, difference: float, kind: str, margin: float | None = None
) -> tuple[str, bool]:
    """("4 points below target", within the margin?) for a figure minus a target."""
    amount = _amount(metric, difference)
    target = kind == TargetKind.TARGET
    if amount == "0":
        text = _("On target") if target else _("Level with the industry benchmark")
        return text, True
    count = 1 if amount == "1" else 2
    below = difference < 0
    if metric == "ces":
        if target:
            text = (_("%(amount)s below target") if below else _("%(amount)s above target")) % {
                "amount": amount
            }
        else:
            text = (
                _("%(amount)s below the industry benchmark")
                if below
                else _("%(amount)s above the industry benchmark")
            ) % {"amount": amount}
    elif target:
        text = (
            ngettext("%(amount)s point below target", "%(amount)s points below target", count)
            if below
            else ngettext("%(amount)s point above target", "%(amount)s points above target", count)
        ) % {"amount": amount}
    else:
        text = (
            ngettext(
                "%(amount)s point below the industry benchmark",
                "%(amount)s points below the industry benchmark",
                count,
            )
            if below
            else ngettext(
                "%(amount)s point above the industry benchmark",
                "%(amount)s points above the industry benchmark",
                count,
            )
        ) % {"amount": amount}
    within = margin is not None and abs(difference) <= margin
    if within:
        text = _("%(gap)s, within the margin of error (±%(margin)s)") % {
            "gap": text,
            "margin": _amount(metric, margin or 0),
        }
    return text, within


def target_gaps(
    organization: Organization,
    metric: str,
    value: float | None,
    *,
    margin: float | None = None,
    survey: Any = None,
    segment: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[Gap]:
    """The gap of a shown figure to the most specific target and benchmark of its metric (at
    most one of each). Nothing for a hidden or missing figure (value None)."""
    if value is None:
        return []
    lines = targets_for(
        organization,
        metric,
        survey=survey,
        segment=segment,
        date_from=date_from,
        date_to=date_to,
    )
    gaps: list[Gap] = []
    seen: set[str] = set()
    for line in lines:
        if line.kind in seen:
            continue
        seen.add(line.kind)
        difference = value - line.value
        sentence, within = gap_sentence(metric, difference, line.kind, margin)
        gaps.append(Gap(line=line, difference=difference, within_margin=within, sentence=sentence))
    return gaps
