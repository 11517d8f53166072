"""Business metrics against scores: what happened to promoters, passives and detractors.

Each contact counts once, in the group of their latest NPS answer in the period (customer
surveys, or the survey chosen). Against those groups:

- churn and retention rates, from a yes/no attribute (yes: churned; contacts without a value
  are left out) or a date attribute (a date on or before today: churned; none: retained), each
  with n and a 95% margin;
- the share of each group with a business event of a chosen type (an invoice dispute, a
  login...) in the period;
- the mean and sum of a number attribute (revenue), and "revenue at risk": the sum over the
  detractors. It is an estimate: it assumes today's attribute value is what would be lost;
- the unresolved-issue share: among detractor responses in the period, those whose case is
  not resolved (still open, or no case at all), with the breakdown.

Groups with fewer contacts than the minimum group size are hidden (and a second group when the
total would give the first away); the revenue at risk and the unresolved share are hidden when
there are too few detractors.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.accounts.models import Organization
from closeloop.analytics.metrics import Estimate, min_group_size
from closeloop.analytics.metrics.stats import mean_estimate, nps_category, proportion_estimate
from closeloop.analytics.metrics.suppression import suppressed
from closeloop.core.errors import DomainError

GROUPS = ("promoters", "passives", "detractors")
CATEGORY_GROUP = {"promoter": "promoters", "passive": "passives", "detractor": "detractors"}


def group_labels() -> dict[str, str]:
    return {"promoters": _("Promoters"), "passives": _("Passives"), "detractors": _("Detractors")}


@dataclass
class GroupFigures:
    """One NPS group's business figures (all None when the group is hidden)."""

    key: str
    label: str
    n: int
    hidden: bool = False
    churn: Estimate | None = None
    retention: Estimate | None = None
    event: Estimate | None = None
    revenue_sum: float | None = None
    revenue: Estimate | None = None  # mean of the number attribute


@dataclass
class Unresolved:
    """Detractor responses whose issue is not resolved: no case, or a case still open."""

    n: int
    hidden: bool
    share: Estimate | None = None
    no_case: int = 0
    open_case: int = 0
    resolved: int = 0


@dataclass
class BusinessResult:
    """Every figure of the business metrics page."""

    n_contacts: int
    groups: list[GroupFigures]
    min_group_size: int
    churn_attribute: str = ""
    revenue_attribute: str = ""
    event_type: str = ""
    revenue_at_risk: float | None = None
    revenue_at_risk_hidden: bool = False
    revenue_total: float | None = None
    unresolved: Unresolved | None = None
    sentences: list[str] = field(default_factory=list)

    def group(self, key: str) -> GroupFigures:
        return next(g for g in self.groups if g.key == key)


@dataclass(frozen=True)
class BusinessOptions:
    """What the page and the API offer to choose from."""

    churn: list[tuple[str, str]]  # yes/no and date attributes
    revenue: list[tuple[str, str]]  # number attributes
    events: list[str]  # business event types seen


def business_options(organization: Organization) -> BusinessOptions:
    from closeloop.contacts.choices import AttributeType
    from closeloop.contacts.models import AttributeDefinition
    from closeloop.distribution.models import Event

    definitions = list(AttributeDefinition.objects.filter(organization=organization))
    churn = [
        (d.key, d.label)
        for d in definitions
        if d.type in (AttributeType.BOOLEAN, AttributeType.DATE)
    ]
    revenue = [(d.key, d.label) for d in definitions if d.type == AttributeType.NUMBER]
    events = sorted(
        set(
            Event.objects.filter(organization=organization)
            .values_list("event_type", flat=True)
            .distinct()[:200]
        )
    )
    return BusinessOptions(churn=churn, revenue=revenue, events=events)


def _attribute(organization: Organization, key: str, types: Sequence[str], name: str) -> str:
    from closeloop.contacts.models import AttributeDefinition

    if not key:
        return ""
    definition = AttributeDefinition.objects.filter(organization=organization, key=key).first()
    if definition is None or definition.type not in types:
        if name == "churn":
            message = _("Choose a yes/no or date attribute for churn.")
        else:
            message = _("Choose a number attribute (such as revenue).")
        raise DomainError(message, field=name)
    return str(definition.type)


