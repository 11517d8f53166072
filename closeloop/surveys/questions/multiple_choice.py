"""Multiple choice: pick several options, optionally 'other' with a text, within min/max."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from closeloop.surveys.questions.base import AnswerError, Fact, QuestionType, register
from closeloop.surveys.questions.choice import (
    check_condition_key,
    check_key,
    choice_label,
    clean_other,
    option_keys,
)
from closeloop.surveys.schema import OTHER_KEY, MultipleChoiceQuestion

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition


@register
class MultipleChoiceType(QuestionType[MultipleChoiceQuestion]):
    """Normalized value: {"choices": [keys in option order], "other": text or None}."""

    type_name = "multiple_choice"
    operators: ClassVar[frozenset[str]] = frozenset({"contains", "in", "not_in"})

    def clean(self, question: MultipleChoiceQuestion, raw: Any) -> dict[str, Any]:
        other_raw: Any = None
        if isinstance(raw, dict):
            if set(raw) - {"choices", "other"}:
                raise AnswerError(_("Choose among the options shown."))
            keys_raw, other_raw = raw.get("choices"), raw.get("other")
        else:
            keys_raw = raw
        if isinstance(keys_raw, str):
            keys_raw = [keys_raw]
        if not isinstance(keys_raw, list | tuple):
            raise AnswerError(_("Choose among the options shown."))
        picked = {check_key(k, question.choices, question.allow_other) for k in keys_raw if k != ""}
        keys = [k for k in option_keys(question.choices, question.allow_other) if k in picked]
        low, high = question.min_selected, question.max_selected
        if low is not None and len(keys) < low:
            raise AnswerError(
                ngettext("Choose at least %(n)d option.", "Choose at least %(n)d options.", low)
                % {"n": low}
            )
        if high is not None and len(keys) > high:
            raise AnswerError(
                ngettext("Choose at most %(n)d option.", "Choose at most %(n)d options.", high)
                % {"n": high}
            )
        other = clean_other(other_raw) if OTHER_KEY in keys and question.allow_other else None
        return {"choices": keys, "other": other}

    def to_facts(self, question: MultipleChoiceQuestion, value: Any) -> list[Fact]:
        other = value.get("other")
        return [
            Fact(choice=key, text=other if key == OTHER_KEY else None) for key in value["choices"]
        ]

    def comparable(self, question: MultipleChoiceQuestion, value: Any) -> Any:
        return list(value["choices"]) if isinstance(value, dict) else value

    def display(
        self, question: MultipleChoiceQuestion, value: Any, language: str, defn: SurveyDefinition
    ) -> str:
        if not isinstance(value, dict):
            return ""
        return ", ".join(
            choice_label(key, question.choices, value.get("other"), language, defn)
            for key in value["choices"]
        )

    def check_condition_value(
        self, question: MultipleChoiceQuestion, op: str, value: Any
    ) -> str | None:
        return check_condition_key(value, question.choices, question.allow_other)
