"""What a metric query asks for: the metric, its filters, the grouping, and which question of
each survey version it reads."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError

if TYPE_CHECKING:
    from closeloop.accounts.models import Team
    from closeloop.contacts.models import Segment
    from closeloop.distribution.models import Touchpoint
    from closeloop.surveys.models import Survey


class Metric(StrEnum):
    """Every figure the engine computes (DESIGN.md, "Metrics, exactly")."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    ENPS = "enps"
    RATING = "rating"
    CHOICE = "choice"
    RESPONSE_RATE = "response_rate"
    START_RATE = "start_rate"
    COMPLETION_RATE = "completion_rate"


class Basis(StrEnum):
    """Every response counts (default), or only each contact's latest score."""

    RESPONSE = "response"
    LATEST = "latest"


SCORE_METRICS = frozenset({Metric.NPS, Metric.CSAT, Metric.CES, Metric.ENPS, Metric.RATING})
INVITATION_METRICS = frozenset({Metric.RESPONSE_RATE, Metric.START_RATE})
SCORE_TYPES = ("nps", "csat", "ces", "rating")
CHOICE_TYPES = ("single_choice", "multiple_choice", "dropdown")
# The question types each metric reads.
METRIC_QUESTION_TYPES: dict[Metric, tuple[str, ...]] = {
    Metric.NPS: ("nps",),
    Metric.ENPS: ("nps",),
    Metric.CSAT: ("csat",),
    Metric.CES: ("ces",),
    Metric.RATING: ("rating", "nps", "csat", "ces"),
    Metric.CHOICE: CHOICE_TYPES,
}
# The question type a metric picks when no question is named: the first of it in each version.
METRIC_DEFAULT_TYPE: dict[Metric, tuple[str, ...]] = {
    Metric.NPS: ("nps",),
    Metric.ENPS: ("nps",),
    Metric.CSAT: ("csat",),
    Metric.CES: ("ces",),
    Metric.RATING: ("rating",),
    Metric.CHOICE: CHOICE_TYPES,
}

TimeGrain = Literal["day", "week", "month", "quarter"]
TIME_GRAINS: tuple[TimeGrain, ...] = ("day", "week", "month", "quarter")
GROUP_KINDS = ("none", *TIME_GRAINS, "touchpoint", "channel", "language", "survey", "attribute")


@dataclass(frozen=True)
class GroupBy:
    """How results are split: not at all, by a period of the org's time zone, by touchpoint,
    channel, language, survey, or a contact attribute's value (`attribute:<key>`)."""

    kind: str = "none"
    attribute: str = ""

    @classmethod
    def parse(cls, value: str | None) -> GroupBy:
        """`none`, `day`, `week`, `month`, `quarter`, `touchpoint`, `channel`, `language`,
        `survey` or `attribute:<key>`; DomainError (field group_by) otherwise."""
        text = (value or "none").strip()
        if text.startswith("attribute:") and text[len("attribute:") :].strip():
            return cls(kind="attribute", attribute=text[len("attribute:") :].strip())
        if text in GROUP_KINDS and text != "attribute":
            return cls(kind=text)
        raise DomainError(
            _("Group by one of: %(kinds)s, or attribute:<key>.")
            % {"kinds": ", ".join(k for k in GROUP_KINDS if k != "attribute")},
            field="group_by",
            code="invalid-group-by",
        )

    @property
    def is_time(self) -> bool:
        return self.kind in TIME_GRAINS

    def __str__(self) -> str:
        return f"attribute:{self.attribute}" if self.kind == "attribute" else self.kind


