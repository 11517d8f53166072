"""View models of the survey page: each question prepared for its template (labels, ids, values)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from closeloop.responses.forms import FormData
from closeloop.surveys.logic import SurveyRun
from closeloop.surveys.schema import OTHER_KEY, Choice, Question

# Faces from Unicode 6.0, which every emoji and most text fonts (DejaVu) draw.
FACES = {
    3: ["😟", "😐", "😊"],
    5: ["😠", "😟", "😐", "😊", "😄"],
}


@dataclass
class Option:
    """One radio button, checkbox or select option."""

    value: str
    label: str | SafeString
    checked: bool
    id: str
    sr_label: str = ""
    labelledby: str = ""


@dataclass
class Row:
    """One row of a matrix: a statement and a radio per column."""

    key: str
    label: SafeString
    name: str
    options: list[Option]


@dataclass
class RankItem:
    """One option of a ranking question with its position select."""

    key: str
    label: SafeString
    name: str
    id: str
    selected: str


@dataclass
class QuestionView:
    """Everything a question's template needs."""

    key: str
    type: str
    number: int
    title: SafeString
    help: SafeString
    required: bool
    error: str
    field_id: str
    style: str = ""
    options: list[Option] = field(default_factory=list)
    other: Option | None = None
    other_text: str = ""
    other_label: SafeString | str = ""
    text: str = ""
    placeholder: SafeString | str = ""
    low_label: SafeString | str = ""
    high_label: SafeString | str = ""
    rows: list[Row] = field(default_factory=list)
    columns: list[Option] = field(default_factory=list)
    ranks: list[RankItem] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def help_id(self) -> str:
        return f"h-{self.key}"

    @property
    def error_id(self) -> str:
        return f"e-{self.key}"

    @property
    def scale_id(self) -> str:
        return f"s-{self.key}"

    @property
    def describedby(self) -> str:
        ids = []
        if self.error:
            ids.append(self.error_id)
        if self.help:
            ids.append(self.help_id)
        if self.low_label or self.high_label:
            ids.append(self.scale_id)
        return " ".join(ids)

    @property
    def template(self) -> str:
        return f"responses/public/q_{TEMPLATE_FOR.get(self.type, self.type)}.html"


TEMPLATE_FOR = {
    "nps": "scale",
    "csat": "scale",
    "ces": "scale",
    "rating": "scale",
    "single_choice": "choice",
    "multiple_choice": "choice",
    "short_text": "text",
    "email": "text",
    "number": "text",
    "date": "text",
}


def _first(data: FormData, name: str) -> str:
    values = data.get(name)
    return values[0] if values else ""


def _ordered(choices: list[Choice], shuffle: bool, seed: str) -> list[Choice]:
    if not shuffle:
        return list(choices)
    ordered = list(choices)
    random.Random(seed).shuffle(ordered)
    return ordered


def _scale(question: Any) -> tuple[int, int]:
    kind = question.type
    if kind == "nps":
        return 0, 10
    if kind == "ces":
        return 1, 7
    return 1, int(question.points)


