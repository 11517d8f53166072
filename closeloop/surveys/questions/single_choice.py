"""Single choice: pick one option (radio buttons), optionally 'other' with a text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from closeloop.surveys.questions.base import Fact, QuestionType, register, single
from closeloop.surveys.questions.choice import (
    check_condition_key,
    check_key,
    choice_label,
    clean_other,
)
from closeloop.surveys.schema import OTHER_KEY, DropdownQuestion, SingleChoiceQuestion

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition


class OneOfType[C: (SingleChoiceQuestion, DropdownQuestion)](QuestionType[C]):
    """Normalized value: {"choice": key, "other": text or None}."""

    operators: ClassVar[frozenset[str]] = frozenset({"eq", "ne", "in", "not_in"})

    def clean(self, question: C, raw: Any) -> dict[str, Any]:
        other_raw: Any = None
        if isinstance(raw, dict):
            key_raw, other_raw = raw.get("choice"), raw.get("other")
            if set(raw) - {"choice", "other"}:
                key_raw = None
        else:
            key_raw = single(raw)
        key = check_key(key_raw, question.choices, question.allow_other)
        other = clean_other(other_raw) if key == OTHER_KEY and question.allow_other else None
        return {"choice": key, "other": other}

    def to_facts(self, question: C, value: Any) -> list[Fact]:
        return [Fact(choice=value["choice"], text=value.get("other"))]

    def comparable(self, question: C, value: Any) -> Any:
        return value["choice"] if isinstance(value, dict) else value

    def display(self, question: C, value: Any, language: str, defn: SurveyDefinition) -> str:
        if not isinstance(value, dict):
            return ""
        return choice_label(value["choice"], question.choices, value.get("other"), language, defn)

    def check_condition_value(self, question: C, op: str, value: Any) -> str | None:
        return check_condition_key(value, question.choices, question.allow_other)


@register
class SingleChoiceType(OneOfType[SingleChoiceQuestion]):
    """Radio buttons."""

    type_name = "single_choice"
