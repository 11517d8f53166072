"""The metric engine: one call computes a metric for any filters and grouping, from the daily
rollups when they can answer, else from the raw answers, with the same numbers either way."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from closeloop.analytics.metrics.cells import (
    Cell,
    ChoiceCell,
    CountCell,
    ScoreCell,
    bucket_start,
    empty_cell,
    group_dims,
    group_key_function,
    merge_cells,
    next_bucket,
    time_label,
)
from closeloop.analytics.metrics.definitions import (
    INVITATION_METRICS,
    METRIC_QUESTION_TYPES,
    SCORE_METRICS,
    Basis,
    GroupBy,
    Metric,
    MetricFilters,
    QuestionRef,
    localized,
    metric_questions,
)
from closeloop.analytics.metrics.results import (
    GroupResult,
    MetricComparison,
    MetricResult,
    Part,
    Source,
)
from closeloop.analytics.metrics.sources import (
    Row,
    Scope,
    latest_choice_rows,
    latest_score_rows,
    raw_choice_rows,
    raw_invitation_rows,
    raw_score_rows,
    raw_started_rows,
    rollup_choice_rows,
    rollup_score_rows,
    rollup_started_rows,
)
from closeloop.analytics.metrics.stats import (
    Comparison,
    Estimate,
    ces_share_estimate,
    choice_distribution,
    compare,
    csat_estimate,
    mean_estimate,
    nps_from_histogram,
    proportion_estimate,
)
from closeloop.analytics.metrics.suppression import min_group_size as threshold_for
from closeloop.analytics.metrics.suppression import suppressed
from closeloop.core.errors import DomainError, NotFoundError

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.surveys.models import Survey

# Dirty (not yet recomputed) survey-days a rollup query patches from the raw answers; past this
# (the worker has been down a while) the whole query reads the raw answers.
DIRTY_PATCH_LIMIT = 200


# --- the query ---------------------------------------------------------------------------------


def _parse_metric(metric: str | Metric) -> Metric:
    try:
        return Metric(metric)
    except ValueError:
        raise DomainError(
            _("Unknown metric. Use one of: %(metrics)s.")
            % {"metrics": ", ".join(m.value for m in Metric)},
            field="metric",
            code="invalid-metric",
        ) from None


def _parse_basis(basis: str | Basis) -> Basis:
    try:
        return Basis(basis)
    except ValueError:
        raise DomainError(
            _("The basis is 'response' (every response) or 'latest' (latest score per contact)."),
            field="basis",
            code="invalid-basis",
        ) from None


def _check_owned(organization: Organization, filters: MetricFilters) -> None:
    """Every object in the filters belongs to the organization (else 404, naming nothing)."""
    objects: list[tuple[str, Any]] = [
        *(("survey", s) for s in filters.surveys),
        *(("touchpoint", t) for t in filters.touchpoints),
        ("team", filters.team),
        ("segment", filters.segment),
    ]
    for name, obj in objects:
        if obj is not None and obj.organization_id != organization.pk:
            raise NotFoundError(_("Not found."), field=name, code="not-found")


def _surveys_in_scope(
    organization: Organization, metric: Metric, filters: MetricFilters
) -> list[Survey]:
    from closeloop.surveys.choices import SurveyKind
    from closeloop.surveys.models import Survey

    wanted_kind = SurveyKind.EMPLOYEE if metric == Metric.ENPS else SurveyKind.CUSTOMER
    if filters.surveys:
        surveys = list(filters.surveys)
        if metric == Metric.ENPS and any(s.kind != SurveyKind.EMPLOYEE for s in surveys):
            raise DomainError(
                _("eNPS is measured on employee surveys; this survey is a customer survey."),
                field="survey",
                code="wrong-survey-kind",
            )
        if metric == Metric.NPS and any(s.kind == SurveyKind.EMPLOYEE for s in surveys):
            raise DomainError(
                _("This is an employee survey: ask for the metric enps."),
                field="survey",
                code="wrong-survey-kind",
            )
        return surveys
    return list(Survey.objects.filter(organization=organization, kind=wanted_kind))


def rollups_ready(organization: Organization) -> bool:
    """Whether the organization's rollups are fully built, in its current time zone."""
    from closeloop.analytics.models.rollups import RollupState

    state = (
        RollupState.objects.filter(organization=organization)
        .values_list("time_zone", "built_at")
        .first()
    )
    return state is not None and state[1] is not None and state[0] == organization.time_zone


