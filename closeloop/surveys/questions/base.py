"""The question-type interface and registry: validate an answer, turn it into facts, score it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition


class AnswerError(DomainError):
    """An answer that does not fit its question; the message tells the respondent what to fix."""


@dataclass(frozen=True)
class Fact:
    """One typed row of an answer: a number, a choice key, a text and/or a matrix row key."""

    number: float | None = None
    choice: str | None = None
    text: str | None = None
    row: str | None = None


QUESTION_TYPES: dict[str, QuestionType[Any]] = {}


def register(cls: type[QuestionType[Any]]) -> type[QuestionType[Any]]:
    """Class decorator: add one instance of a question type to the registry."""
    QUESTION_TYPES[cls.type_name] = cls()
    return cls


def is_empty(raw: Any) -> bool:
    """Whether a raw form value means 'no answer'."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple | dict | set):
        return not any(
            not is_empty(item) for item in (raw.values() if isinstance(raw, dict) else raw)
        )
    return False


def single(raw: Any) -> Any:
    """A form value that may come as a one-item list (QueryDict.getlist)."""
    if isinstance(raw, list | tuple) and len(raw) == 1:
        return raw[0]
    return raw


def parse_int(raw: Any, low: int, high: int) -> int:
    """A whole number in [low, high] from a form value."""
    raw = single(raw)
    if isinstance(raw, bool):
        raise AnswerError(
            _("Choose a number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit() and len(raw.strip()) < 12:
        value = int(raw.strip())
    else:
        raise AnswerError(
            _("Choose a number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    if not low <= value <= high:
        raise AnswerError(
            _("Choose a number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    return value


class QuestionType[Q]:
    """How one type of question validates, stores, scores and displays its answers."""

    type_name: ClassVar[str] = ""
    is_metric: ClassVar[bool] = False
    has_answer: ClassVar[bool] = True
    # Condition operators this type's answers support (besides answered / not_answered).
    operators: ClassVar[frozenset[str]] = frozenset()

    def validate_answer(self, question: Q, raw: Any) -> Any:
        """The normalized answer (None when skipped), or AnswerError."""
        if is_empty(raw):
            if getattr(question, "required", False):
                raise AnswerError(_("This question requires an answer."), field=self._key(question))
            return None
        try:
            return self.clean(question, raw)
        except AnswerError as error:
            if error.field is None:
                error.field = self._key(question)
            raise

    def clean(self, question: Q, raw: Any) -> Any:
        """Normalize a non-empty raw value; subclasses override."""
        raise NotImplementedError

    def to_facts(self, question: Q, value: Any) -> list[Fact]:
        """Rows to store for a normalized answer."""
        raise NotImplementedError

    def score(self, question: Q, value: Any) -> float | None:
        """The numeric score for metric questions, else None."""
        return None

    def comparable(self, question: Q, value: Any) -> Any:
        """The value conditions compare against (a choice key, a list of keys, a number)."""
        return value

    def display(self, question: Q, value: Any, language: str, defn: SurveyDefinition) -> str:
        """The answer as text for piping, in the given language."""
        if value is None:
            return ""
        return str(value)

    def check_condition(self, question: Q, op: str, value: Any) -> str | None:
        """A message when a condition on this question's answer can never make sense."""
        if op in ("answered", "not_answered"):
            return None
        if op not in self.operators:
            return _("the operator '%(op)s' does not apply to a %(type)s question") % {
                "op": op,
                "type": self.type_name,
            }
        values = value if isinstance(value, list) else [value]
        for item in values:
            problem = self.check_condition_value(question, op, item)
            if problem:
                return problem
        return None

    def check_condition_value(self, question: Q, op: str, value: Any) -> str | None:
        """A message when one compared value cannot be an answer to this question."""
        return None

    @staticmethod
    def _key(question: Any) -> str | None:
        key = getattr(question, "key", None)
        return key if isinstance(key, str) else None