def question_view(
    typed_question: Question,
    *,
    number: int,
    run: SurveyRun,
    language: str,
    data: FormData,
    error: str,
    seed: str,
) -> QuestionView:
    """Prepare one question: localized, piped texts; current values from the form data."""
    question: Any = typed_question  # the branches below read the fields of the type they test
    key = question.key
    text = run.text
    view = QuestionView(
        key=key,
        type=question.type,
        number=number,
        title=text(question.title, language),
        help=text(question.help, language) if question.help else SafeString(""),
        required=question.required,
        error=error,
        field_id=f"q-{key}",
    )
    kind = question.type
    if kind in ("nps", "csat", "ces", "rating"):
        low, high = _scale(question)
        style = getattr(question, "style", "numbers")
        view.style = style
        picked = _first(data, key)
        faces = FACES.get(high) if style == "faces" else None
        for index, value in enumerate(range(low, high + 1)):
            label: str = str(value)
            if faces:
                label = faces[index]
            elif style == "stars":
                label = "★"
            view.options.append(
                Option(
                    value=str(value),
                    label=label,
                    checked=picked == str(value),
                    id=f"q-{key}" if index == 0 else f"q-{key}-{value}",
                    sr_label=(
                        _("%(n)d of %(max)d") % {"n": value, "max": high}
                        if faces or style == "stars"
                        else ""
                    ),
                )
            )
        low_label = getattr(question, "low_label", None)
        high_label = getattr(question, "high_label", None)
        if kind == "nps":
            view.low_label = text(low_label, language) if low_label else _("Not at all likely")
            view.high_label = text(high_label, language) if high_label else _("Extremely likely")
        elif kind == "ces":
            view.low_label = text(low_label, language) if low_label else _("Strongly disagree")
            view.high_label = text(high_label, language) if high_label else _("Strongly agree")
        else:
            view.low_label = text(low_label, language) if low_label else ""
            view.high_label = text(high_label, language) if high_label else ""
    elif kind in ("single_choice", "multiple_choice", "dropdown"):
        picked_set = set(data.get(key, []))
        choices = _ordered(question.choices, question.shuffle, f"{seed}:{key}")
        for index, choice in enumerate(choices):
            view.options.append(
                Option(
                    value=choice.key,
                    label=text(choice.label, language),
                    checked=choice.key in picked_set,
                    id=f"q-{key}" if index == 0 else f"q-{key}-{choice.key}",
                )
            )
        if question.allow_other:
            view.other = Option(
                value=OTHER_KEY,
                label=text(question.other_label, language) if question.other_label else _("Other"),
                checked=OTHER_KEY in picked_set,
                id=f"q-{key}-{OTHER_KEY}",
            )
            view.other_text = _first(data, f"{key}__other")
        placeholder = getattr(question, "placeholder", None)
        view.placeholder = text(placeholder, language) if placeholder else _("Choose…")
    elif kind in ("short_text", "long_text", "email", "number", "date"):
        view.text = _first(data, key)
        placeholder = getattr(question, "placeholder", None)
        view.placeholder = text(placeholder, language) if placeholder else ""
        attrs: dict[str, Any] = {}
        if kind in ("short_text", "long_text"):
            attrs["maxlength"] = question.max_length
            attrs["type"] = "text"
        elif kind == "email":
            attrs.update(type="email", maxlength=254, autocomplete="email")
        elif kind == "number":
            attrs.update(
                type="text", inputmode="decimal" if not question.integer_only else "numeric"
            )
        else:
            attrs["type"] = "date"
            if question.min_date:
                attrs["min"] = question.min_date
            if question.max_date:
                attrs["max"] = question.max_date
        view.attrs = attrs
    elif kind == "matrix":
        view.columns = [
            Option(
                value=column.key,
                label=text(column.label, language),
                checked=False,
                id=f"c-{key}-{column.key}",
            )
            for column in question.columns
        ]
        rows = _ordered(question.rows, question.shuffle, f"{seed}:{key}")
        for row_index, row in enumerate(rows):
            name = f"{key}__{row.key}"
            picked = _first(data, name)
            row_label = text(row.label, language)
            view.rows.append(
                Row(
                    key=row.key,
                    label=row_label,
                    name=name,
                    options=[
                        Option(
                            value=column.key,
                            label=text(column.label, language),
                            checked=picked == column.key,
                            id=(
                                f"q-{key}"
                                if row_index == 0 and col_index == 0
                                else f"q-{key}-{row.key}-{column.key}"
                            ),
                            labelledby=f"r-{key}-{row.key} c-{key}-{column.key}",
                        )
                        for col_index, column in enumerate(question.columns)
                    ],
                )
            )
    elif kind == "ranking":
        choices = _ordered(question.choices, question.shuffle, f"{seed}:{key}")
        view.positions = list(range(1, len(choices) + 1))
        for index, choice in enumerate(choices):
            name = f"{key}__{choice.key}"
            view.ranks.append(
                RankItem(
                    key=choice.key,
                    label=text(choice.label, language),
                    name=name,
                    id=f"q-{key}" if index == 0 else f"q-{key}-{choice.key}",
                    selected=_first(data, name),
                )
            )
    elif kind == "consent":
        view.text = "on" if _first(data, key) else ""
        view.other_label = text(question.text, language)
    return view


@dataclass
class AnswerRow:
    """A question and its answer as text, for the staff pages."""

    key: str
    type: str
    title: str
    answer: str


def answer_rows(definition: Any, answers: dict[str, Any], language: str) -> list[AnswerRow]:
    """Every answered question of a response, in survey order, with its title in a language."""
    from django.utils.html import strip_tags

    from closeloop.surveys.questions import QUESTION_TYPES

    rows = []
    for _page, question in definition.iter_questions():
        value = answers.get(question.key)
        if value is None:
            continue
        kind = QUESTION_TYPES[question.type]
        title = strip_tags(definition.localize(question.title, language))
        rows.append(
            AnswerRow(
                key=question.key,
                type=question.type,
                title=title,
                answer=kind.display(question, value, language, definition),
            )
        )
    return rows


def answer_summary(definition: Any, answers: dict[str, Any]) -> tuple[float | None, str]:
    """The first score (NPS, CSAT, CES, rating) and the first free-text answer of a response."""
    from closeloop.surveys.questions import QUESTION_TYPES

    score: float | None = None
    text = ""
    for _page, question in definition.iter_questions():
        value = answers.get(question.key)
        if value is None:
            continue
        kind = QUESTION_TYPES[question.type]
        if score is None and kind.is_metric:
            score = kind.score(question, value)
        if not text and question.type in ("short_text", "long_text") and isinstance(value, str):
            text = value
        if score is not None and text:
            break
    return score, text