def _bounds(
    organization: Organization, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if date_from and date_to and date_from > date_to:
        raise DomainError(_("The end date is before the start date."), field="to")
    zone = zoneinfo.ZoneInfo(organization.time_zone)
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=zone) if date_from else None
    end = (
        dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        if date_to
        else None
    )
    return start, end


def _scored_responses(
    organization: Organization,
    survey: Any,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[tuple[Any, Any, dt.datetime, float]]:
    """(response id, contact id, completed at, first NPS score) of completed responses."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import AnswerFact, Response
    from closeloop.surveys.choices import SurveyKind

    qs = Response.objects.filter(
        organization=organization, status=ResponseStatus.COMPLETE, completed_at__isnull=False
    )
    if survey is not None:
        if survey.organization_id != organization.pk:
            raise DomainError(_("There is no such survey."), field="survey")
        if survey.kind == SurveyKind.EMPLOYEE:
            raise DomainError(
                _("Business metrics are about customers: choose a customer survey."),
                field="survey",
            )
        qs = qs.filter(survey=survey)
    else:
        qs = qs.filter(survey__kind=SurveyKind.CUSTOMER)
    if start is not None:
        qs = qs.filter(completed_at__gte=start)
    if end is not None:
        qs = qs.filter(completed_at__lt=end)
    score = Subquery(
        AnswerFact.objects.filter(
            response_id=OuterRef("pk"), question_type="nps", number__isnull=False
        )
        .order_by("id")
        .values("number")[:1]
    )
    rows = (
        qs.annotate(first_nps=score)
        .filter(first_nps__isnull=False)
        .values_list("pk", "contact_id", "completed_at", "first_nps")
    )
    return [(pk, contact, at, float(nps)) for pk, contact, at, nps in rows if at is not None]


def _churned(value: Any, attr_type: str, today: dt.date) -> bool | None:
    if attr_type == "boolean":
        return value if isinstance(value, bool) else None
    if value in (None, ""):
        return False
    try:
        return dt.date.fromisoformat(str(value)[:10]) <= today
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def business_metrics(
    *,
    organization: Organization,
    survey: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    churn_attribute: str = "",
    revenue_attribute: str = "",
    event_type: str = "",
    min_group_size_override: int | None = None,
) -> BusinessResult:
    """Churn, retention, event share, revenue and unresolved issues by NPS group."""
    from closeloop.contacts.choices import AttributeType
    from closeloop.contacts.models import Contact
    from closeloop.distribution.models import Event

    churn_type = _attribute(
        organization, churn_attribute, (AttributeType.BOOLEAN, AttributeType.DATE), "churn"
    )
    _attribute(organization, revenue_attribute, (AttributeType.NUMBER,), "revenue")
    event_type = (event_type or "").strip()[:100]
    start, end = _bounds(organization, date_from, date_to)
    threshold = min_group_size(organization=organization, requested=min_group_size_override)
    responses = _scored_responses(organization, survey, start, end)

    latest: dict[Any, tuple[dt.datetime, float]] = {}
    for _pk, contact_id, completed, score in responses:
        if contact_id is not None and (
            contact_id not in latest or completed > latest[contact_id][0]
        ):
            latest[contact_id] = (completed, score)
    contacts = dict(
        Contact.objects.filter(
            organization=organization, pk__in=list(latest), erased_at__isnull=True
        ).values_list("pk", "attributes")
    )
    members: dict[str, list[Any]] = {g: [] for g in GROUPS}
    for contact_id, (_at, score) in latest.items():
        if contact_id in contacts:
            members[CATEGORY_GROUP[nps_category(score)]].append(contact_id)
    sizes = {g: len(ids) for g, ids in members.items()}
    total = sum(sizes.values())
    hidden, hide_total = suppressed(sizes, total=total, threshold=threshold)

    with_event: set[Any] = set()
    if event_type:
        events = Event.objects.filter(
            organization=organization, event_type=event_type, contact_id__in=list(contacts)
        )
        if start is not None:
            events = events.filter(occurred_at__gte=start)
        if end is not None:
            events = events.filter(occurred_at__lt=end)
        with_event = set(events.values_list("contact_id", flat=True))

    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(organization.time_zone))
    labels = group_labels()
    groups: list[GroupFigures] = []
    revenue_total = 0.0
    for key in GROUPS:
        ids = members[key]
        figures = GroupFigures(key=key, label=labels[key], n=len(ids), hidden=key in hidden)
        values = (
            [_number(contacts[c].get(revenue_attribute)) for c in ids] if revenue_attribute else []
        )
        known = [v for v in values if v is not None]
        revenue_total += sum(known)
        if figures.hidden:
            figures.n = 0
            groups.append(figures)
            continue
        if churn_type:
            states = [_churned(contacts[c].get(churn_attribute), churn_type, today) for c in ids]
            judged = [s for s in states if s is not None]
            churned = sum(1 for s in judged if s)
            if judged:
                figures.churn = proportion_estimate(
                    successes=churned, n=len(judged), success_label="churned",
                    failure_label="retained",
                )  # fmt: skip
                figures.retention = proportion_estimate(
                    successes=len(judged) - churned, n=len(judged), success_label="retained",
                    failure_label="churned",
                )  # fmt: skip
        if event_type and ids:
            figures.event = proportion_estimate(
                successes=sum(1 for c in ids if c in with_event), n=len(ids),
                success_label="with_event", failure_label="without",
            )  # fmt: skip
        if revenue_attribute and known:
            figures.revenue_sum = sum(known)
            figures.revenue = mean_estimate(
                n=len(known), total=sum(known), total_squares=sum(v * v for v in known)
            )
        groups.append(figures)

    result = BusinessResult(
        n_contacts=0 if hide_total else total,
        groups=groups,
        min_group_size=threshold,
        churn_attribute=churn_attribute,
        revenue_attribute=revenue_attribute,
        event_type=event_type,
    )
    if revenue_attribute:
        detractors = result.group("detractors")
        result.revenue_at_risk_hidden = detractors.hidden or hide_total
        if not result.revenue_at_risk_hidden:
            result.revenue_at_risk = detractors.revenue_sum or 0.0
            result.revenue_total = revenue_total if not hidden else None
    result.unresolved = _unresolved(responses, threshold)
    result.sentences = _sentences(result)
    return result


def _unresolved(responses: list[tuple[Any, Any, dt.datetime, float]], threshold: int) -> Unresolved:
    from closeloop.cases.choices import DONE_STATUSES
    from closeloop.cases.models import Case

    ids = [pk for pk, _c, _at, score in responses if score <= 6]
    n = len(ids)
    if 0 < n < threshold:
        return Unresolved(n=0, hidden=True)
    statuses: dict[Any, set[str]] = {}
    for response_id, status in Case.objects.filter(response_id__in=ids).values_list(
        "response_id", "status"
    ):
        statuses.setdefault(response_id, set()).add(status)
    resolved = sum(1 for pk in ids if statuses.get(pk, set()) & set(DONE_STATUSES))
    open_case = sum(1 for pk in ids if pk in statuses and not statuses[pk] & set(DONE_STATUSES))
    no_case = n - resolved - open_case
    share = (
        proportion_estimate(
            successes=no_case + open_case,
            n=n,
            success_label="unresolved",
            failure_label="resolved",
        )
        if n
        else None
    )
    return Unresolved(
        n=n, hidden=False, share=share, no_case=no_case, open_case=open_case, resolved=resolved
    )


def _pct(estimate: Estimate | None) -> str:
    if estimate is None or estimate.value is None:
        return "—"
    margin = estimate.margin_of_error
    text = f"{estimate.value:.0f}%"
    return f"{text} (±{margin:.0f})" if margin is not None else text


def _sentences(result: BusinessResult) -> list[str]:
    out: list[str] = []
    promoters, detractors = result.group("promoters"), result.group("detractors")
    if result.churn_attribute:
        if promoters.churn and detractors.churn:
            difference = (detractors.churn.value or 0) - (promoters.churn.value or 0)
            se1, se2 = detractors.churn.standard_error, promoters.churn.standard_error
            margin = (
                1.96 * math.sqrt(se1**2 + se2**2) if se1 is not None and se2 is not None else None
            )
            out.append(
                _("Detractors churned at %(d)s (n = %(dn)s), promoters at %(p)s (n = %(pn)s).")
                % {
                    "d": _pct(detractors.churn),
                    "dn": detractors.churn.n,
                    "p": _pct(promoters.churn),
                    "pn": promoters.churn.n,
                }
            )
            if margin is not None and abs(difference) > margin:
                out.append(
                    _(
                        "The difference, %(diff)s points, is larger than its margin of error "
                        "(±%(margin)s): not noise."
                    )
                    % {"diff": f"{difference:.0f}", "margin": f"{margin:.0f}"}
                )
            elif margin is not None:
                out.append(
                    _(
                        "The difference, %(diff)s points, is within its margin of error "
                        "(±%(margin)s): it could be noise."
                    )
                    % {"diff": f"{difference:.0f}", "margin": f"{margin:.0f}"}
                )
        else:
            out.append(_("Too few contacts with a known churn status in these groups to compare."))
    if result.revenue_attribute:
        if result.revenue_at_risk_hidden:
            out.append(
                _("Revenue at risk is hidden: fewer than %(min)s detractors.")
                % {"min": result.min_group_size}
            )
        elif result.revenue_at_risk is not None:
            out.append(
                _(
                    "Revenue at risk (an estimate): %(amount)s, the sum of this attribute over "
                    "the %(n)s detractors."
                )
                % {"amount": f"{result.revenue_at_risk:,.0f}", "n": detractors.n}
            )
    unresolved = result.unresolved
    if unresolved is not None and unresolved.share is not None:
        out.append(
            _("%(share)s of detractor responses have no resolved case (n = %(n)s).")
            % {"share": _pct(unresolved.share), "n": unresolved.n}
        )
    return out


def default_choices(options: BusinessOptions) -> tuple[str, str]:
    """The churn and revenue attributes to show first: ones named like it, else the first."""

    def pick(choices: list[tuple[str, str]], words: tuple[str, ...]) -> str:
        for key, _label in choices:
            if any(word in key for word in words):
                return key
        return choices[0][0] if choices else ""

    return pick(options.churn, ("churn",)), pick(options.revenue, ("revenue", "value", "arr"))


def business_chart_data(result: BusinessResult) -> dict[str, Any]:
    """Bars per NPS group (rates in percent, the 95% interval as error bars) for plotly; hidden
    groups have no bar. The table on the page carries the same figures."""
    series = []

    def add(name: str, pick: str) -> None:
        values: list[float | None] = []
        plus: list[float | None] = []
        minus: list[float | None] = []
        for group in result.groups:
            estimate: Estimate | None = getattr(group, pick)
            value = None if estimate is None else estimate.value
            values.append(value)
            # the 95% interval (adjusted under 30 answers, kept within 0-100) around the value
            low = None if estimate is None else estimate.low
            high = None if estimate is None else estimate.high
            plus.append(None if value is None or high is None else max(0.0, high - value))
            minus.append(None if value is None or low is None else max(0.0, value - low))
        if any(v is not None for v in values):
            series.append({"name": name, "values": values, "plus": plus, "minus": minus})

    if result.churn_attribute:
        add(_("Churn rate"), "churn")
        add(_("Retention rate"), "retention")
    if result.event_type:
        add(_("With the event %(event)s") % {"event": result.event_type}, "event")
    return {
        "categories": [g.label for g in result.groups],
        "series": series,
        "y_title": _("Share of contacts (%)"),
    }
