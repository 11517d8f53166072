"""Matrix: several statements (rows) answered on one shared scale (columns), e.g. a Likert grid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import AnswerError, Fact, QuestionType, is_empty, register
from closeloop.surveys.questions.base import single as single_value
from closeloop.surveys.schema import MatrixQuestion

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition


@register
class MatrixType(QuestionType[MatrixQuestion]):
    """Normalized value: {row key: column key} in row order; a column's number is its position."""

    type_name = "matrix"

    def clean(self, question: MatrixQuestion, raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise AnswerError(_("Answer each row of the grid."))
        rows = [row.key for row in question.rows]
        columns = {column.key for column in question.columns}
        unknown = set(raw) - set(rows)
        if unknown:
            raise AnswerError(_("Answer only the rows shown."))
        value: dict[str, str] = {}
        for row in rows:
            cell = single_value(raw.get(row))
            if is_empty(cell):
                continue
            if not isinstance(cell, str) or cell not in columns:
                raise AnswerError(_("Choose one of the options shown in each row."))
            value[row] = cell
        if question.required and len(value) < len(rows):
            raise AnswerError(_("Answer every row of the grid."))
        return value

    def to_facts(self, question: MatrixQuestion, value: Any) -> list[Fact]:
        position = {column.key: index + 1 for index, column in enumerate(question.columns)}
        return [
            Fact(row=row, choice=column, number=float(position[column]))
            for row, column in value.items()
        ]

    def display(
        self, question: MatrixQuestion, value: Any, language: str, defn: SurveyDefinition
    ) -> str:
        if not isinstance(value, dict):
            return ""
        rows = {row.key: defn.localize(row.label, language) for row in question.rows}
        columns = {col.key: defn.localize(col.label, language) for col in question.columns}
        return "; ".join(f"{rows.get(r, r)}: {columns.get(c, c)}" for r, c in value.items())
