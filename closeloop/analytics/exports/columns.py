"""The columns of a responses export: one per question, matrix row or choice, with labels.

A column knows its stable key (`q2.speed`), its label (the question's text in the survey's
default language), its kind, and how to read its value from a response row. Writers turn a value
into a cell: CSV and XLSX show choice labels, SPSS stores codes with value labels.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from closeloop.responses.choices import Channel, ResponseStatus
from closeloop.surveys.schema import (
    OTHER_KEY,
    CesQuestion,
    ConsentQuestion,
    CsatQuestion,
    DateQuestion,
    DropdownQuestion,
    EmailQuestion,
    LongTextQuestion,
    MatrixQuestion,
    MultipleChoiceQuestion,
    NpsQuestion,
    NumberQuestion,
    RankingQuestion,
    RatingQuestion,
    ShortTextQuestion,
    SingleChoiceQuestion,
    SurveyDefinition,
)

ColumnKind = Literal["text", "number", "choice", "flag", "date", "datetime"]
Row = Mapping[str, Any]

# Fields of a response that an export reads (Response.objects.values(*ROW_FIELDS)).
ROW_FIELDS = (
    "id",
    "created_at",
    "contact_id",
    "version_id",
    "channel",
    "touchpoint_id",
    "language",
    "status",
    "started_at",
    "completed_at",
    "answers",
    "hidden",
    "metadata",
)


@dataclass
class Column:
    """One column of the file."""

    key: str
    label: str
    kind: ColumnKind
    get: Callable[[Row], Any]
    # kind "choice": the options (key -> label) in order; a code is the 1-based position.
    choices: dict[str, str] = field(default_factory=dict)
    # kind "number" or "flag": labels of some values (a scale's ends, yes/no), for SPSS.
    value_labels: dict[int, str] = field(default_factory=dict)
    measure: Literal["nominal", "ordinal", "scale"] = "nominal"
    integer: bool = False
    # Free text a respondent typed (neutralised against spreadsheet formulas).
    free_text: bool = False

    def display(self, value: Any) -> Any:
        """The value as a person reads it (CSV, XLSX): labels for choices, numbers as numbers."""
        if value is None:
            return None
        if self.kind == "choice":
            return self.choices.get(value, value)
        if self.kind == "number" and isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def code(self, value: Any) -> float:
        """The value as SPSS stores it in a numeric column (NaN when missing)."""
        if value is None:
            return math.nan
        if self.kind == "choice":
            keys = list(self.choices)
            return float(keys.index(value) + 1) if value in self.choices else math.nan
        return float(value)

    @property
    def codes(self) -> dict[int, str]:
        """SPSS value labels of a choice or labelled number column."""
        if self.kind == "choice":
            return {i + 1: label for i, label in enumerate(self.choices.values())}
        return dict(self.value_labels)

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "choice", "flag")


@dataclass(frozen=True)
class ExportContext:
    """What every column needs besides the row: time zone, touchpoint names, anonymity."""

    time_zone: ZoneInfo
    anonymous: bool
    touchpoints: Mapping[str, str]
    versions: Mapping[str, int]


def localize(text: Mapping[str, str] | None, definition: SurveyDefinition) -> str:
    """A survey text in the survey's default language."""
    return definition.localize(dict(text) if text else None)


def _local(value: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0)


def _answer(key: str) -> Callable[[Row], Any]:
    return lambda row: (row.get("answers") or {}).get(key)


# --- the response's own fields -----------------------------------------------------------------


def meta_columns(ctx: ExportContext) -> list[Column]:
    """Response id, contact, version, channel, touchpoint, language, status and times.

    Anonymous (employee) surveys leave out the response and contact ids, and give dates only."""
    tz = ctx.time_zone
    zone = str(tz)
    columns: list[Column] = []
    if not ctx.anonymous:
        columns += [
            Column("response_id", _("Response ID"), "text", lambda r: str(r["id"])),
            Column(
                "contact_id",
                _("Contact ID"),
                "text",
                lambda r: str(r["contact_id"]) if r.get("contact_id") else None,
            ),
        ]
    columns += [
        Column(
            "survey_version",
            _("Survey version"),
            "number",
            lambda r: ctx.versions.get(str(r["version_id"])),
            integer=True,
        ),
        Column(
            "channel",
            _("Channel"),
            "choice",
            lambda r: r.get("channel") or None,
            choices={value: str(label) for value, label in Channel.choices},
        ),
        Column(
            "touchpoint",
            _("Touchpoint"),
            "text",
            lambda r: (
                ctx.touchpoints.get(str(r["touchpoint_id"])) if r.get("touchpoint_id") else None
            ),
        ),
        Column("language", _("Language"), "text", lambda r: r.get("language") or None),
        Column(
            "status",
            _("Status"),
            "choice",
            lambda r: r.get("status") or None,
            choices={value: str(label) for value, label in ResponseStatus.choices},
        ),
    ]
    if ctx.anonymous:
        columns += [
            Column(
                "started_at",
                _("Started (date, %(zone)s)") % {"zone": zone},
                "date",
                lambda r: _date(r.get("started_at"), tz),
            ),
            Column(
                "completed_at",
                _("Completed (date, %(zone)s)") % {"zone": zone},
                "date",
                lambda r: _date(r.get("completed_at"), tz),
            ),
        ]
    else:
        columns += [
            Column(
                "started_at",
                _("Started (%(zone)s)") % {"zone": zone},
                "datetime",
                lambda r: _local(r.get("started_at"), tz),
            ),
            Column(
                "completed_at",
                _("Completed (%(zone)s)") % {"zone": zone},
                "datetime",
                lambda r: _local(r.get("completed_at"), tz),
            ),
        ]
    return columns