def _dirty_days(
    organization: Organization, survey_ids: Sequence[uuid.UUID], filters: MetricFilters
) -> dict[uuid.UUID, list[dt.date]]:
    from closeloop.analytics.models.rollups import RollupDirtyDay

    qs = RollupDirtyDay.objects.filter(organization=organization, survey_id__in=survey_ids)
    if filters.date_from is not None:
        qs = qs.filter(day__gte=filters.date_from)
    if filters.date_to is not None:
        qs = qs.filter(day__lte=filters.date_to)
    days: dict[uuid.UUID, list[dt.date]] = defaultdict(list)
    for survey_id, day in qs.values_list("survey_id", "day")[: DIRTY_PATCH_LIMIT + 1]:
        days[survey_id].append(day)
    return dict(days)


@dataclass
class _Plan:
    organization: Organization
    metric: Metric
    basis: Basis
    group_by: GroupBy
    filters: MetricFilters
    surveys: list[Survey]
    refs: list[QuestionRef]
    scope: Scope
    source: Source = "raw"
    dirty: dict[uuid.UUID, list[dt.date]] = field(default_factory=dict)
    _labels: dict[str, str] | None = None

    def part_labels(self) -> dict[str, str]:
        """Labels of the parts (NPS categories, CES easy, each choice), translated once."""
        if self._labels is None:
            self._labels = {
                "promoters": _("Promoters"),
                "passives": _("Passives"),
                "detractors": _("Detractors"),
                "easy": _("Easy (5-7)"),
            }
            if self.metric == Metric.CHOICE:
                self._labels = _choice_labels(self.refs)
        return self._labels


def _fetch(plan: _Plan, dims: Sequence[str]) -> list[Row]:
    """Rows for the plan from its source (rollups patched with dirty days, or raw)."""
    metric, scope = plan.metric, plan.scope
    if plan.basis == Basis.LATEST:
        if metric == Metric.CHOICE:
            return latest_choice_rows(scope, dims)
        return latest_score_rows(scope, dims)
    if metric in INVITATION_METRICS:
        return raw_invitation_rows(scope, dims)
    raw: Callable[[Scope, Sequence[str]], list[Row]]
    rollup: Callable[[Scope, Sequence[str]], list[Row]]
    if metric == Metric.CHOICE:
        raw, rollup = raw_choice_rows, rollup_choice_rows
    elif metric == Metric.COMPLETION_RATE:
        raw, rollup = raw_started_rows, rollup_started_rows
    else:
        raw, rollup = raw_score_rows, rollup_score_rows
    if plan.source == "raw":
        return raw(scope, dims)
    rows = rollup(replace(scope, skip_days=plan.dirty or None), dims)
    if plan.dirty:
        rows += raw(replace(scope, only_days=plan.dirty), dims)
    return rows


def _cells(plan: _Plan, rows: Iterable[Row], key_of: Callable[[Row], str]) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    refs = {ref.ident: ref for ref in plan.refs}
    metric = plan.metric
    for row in rows:
        key = key_of(row)
        if metric in SCORE_METRICS:
            ref = refs.get((row["survey_id"], row["version_number"], row["question_key"]))
            if ref is None:
                continue
            score = cells.setdefault(key, ScoreCell())
            assert isinstance(score, ScoreCell)
            score.add(row, ref)
        elif metric == Metric.CHOICE:
            if (row["survey_id"], row["version_number"], row["question_key"]) not in refs:
                continue
            choice = cells.setdefault(key, ChoiceCell())
            assert isinstance(choice, ChoiceCell)
            choice.add(row)
        else:
            count = cells.setdefault(key, CountCell())
            assert isinstance(count, CountCell)
            count.add(row, ("sent", "bounced", "started", "completed", "started_completed"))
    return cells