@dataclass(frozen=True)
class MetricFilters:
    """Which answers count. Every object must belong to the queried organization; dates are
    days in the organization's time zone, both ends included."""

    surveys: tuple[Survey, ...] = ()
    question: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    touchpoints: tuple[Touchpoint, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    team: Team | None = None
    segment: Segment | None = None
    # (key, value): the respondent's contact has this attribute value (compared as text,
    # ignoring case)
    attribute: tuple[str, str] | None = None

    @property
    def needs_raw(self) -> bool:
        """Filters the daily rollups cannot answer (they do not know the contact)."""
        return self.team is not None or self.segment is not None or self.attribute is not None

    def shifted(self, date_from: dt.date, date_to: dt.date) -> MetricFilters:
        """The same filters over another date range (for the previous period)."""
        return replace(self, date_from=date_from, date_to=date_to)


# --- the question each survey version contributes ---------------------------------------------


@dataclass(frozen=True)
class QuestionInfo:
    """What the engine needs of one question of a published version."""

    key: str
    type: str
    points: int | None
    title: dict[str, str]
    choices: tuple[tuple[str, dict[str, str]], ...] = ()
    allow_other: bool = False


@dataclass(frozen=True)
class QuestionRef:
    """One question of one survey version that a metric reads."""

    survey_id: uuid.UUID
    version_number: int
    question: QuestionInfo

    @property
    def ident(self) -> tuple[uuid.UUID, int, str]:
        return (self.survey_id, self.version_number, self.question.key)


_CACHE_SIZE = 4096
_cache: OrderedDict[uuid.UUID, tuple[QuestionInfo, ...]] = OrderedDict()
_cache_lock = threading.Lock()


def _parse_questions(definition: dict[str, Any]) -> tuple[QuestionInfo, ...]:
    """The questions of a stored definition in survey order (published ones are valid)."""
    out: list[QuestionInfo] = []
    for page in definition.get("pages") or []:
        for question in page.get("questions") or []:
            qtype = str(question.get("type", ""))
            points: int | None = None
            if qtype == "nps":
                points = 11
            elif qtype == "ces":
                points = 7
            elif qtype in ("csat", "rating"):
                points = int(question.get("points") or 5)
            choices = tuple(
                (str(c.get("key")), dict(c.get("label") or {}))
                for c in question.get("choices") or []
            )
            out.append(
                QuestionInfo(
                    key=str(question.get("key", "")),
                    type=qtype,
                    points=points,
                    title=dict(question.get("title") or {}),
                    choices=choices,
                    allow_other=bool(question.get("allow_other")),
                )
            )
    return tuple(out)


def version_questions(
    versions: Iterable[tuple[uuid.UUID, uuid.UUID, int]],
) -> dict[uuid.UUID, tuple[QuestionInfo, ...]]:
    """Questions of published versions given as (version id, survey id, number); cached, since
    a published version never changes."""
    from closeloop.surveys.models import SurveyVersion

    wanted = [pk for pk, _survey, _number in versions]
    found: dict[uuid.UUID, tuple[QuestionInfo, ...]] = {}
    with _cache_lock:
        for pk in wanted:
            if pk in _cache:
                found[pk] = _cache[pk]
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        for pk, definition in SurveyVersion.objects.filter(pk__in=missing).values_list(
            "pk", "definition"
        ):
            found[pk] = _parse_questions(definition or {})
        with _cache_lock:
            for pk in missing:
                if pk in found:
                    _cache[pk] = found[pk]
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return found


def metric_questions(
    *, surveys: Sequence[Survey], metric: Metric, key: str | None
) -> list[QuestionRef]:
    """The question each published version of the surveys contributes to the metric: the one
    with `key` (if its type fits the metric), else the first question of the metric's type."""
    from closeloop.surveys.models import SurveyVersion

    types = METRIC_QUESTION_TYPES[metric]
    default_types = METRIC_DEFAULT_TYPE[metric]
    rows = list(
        SurveyVersion.objects.filter(
            survey__in=[s.pk for s in surveys], published_at__isnull=False
        ).values_list("pk", "survey_id", "number")
    )
    questions = version_questions(rows)
    refs: list[QuestionRef] = []
    for pk, survey_id, number in rows:
        for question in questions.get(pk, ()):
            if key is not None:
                if question.key == key and question.type in types:
                    refs.append(QuestionRef(survey_id, number, question))
                    break
            elif question.type in default_types:
                refs.append(QuestionRef(survey_id, number, question))
                break
    return refs


def localized(text: dict[str, str], fallback: str = "") -> str:
    """A survey text in the active language, else English, else any."""
    language = (get_language() or "en").split("-")[0]
    return text.get(language) or text.get("en") or next(iter(text.values()), fallback)