def _date(value: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    return value.astimezone(tz).date() if value is not None else None


def hidden_columns(keys: Iterable[str]) -> list[Column]:
    """One column per hidden field of the survey (the values passed in with the link)."""
    return [
        Column(
            f"hidden.{key}",
            _("Hidden field: %(key)s") % {"key": key},
            "text",
            (lambda k: lambda r: _text((r.get("hidden") or {}).get(k)))(key),
            free_text=True,
        )
        for key in keys
    ]


def metadata_columns(keys: Iterable[str]) -> list[Column]:
    """One column per metadata key found in the exported responses (e.g. user_agent)."""
    return [
        Column(
            f"metadata.{key}",
            _("Metadata: %(key)s") % {"key": key},
            "text",
            (lambda k: lambda r: _text((r.get("metadata") or {}).get(k)))(key),
            free_text=True,
        )
        for key in keys
    ]


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


# --- questions ---------------------------------------------------------------------------------


def _scale_labels(
    low: int, high: int, question: Any, definition: SurveyDefinition
) -> dict[int, str]:
    labels = {n: str(n) for n in range(low, high + 1)}
    low_label = localize(getattr(question, "low_label", None), definition)
    high_label = localize(getattr(question, "high_label", None), definition)
    if low_label:
        labels[low] = f"{low} {low_label}"
    if high_label:
        labels[high] = f"{high} {high_label}"
    return labels


def _scale_bounds(question: Any) -> tuple[int, int]:
    if isinstance(question, NpsQuestion):
        return 0, 10
    if isinstance(question, CesQuestion):
        return 1, 7
    return 1, int(question.points)


def _choice_of(key: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value = (row.get("answers") or {}).get(key)
        return value.get("choice") if isinstance(value, dict) else value

    return get


def _other_of(key: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value = (row.get("answers") or {}).get(key)
        return value.get("other") or None if isinstance(value, dict) else None

    return get


def _picked(key: str, choice: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value = (row.get("answers") or {}).get(key)
        if not isinstance(value, dict):
            return None
        return 1 if choice in (value.get("choices") or []) else 0

    return get


def _cell(key: str, row_key: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value = (row.get("answers") or {}).get(key)
        return value.get(row_key) if isinstance(value, dict) else None

    return get


def _rank(key: str, choice: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value = (row.get("answers") or {}).get(key)
        if not isinstance(value, list) or choice not in value:
            return None
        return value.index(choice) + 1

    return get


def _number(key: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value = (row.get("answers") or {}).get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    return get


def _consent(key: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value = (row.get("answers") or {}).get(key)
        return None if value is None else (1 if value else 0)

    return get


def _day(key: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value = (row.get("answers") or {}).get(key)
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    return get


def _free_text(key: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        return _text((row.get("answers") or {}).get(key))

    return get


def question_columns(definition: SurveyDefinition, *, anonymous: bool) -> list[Column]:
    """The columns of every answerable question of a version, in survey order.

    Anonymous (employee) surveys leave out email questions: an address names the person."""
    columns: list[Column] = []
    selected = {1: _("selected"), 0: _("not selected")}
    for _page, question in definition.iter_questions():
        key = question.key
        title = localize(question.title, definition) or key
        if isinstance(question, NpsQuestion | CsatQuestion | CesQuestion | RatingQuestion):
            low, high = _scale_bounds(question)
            columns.append(
                Column(
                    key,
                    title,
                    "number",
                    _number(key),
                    value_labels=_scale_labels(low, high, question, definition),
                    measure="ordinal",
                    integer=True,
                )
            )
        elif isinstance(question, NumberQuestion):
            columns.append(
                Column(
                    key,
                    title,
                    "number",
                    _number(key),
                    measure="scale",
                    integer=question.integer_only,
                )
            )
        elif isinstance(question, SingleChoiceQuestion | DropdownQuestion):
            choices = {c.key: localize(c.label, definition) or c.key for c in question.choices}
            if question.allow_other:
                choices[OTHER_KEY] = localize(question.other_label, definition) or _("Other")
            columns.append(Column(key, title, "choice", _choice_of(key), choices=choices))
            if question.allow_other:
                columns.append(
                    Column(
                        f"{key}.{OTHER_KEY}_text",
                        f"{title}: {choices[OTHER_KEY]} ({_('text')})",
                        "text",
                        _other_of(key),
                        free_text=True,
                    )
                )
        elif isinstance(question, MultipleChoiceQuestion):
            options = [(c.key, localize(c.label, definition) or c.key) for c in question.choices]
            if question.allow_other:
                other_label = localize(question.other_label, definition) or _("Other")
                options.append((OTHER_KEY, other_label))
            for choice_key, label in options:
                columns.append(
                    Column(
                        f"{key}.{choice_key}",
                        f"{title}: {label}",
                        "flag",
                        _picked(key, choice_key),
                        value_labels=selected,
                    )
                )
            if question.allow_other:
                columns.append(
                    Column(
                        f"{key}.{OTHER_KEY}_text",
                        f"{title}: {other_label} ({_('text')})",
                        "text",
                        _other_of(key),
                        free_text=True,
                    )
                )
        elif isinstance(question, MatrixQuestion):
            scale = {c.key: localize(c.label, definition) or c.key for c in question.columns}
            for row in question.rows:
                columns.append(
                    Column(
                        f"{key}.{row.key}",
                        f"{title}: {localize(row.label, definition) or row.key}",
                        "choice",
                        _cell(key, row.key),
                        choices=dict(scale),
                        measure="ordinal",
                    )
                )
        elif isinstance(question, RankingQuestion):
            for choice in question.choices:
                columns.append(
                    Column(
                        f"{key}.{choice.key}",
                        f"{title}: {localize(choice.label, definition) or choice.key} "
                        f"({_('rank')})",
                        "number",
                        _rank(key, choice.key),
                        measure="ordinal",
                        integer=True,
                    )
                )
        elif isinstance(question, ConsentQuestion):
            columns.append(
                Column(key, title, "flag", _consent(key), value_labels={1: _("yes"), 0: _("no")})
            )
        elif isinstance(question, DateQuestion):
            columns.append(Column(key, title, "date", _day(key)))
        elif isinstance(question, EmailQuestion):
            if not anonymous:
                columns.append(Column(key, title, "text", _free_text(key), free_text=True))
        elif isinstance(question, ShortTextQuestion | LongTextQuestion):
            columns.append(Column(key, title, "text", _free_text(key), free_text=True))
        # statements take no answer
    return columns


# --- several versions in one table -------------------------------------------------------------


def merge(versions: Iterable[list[Column]]) -> list[Column]:
    """One list of columns for several versions (newest first): the newest label wins, choices
    are joined (codes stay stable), and a key whose kind changed gets a suffix per version."""
    merged: dict[str, Column] = {}
    for columns in versions:
        for column in columns:
            current = merged.get(column.key)
            if current is None:
                merged[column.key] = replace(column, choices=dict(column.choices))
                continue
            if current.kind != column.kind:
                suffix = 2
                while f"{column.key}_{suffix}" in merged:
                    suffix += 1
                key = f"{column.key}_{suffix}"
                merged[key] = replace(column, key=key, choices=dict(column.choices))
                continue
            for choice_key, label in column.choices.items():
                current.choices.setdefault(choice_key, label)
            for code, label in column.value_labels.items():
                current.value_labels.setdefault(code, label)
    return list(merged.values())


# --- SPSS variable names -----------------------------------------------------------------------

SPSS_RESERVED = frozenset(
    {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
)
SPSS_NAME_BYTES = 64
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


def spss_names(keys: Iterable[str]) -> list[str]:
    """Valid, unique SPSS variable names for column keys: letters, digits and _, starting with a
    letter, at most 64 bytes, not a reserved word, unique ignoring case."""
    names: list[str] = []
    used: set[str] = set()
    for key in keys:
        base = _NOT_NAME.sub("_", key).strip("_") or "v"
        if not base[0].isalpha():
            base = f"v_{base}"
        if base.upper() in SPSS_RESERVED:
            base = f"{base}_v"
        base = base[:SPSS_NAME_BYTES].rstrip("_")
        name = base
        n = 2
        while name.upper() in used:
            tail = f"_{n}"
            name = base[: SPSS_NAME_BYTES - len(tail)].rstrip("_") + tail
            n += 1
        used.add(name.upper())
        names.append(name)
    return names