def _choice_labels(refs: Sequence[QuestionRef]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for ref in sorted(refs, key=lambda r: r.version_number):
        for key, label in ref.question.choices:
            labels[key] = localized(label, key)
        if ref.question.allow_other:
            labels.setdefault("other", _("Other"))
    return labels


def _histogram_range(refs: Sequence[QuestionRef]) -> range:
    if any(ref.question.type == "nps" for ref in refs):
        return range(0, 11)
    top = max((ref.question.points or 5 for ref in refs), default=10)
    return range(1, min(top, 10) + 1)


def _estimate(plan: _Plan, cell: Cell) -> tuple[Estimate, tuple[Part, ...], dict[int, int] | None]:
    """A cell's estimate, its parts and (score metrics) its histogram."""
    metric = plan.metric
    if isinstance(cell, ScoreCell):
        histogram = {s: cell.histogram[s] for s in _histogram_range(plan.refs)}
        if metric in (Metric.NPS, Metric.ENPS):
            estimate = nps_from_histogram(cell.histogram)
            c, labels = estimate.counts, plan.part_labels()
            parts = tuple(
                Part(
                    key=key,
                    label=labels[key],
                    count=c[key],
                    estimate=proportion_estimate(successes=c[key], n=estimate.n),
                )
                for key in ("promoters", "passives", "detractors")
            )
            return estimate, parts, histogram
        if metric == Metric.CSAT:
            return csat_estimate(satisfied=cell.satisfied, n=cell.n), (), histogram
        estimate = mean_estimate(n=cell.n, total=cell.total, total_squares=cell.total_squares)
        if metric == Metric.CES:
            easy = ces_share_estimate(easy=cell.easy, n=cell.n)
            estimate = replace(estimate, counts=easy.counts)
            label = plan.part_labels()["easy"]
            part = Part(key="easy", label=label, count=cell.easy, estimate=easy)
            return estimate, (part,), histogram
        return estimate, (), histogram
    if isinstance(cell, ChoiceCell):
        labels = plan.part_labels()
        distribution = choice_distribution(counts=dict(cell.counts), n=cell.answered)
        ordered = [k for k in labels if k in distribution.shares] + sorted(
            k for k in distribution.shares if k not in labels
        )
        parts = tuple(
            Part(
                key=k,
                label=labels.get(k, k),
                count=distribution.counts[k],
                estimate=distribution.shares[k],
            )
            for k in ordered
        )
        estimate = Estimate(
            value=None,
            n=cell.answered,
            margin_of_error=None,
            counts={k: distribution.counts[k] for k in ordered},
            kind="proportion",
        )
        return estimate, parts, None
    counts = cell.counts
    if metric == Metric.COMPLETION_RATE:
        started, done = counts["started"], counts["started_completed"]
        estimate = proportion_estimate(successes=done, n=started)
        return replace(estimate, counts={"started": started, "completed": done}), (), None
    sent, bounced = counts["sent"], counts["bounced"]
    delivered = sent - bounced
    numerator = "completed" if metric == Metric.RESPONSE_RATE else "started"
    estimate = proportion_estimate(successes=counts[numerator], n=delivered)
    return (
        replace(
            estimate,
            counts={
                "sent": sent,
                "bounced": bounced,
                "delivered": delivered,
                numerator: counts[numerator],
            },
        ),
        (),
        None,
    )


def _labels(plan: _Plan, keys: Iterable[str]) -> dict[str, str]:
    from closeloop.distribution.choices import ListeningChannel
    from closeloop.distribution.models import Touchpoint
    from closeloop.responses.choices import Channel

    kind = plan.group_by.kind
    keys = list(keys)
    if kind == "touchpoint":
        ids = [k for k in keys if k]
        names = {
            str(pk): name
            for pk, name in Touchpoint.objects.filter(
                organization=plan.organization, pk__in=ids
            ).values_list("pk", "name")
        }
        return {k: names.get(k, _("No touchpoint")) if k else _("No touchpoint") for k in keys}
    if kind == "channel":
        choices = ListeningChannel.choices if plan.metric in INVITATION_METRICS else Channel.choices
        names = {str(value): str(label) for value, label in choices}
        return {k: names.get(k, k) for k in keys}
    if kind == "language":
        out = {}
        for k in keys:
            try:
                out[k] = str(get_language_info(k)["name_translated"])
            except KeyError:
                out[k] = k or _("Unknown")
        return out
    if kind == "survey":
        names = {str(s.pk): s.name for s in plan.surveys}
        return {k: names.get(k, k) for k in keys}
    if kind == "attribute":
        return {k: k if k else _("Not set") for k in keys}
    if plan.group_by.is_time:
        return {k: time_label(dt.date.fromisoformat(k), kind) for k in keys}
    return {k: k for k in keys}


def _time_keys(plan: _Plan, found: Iterable[str]) -> list[str]:
    """Every period between the date filters (empty ones too), else the ones with data."""
    grain, filters = plan.group_by.kind, plan.filters
    keys = set(found)
    if filters.date_from is not None and filters.date_to is not None:
        start = bucket_start(filters.date_from, grain)
        while start <= filters.date_to:
            keys.add(start.isoformat())
            start = next_bucket(start, grain)
    return sorted(keys)


def _hidden_estimate(estimate: Estimate) -> Estimate:
    return Estimate(value=None, n=estimate.n, margin_of_error=None, counts={}, kind=estimate.kind)


Computed = tuple[Estimate, tuple[Part, ...], dict[int, int] | None]


def _group(
    plan: _Plan, key: str, label: str, cell: Cell | Computed, hidden: bool, *, period: bool = True
) -> GroupResult:
    estimate, parts, histogram = cell if isinstance(cell, tuple) else _estimate(plan, cell)
    start = dt.date.fromisoformat(key) if period and plan.group_by.is_time else None
    if hidden:
        return GroupResult(
            key=key, label=label, estimate=_hidden_estimate(estimate), hidden=True, start=start
        )
    return GroupResult(
        key=key,
        label=label,
        estimate=estimate,
        parts=parts,
        histogram=histogram,
        start=start,
    )


def _plan(
    organization: Organization,
    metric: Metric,
    basis: Basis,
    group_by: GroupBy,
    filters: MetricFilters,
) -> tuple[_Plan, bool]:
    from closeloop.surveys.choices import SurveyKind

    _check_owned(organization, filters)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise DomainError(
            _("The end date is before the start date."), field="to", code="invalid-dates"
        )
    if basis == Basis.LATEST and metric not in (*SCORE_METRICS, Metric.CHOICE):
        raise DomainError(
            _("The latest-score basis applies to scores and choices, not to rates."),
            field="basis",
            code="invalid-basis",
        )
    if filters.team is not None and metric in INVITATION_METRICS:
        raise DomainError(
            _("A team filter applies to responses; response and start rates count invitations."),
            field="team",
            code="invalid-filter",
        )
    surveys = _surveys_in_scope(organization, metric, filters)
    employee = any(s.kind == SurveyKind.EMPLOYEE for s in surveys)
    refs: list[QuestionRef] = []
    question_types: tuple[str, ...] | None = None
    if metric in METRIC_QUESTION_TYPES:
        refs = metric_questions(surveys=surveys, metric=metric, key=filters.question)
        question_types = METRIC_QUESTION_TYPES[metric]
        if not refs and (filters.question or filters.surveys):
            raise DomainError(
                _("No %(metric)s question %(key)sin the chosen surveys.")
                % {
                    "metric": metric.value,
                    "key": f"'{filters.question}' " if filters.question else "",
                },
                field="question" if filters.question else "survey",
                code="no-question",
            )
    scope = Scope(
        organization_id=organization.pk,
        zone=ZoneInfo(organization.time_zone),
        survey_ids=tuple(s.pk for s in surveys),
        question_keys=tuple(sorted({r.question.key for r in refs})) if refs else None,
        question_types=question_types,
        date_from=filters.date_from,
        date_to=filters.date_to,
        touchpoint_ids=tuple(t.pk for t in filters.touchpoints),
        channels=tuple(filters.channels),
        languages=tuple(filters.languages),
        team_id=filters.team.pk if filters.team is not None else None,
        segment=filters.segment,
        attribute=filters.attribute,
        idents=tuple(r.ident for r in refs),
        grain=group_by.kind if group_by.is_time else "day",
        group_attribute=group_by.attribute,
    )
    plan = _Plan(
        organization=organization,
        metric=metric,
        basis=basis,
        group_by=group_by,
        filters=filters,
        surveys=surveys,
        refs=refs,
        scope=scope,
    )
    rollup_able = (
        basis == Basis.RESPONSE
        and metric not in INVITATION_METRICS
        and not filters.needs_raw
        and group_by.kind != "attribute"
        and bool(surveys)
        and rollups_ready(organization)
    )
    if rollup_able:
        dirty = _dirty_days(organization, scope.survey_ids, filters)
        if sum(len(days) for days in dirty.values()) <= DIRTY_PATCH_LIMIT:
            plan.source = "rollup"
            plan.dirty = dirty
    return plan, employee


def metric_compute(
    *,
    organization: Organization,
    metric: str | Metric,
    filters: MetricFilters | None = None,
    group_by: str | GroupBy = "none",
    basis: str | Basis = Basis.RESPONSE,
    min_group_size: int | None = None,
) -> MetricResult:
    """Compute a metric for the organization: per group (if grouped) and in total, each with
    n and a 95% margin, groups under the minimum size hidden (also against subtraction).

    Reads the daily rollups when the filters and grouping allow (surveys, question, dates,
    touchpoints, channels, languages; grouped by period, touchpoint, channel, language or
    survey; every response), patching days not yet recomputed from the raw answers; else reads
    the raw answers. Raises DomainError naming the field for bad input, NotFoundError for
    another organization's objects."""
    metric = _parse_metric(metric)
    basis = _parse_basis(basis)
    group = group_by if isinstance(group_by, GroupBy) else GroupBy.parse(group_by)
    filters = filters or MetricFilters()
    plan, employee = _plan(organization, metric, basis, group, filters)
    threshold = threshold_for(
        organization=organization, employee=employee, requested=min_group_size
    )
    if not plan.surveys:
        empty = _group(plan, "total", _("Total"), empty_cell(metric), False, period=False)
        keys = _time_keys(plan, []) if group.is_time else []
        return MetricResult(
            metric=metric,
            basis=basis,
            group_by=group,
            source=plan.source,
            filters=filters,
            min_group_size=threshold,
            groups=tuple(
                _group(plan, k, label, empty_cell(metric), False)
                for k, label in _labels(plan, keys).items()
            ),
            total=empty,
            employee=employee,
        )
    dims = group_dims(group)
    rows = _fetch(plan, dims)
    if group.kind == "none":
        cells: dict[str, Cell] = {}
        total_cell = merge_cells(metric, _cells(plan, rows, lambda _row: "").values())
    else:
        cells = _cells(plan, rows, group_key_function(group))
        if basis == Basis.LATEST:
            # each contact once in the total, though they may be latest in several groups
            total_cell = merge_cells(metric, _cells(plan, _fetch(plan, []), lambda _r: "").values())
        else:
            total_cell = merge_cells(metric, cells.values())
    keys = _time_keys(plan, cells) if group.is_time else list(cells)
    labels = _labels(plan, keys)
    computed = {k: _estimate(plan, cells.get(k) or empty_cell(metric)) for k in keys}
    total = _estimate(plan, total_cell)
    sizes = {k: c[0].n for k, c in computed.items()}
    hidden_keys, hide_total = suppressed(sizes, total=total[0].n, threshold=threshold)
    groups = [_group(plan, k, labels[k], computed[k], k in hidden_keys) for k in keys]
    if not group.is_time:
        groups.sort(key=lambda g: (-g.estimate.n, g.label))
    return MetricResult(
        metric=metric,
        basis=basis,
        group_by=group,
        source=plan.source,
        filters=filters,
        min_group_size=threshold,
        groups=tuple(groups),
        total=_group(plan, "total", _("Total"), total, hide_total, period=False),
        questions=tuple(plan.refs),
        employee=employee,
    )


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [date_from, date_to]."""
    length = (date_to - date_from).days + 1
    end = date_from - dt.timedelta(days=1)
    return end - dt.timedelta(days=length - 1), end


def metric_compare(
    *,
    organization: Organization,
    metric: str | Metric,
    filters: MetricFilters,
    group_by: str | GroupBy = "none",
    basis: str | Basis = Basis.RESPONSE,
    min_group_size: int | None = None,
) -> MetricComparison:
    """The metric over the filters' dates and over the period of the same length before it,
    with the change of the total (and of each group, for categorical groupings)."""
    if filters.date_from is None or filters.date_to is None:
        raise DomainError(
            _("Choose a start and an end date to compare with the previous period."),
            field="from" if filters.date_from is None else "to",
            code="dates-required",
        )
    current = metric_compute(
        organization=organization,
        metric=metric,
        filters=filters,
        group_by=group_by,
        basis=basis,
        min_group_size=min_group_size,
    )
    previous = metric_compute(
        organization=organization,
        metric=metric,
        filters=filters.shifted(*previous_period(filters.date_from, filters.date_to)),
        group_by=group_by,
        basis=basis,
        min_group_size=min_group_size,
    )
    changes: dict[str, Comparison] = {}
    if not current.group_by.is_time:
        for group in current.groups:
            before = previous.group(group.key)
            if before is not None:
                changes[group.key] = compare(group.estimate, before.estimate)
    return MetricComparison(
        current=current,
        previous=previous,
        change=compare(current.total.estimate, previous.total.estimate),
        group_changes=changes,
    )
