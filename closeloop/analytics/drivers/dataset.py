"""The data of a key-driver analysis: one row per completed response with the target score and
every candidate driver, read in a few set-based queries (never one query per response).

Candidate drivers come from *sources*. Two are built in: the survey's own questions (scores,
matrix rows, single choices, yes/no) and the contact's typed attributes. Another app adds its
own with `register_driver_source` (for example text themes: one yes/no column per theme).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from closeloop.contacts.choices import AttributeType
from closeloop.core.errors import DomainError
from closeloop.responses.choices import ResponseStatus
from closeloop.responses.models import AnswerFact, Response
from closeloop.responses.selectors import definition_of
from closeloop.surveys.choices import SurveyKind
from closeloop.surveys.models import SurveyVersion
from closeloop.surveys.questions import QUESTION_TYPES
from closeloop.surveys.questions.scale import ScaleType
from closeloop.surveys.schema import OTHER_KEY

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.contacts.models import Segment
    from closeloop.surveys.models import Survey
    from closeloop.surveys.schema import SurveyDefinition

DriverKind = Literal["scale", "choice", "yes_no", "number"]

# Question types that can be the target, and those read as numeric (scale) drivers.
TARGET_TYPES = ("nps", "csat", "ces", "rating")
SCALE_TYPES = ("nps", "csat", "ces", "rating")
CHOICE_TYPES = ("single_choice", "dropdown")
YES_NO_TYPES = ("consent",)
MATRIX_TYPE = "matrix"
TARGET_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}

# How a contact attribute of each type is read (dates are not drivers; text is a choice).
ATTRIBUTE_KINDS: dict[str, DriverKind] = {
    AttributeType.NUMBER: "number",
    AttributeType.BOOLEAN: "yes_no",
    AttributeType.TEXT: "choice",
}

# The most recent responses read for one analysis; enough for stable weights, bounded memory.
MAX_ROWS = 50_000


class DriverInputError(DomainError):
    """A target or filter that cannot be used; `field` names the input at fault."""

    status = 422


@dataclass(frozen=True)
class DriverFilters:
    """Which responses the analysis reads: completed between two dates (inclusive, in the
    organization's time zone), at a touchpoint, through a channel, in a language, from the
    contacts of a segment."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    touchpoint_id: uuid.UUID | None = None
    channel: str = ""
    language: str = ""
    segment: Segment | None = None


@dataclass
class DriverColumn:
    """One candidate driver: a value per response id.

    `scale` and `number` values are floats (a scale has `low`..`high` bounds, used for its
    performance); `yes_no` values are 1.0 / 0.0; `choice` values are level keys named in
    `levels` (a choice becomes one-hot columns, one level dropped)."""

    key: str
    label: str
    kind: DriverKind
    values: dict[uuid.UUID, float | str]
    low: float | None = None
    high: float | None = None
    levels: dict[str, str] = field(default_factory=dict)
    source: str = "question"


@dataclass(frozen=True)
class Target:
    """The score the drivers explain: an NPS, CSAT, CES or rating question of the survey."""

    key: str
    type: str
    label: str
    title: str
    low: float
    high: float


@dataclass(frozen=True)
class DriverSourceContext:
    """What a driver source gets: the responses of the analysis (a queryset to use as a
    subquery, never to loop over one by one) and the language to label its drivers in."""

    organization: Organization
    survey: Survey
    responses: QuerySet[Response]
    language: str


DriverSource = Callable[[DriverSourceContext], Iterable[DriverColumn]]

_SOURCES: list[DriverSource] = []


def register_driver_source(source: DriverSource) -> DriverSource:
    """Add a source of extra driver columns (call it from an AppConfig.ready); also usable as a
    decorator. A source returns DriverColumns keyed `<source>:<key>`, values by response id."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def driver_sources() -> list[DriverSource]:
    """The registered extra sources, in registration order."""
    return list(_SOURCES)


# --- the survey's questions, across its versions -------------------------------------------------


@dataclass(frozen=True)
class QuestionInfo:
    """A question as the newest published version that has its key defines it."""

    key: str
    type: str
    title: str
    low: float | None = None
    high: float | None = None
    choices: tuple[tuple[str, str], ...] = ()
    rows: tuple[tuple[str, str], ...] = ()
    columns: int = 0


def _question_info(question: Any, definition: SurveyDefinition, language: str) -> QuestionInfo:
    title = definition.localize(question.title, language)
    kind = QUESTION_TYPES.get(question.type)
    if isinstance(kind, ScaleType):
        low, high = kind.bounds(question)
        return QuestionInfo(question.key, question.type, title, float(low), float(high))
    if question.type in CHOICE_TYPES:
        choices = [(c.key, definition.localize(c.label, language)) for c in question.choices]
        if question.allow_other:
            other = definition.localize(question.other_label, language) or _("Other")
            choices.append((OTHER_KEY, other))
        return QuestionInfo(question.key, question.type, title, choices=tuple(choices))
    if question.type == MATRIX_TYPE:
        rows = tuple((r.key, definition.localize(r.label, language)) for r in question.rows)
        columns = len(question.columns)
        return QuestionInfo(
            question.key, question.type, title, 1.0, float(columns), rows=rows, columns=columns
        )
    return QuestionInfo(question.key, question.type, title)


def survey_questions(*, survey: Survey, language: str) -> dict[str, QuestionInfo]:
    """Every question ever published in the survey, keyed by question key, in the order of the
    newest version (older versions' extra questions after it)."""
    versions = SurveyVersion.objects.filter(survey=survey, published_at__isnull=False).order_by(
        "-number"
    )
    found: dict[str, QuestionInfo] = {}
    for version in versions:
        definition = definition_of(version)
        lang = language if language in definition.languages else definition.default_language
        for _page, question in definition.iter_questions():
            if question.key not in found:
                found[question.key] = _question_info(question, definition, lang)
    return found


def target_label(info: QuestionInfo, survey: Survey) -> str:
    """How the target is named in sentences: NPS (eNPS for employees), CSAT, CES or the title."""
    if info.type == "nps" and survey.kind == SurveyKind.EMPLOYEE:
        return "eNPS"
    return TARGET_LABELS.get(info.type, info.title)


def target_choices(questions: dict[str, QuestionInfo]) -> list[QuestionInfo]:
    """The questions that can be a target, in survey order."""
    return [q for q in questions.values() if q.type in TARGET_TYPES]


def resolve_target(*, survey: Survey, questions: dict[str, QuestionInfo], target: str) -> Target:
    """The target question: `nps` (the first NPS question), `csat` (the first CSAT question), a
    question key, or empty for the default (NPS, else CSAT)."""
    wanted = (target or "").strip()
    info: QuestionInfo | None = None
    if wanted in ("", "nps", "csat"):
        for qtype in ("nps", "csat") if wanted == "" else (wanted,):
            info = next((q for q in questions.values() if q.type == qtype), None)
            if info is not None:
                break
        if info is None:
            if wanted == "csat":
                message = _("This survey has no CSAT question.")
            elif wanted == "nps":
                message = _("This survey has no NPS question.")
            else:
                message = _("This survey has no NPS or CSAT question to explain.")
            raise DriverInputError(message, field="target", code="no-target")
    else:
        info = questions.get(wanted)
        if info is None:
            raise DriverInputError(
                _("This survey has no question with the key “%(key)s”.") % {"key": wanted[:64]},
                field="target",
                code="unknown-target",
            )
        if info.type not in TARGET_TYPES:
            raise DriverInputError(
                _("“%(key)s” is not a score question (NPS, CSAT, CES or rating).")
                % {"key": wanted[:64]},
                field="target",
                code="invalid-target",
            )
    assert info.low is not None and info.high is not None
    return Target(
        key=info.key,
        type=info.type,
        label=target_label(info, survey),
        title=info.title,
        low=info.low,
        high=info.high,
    )


# --- responses ---------------------------------------------------------------------------


def _day_start(day: dt.date, time_zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(time_zone))


def filtered_responses(
    *, survey: Survey, filters: DriverFilters, target: Target | None = None
) -> QuerySet[Response]:
    """The survey's completed responses (historical ones too) matching the filters; with a
    target, only those that answered it."""
    from closeloop.contacts.selectors import segment_contacts

    qs = Response.objects.filter(survey=survey, status=ResponseStatus.COMPLETE)
    time_zone = survey.organization.time_zone
    if filters.date_from is not None:
        qs = qs.filter(completed_at__gte=_day_start(filters.date_from, time_zone))
    if filters.date_to is not None:
        end = _day_start(filters.date_to + dt.timedelta(days=1), time_zone)
        qs = qs.filter(completed_at__lt=end)
    if filters.touchpoint_id is not None:
        qs = qs.filter(touchpoint_id=filters.touchpoint_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.language:
        qs = qs.filter(language=filters.language)
    if filters.segment is not None:
        qs = qs.filter(contact_id__in=segment_contacts(segment=filters.segment).values("pk"))
    if target is not None:
        qs = qs.filter(
            facts__question_key=target.key,
            facts__question_type=target.type,
            facts__number__isnull=False,
        )
    return qs


@dataclass
class Dataset:
    """The target score per response and the candidate drivers; `capped` when only the most
    recent MAX_ROWS responses were read."""

    target: Target
    y: dict[uuid.UUID, float]
    columns: list[DriverColumn]
    capped: bool = False


def _question_columns(
    questions: dict[str, QuestionInfo], target: Target
) -> dict[tuple[str, str], DriverColumn]:
    """Empty columns for every question that can be a driver, keyed by (question key, row)."""
    columns: dict[tuple[str, str], DriverColumn] = {}
    for info in questions.values():
        if info.key == target.key:
            continue
        if info.type in SCALE_TYPES:
            columns[(info.key, "")] = DriverColumn(
                key=f"q:{info.key}",
                label=info.title,
                kind="scale",
                values={},
                low=info.low,
                high=info.high,
            )
        elif info.type in CHOICE_TYPES:
            columns[(info.key, "")] = DriverColumn(
                key=f"q:{info.key}",
                label=info.title,
                kind="choice",
                values={},
                levels=dict(info.choices),
            )
        elif info.type in YES_NO_TYPES:
            columns[(info.key, "")] = DriverColumn(
                key=f"q:{info.key}",
                label=info.title,
                kind="yes_no",
                values={},
                levels={"1": _("Yes"), "0": _("No")},
            )
        elif info.type == MATRIX_TYPE:
            for row_key, row_label in info.rows:
                columns[(info.key, row_key)] = DriverColumn(
                    key=f"q:{info.key}.{row_key}",
                    label=row_label or info.title,
                    kind="scale",
                    values={},
                    low=info.low,
                    high=info.high,
                )
    return columns


def _attribute_columns(
    organization: Organization, responses: QuerySet[Response], rows: dict[uuid.UUID, Any]
) -> list[DriverColumn]:
    """One column per number, yes/no or text attribute of the responses' contacts (dates are
    left out: a date is not something a customer rates)."""
    from closeloop.contacts.models import AttributeDefinition, Contact

    definitions = list(
        AttributeDefinition.objects.filter(organization=organization)
        .exclude(type=AttributeType.DATE)
        .order_by("key")
    )
    if not definitions:
        return []
    contact_of = {rid: cid for rid, cid in rows.items() if cid is not None}
    if not contact_of:
        return []
    attributes = dict(
        Contact.objects.filter(
            organization=organization,
            erased_at__isnull=True,
            pk__in=responses.exclude(contact_id__isnull=True).values("contact_id"),
        ).values_list("pk", "attributes")
    )
    columns: list[DriverColumn] = []
    for definition in definitions:
        kind: DriverKind = ATTRIBUTE_KINDS.get(definition.type, "choice")
        values: dict[uuid.UUID, float | str] = {}
        levels: dict[str, str] = {}
        for rid, cid in contact_of.items():
            value = (attributes.get(cid) or {}).get(definition.key)
            if value is None or value == "":
                continue
            if kind == "number":
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                values[rid] = float(value)
            elif kind == "yes_no":
                if not isinstance(value, bool):
                    continue
                values[rid] = 1.0 if value else 0.0
            else:
                text = str(value).strip()
                level = text.casefold()[:64]
                levels.setdefault(level, text[:120])
                values[rid] = level
        if kind == "yes_no":
            levels = {"1": _("Yes"), "0": _("No")}
        columns.append(
            DriverColumn(
                key=f"attr:{definition.key}",
                label=definition.label or definition.key,
                kind=kind,
                values=values,
                levels=levels,
                source="attribute",
            )
        )
    return columns


def load_dataset(
    *,
    survey: Survey,
    target: Target,
    questions: dict[str, QuestionInfo],
    filters: DriverFilters,
    language: str,
) -> Dataset:
    """The target and every candidate driver for the filtered responses (newest MAX_ROWS)."""
    matching = filtered_responses(survey=survey, filters=filters, target=target)
    rows = dict(
        matching.order_by("-completed_at", "-id").values_list("id", "contact_id")[: MAX_ROWS + 1]
    )
    capped = len(rows) > MAX_ROWS
    if capped:
        newest = matching.order_by("-completed_at", "-id")[:MAX_ROWS]
        ids_query = Response.objects.filter(pk__in=newest.values("pk"))
        rows = dict(list(rows.items())[:MAX_ROWS])
    else:
        ids_query = matching
    question_columns = _question_columns(questions, target)
    wanted = {target.key} | {key for key, _row in question_columns}
    y: dict[uuid.UUID, float] = {}
    facts = AnswerFact.objects.filter(
        response__in=ids_query.values("pk"), question_key__in=sorted(wanted)
    ).values_list("response_id", "question_key", "question_type", "row_key", "number", "choice")
    for rid, key, qtype, row, number, choice in facts.iterator(chunk_size=5000):
        if rid not in rows:
            continue
        if key == target.key:
            if qtype == target.type and number is not None:
                y[rid] = float(number)
            continue
        info = questions.get(key)
        if info is None or qtype != info.type:
            continue  # the key meant another kind of question in an older version
        column = question_columns.get((key, row or ""))
        if column is None:
            continue
        if column.kind in ("scale", "yes_no"):
            if number is not None:
                column.values[rid] = float(number)
        elif choice:
            column.values[rid] = choice
    columns = list(question_columns.values())
    columns.extend(_attribute_columns(survey.organization, ids_query, rows))
    context = DriverSourceContext(
        organization=survey.organization, survey=survey, responses=ids_query, language=language
    )
    for source in driver_sources():
        columns.extend(source(context))
    return Dataset(target=target, y=y, columns=columns, capped=capped)
