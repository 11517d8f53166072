"""The runtime engine: which pages and questions a respondent sees, where they go next, and how
far along they are, given their answers so far, the hidden fields and the contact's attributes."""

from __future__ import annotations

import datetime
import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.safestring import SafeString

from closeloop.surveys.piping import PipingContext, render, render_plain
from closeloop.surveys.questions import QUESTION_TYPES, AnswerError, nps_category
from closeloop.surveys.schema import (
    ENDING_PREFIX,
    AllCondition,
    AnyCondition,
    Choice,
    Condition,
    Ending,
    LeafCondition,
    NotCondition,
    Page,
    Question,
    SurveyDefinition,
)

_MISSING = object()


@dataclass(frozen=True)
class EvalContext:
    """What conditions look at: normalized answers, hidden fields, contact attributes."""

    definition: SurveyDefinition
    answers: Mapping[str, Any] = field(default_factory=dict)
    hidden: Mapping[str, Any] = field(default_factory=dict)
    contact: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """Where the respondent goes: a page or an ending, by key."""

    kind: Literal["page", "ending"]
    key: str

    @property
    def is_ending(self) -> bool:
        return self.kind == "ending"


def _resolve(leaf: LeafCondition, context: EvalContext) -> Any:
    namespace, ref = leaf.namespace, leaf.ref
    if namespace == "hidden":
        return context.hidden.get(ref, _MISSING)
    if namespace == "contact":
        return context.contact.get(ref, _MISSING)
    value = context.answers.get(ref, _MISSING)
    if value is _MISSING or value is None:
        return _MISSING
    question = context.definition.question(ref)
    if question is None:
        return _MISSING
    return QUESTION_TYPES[question.type].comparable(question, value)


def _is_answered(value: Any) -> bool:
    if value is _MISSING or value is None:
        return False
    if isinstance(value, str | list | dict | tuple):
        return len(value) > 0
    return True


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        return isinstance(expected, list) and sorted(map(str, actual)) == sorted(map(str, expected))
    if isinstance(expected, bool) or isinstance(actual, bool):
        if isinstance(actual, str):
            return actual.strip().lower() in (
                ("true", "1", "yes") if expected else ("false", "0", "no")
            )
        return actual is expected
    if isinstance(expected, int | float):
        number = _number(actual)
        return number is not None and number == float(expected)
    return str(actual) == str(expected)


def _order(actual: Any, expected: Any) -> tuple[Any, Any] | None:
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        return left, right
    if isinstance(actual, str) and isinstance(expected, str):
        # ISO dates compare correctly as text.
        try:
            return datetime.date.fromisoformat(actual), datetime.date.fromisoformat(expected)
        except ValueError:
            return None
    return None


def _leaf(leaf: LeafCondition, context: EvalContext) -> bool:
    actual = _resolve(leaf, context)
    op, expected = leaf.op, leaf.value
    if op == "answered":
        return _is_answered(actual)
    if op == "not_answered":
        return not _is_answered(actual)
    if not _is_answered(actual):
        # A missing value is never equal to, in, or ordered against anything.
        return op in ("ne", "not_in")
    if op == "eq":
        return _equal(actual, expected)
    if op == "ne":
        return not _equal(actual, expected)
    if op in ("in", "not_in"):
        options = expected if isinstance(expected, list) else [expected]
        items = actual if isinstance(actual, list) else [actual]
        hit = any(_equal(item, option) for item in items for option in options)
        return hit if op == "in" else not hit
    if op == "contains":
        if isinstance(actual, list):
            return any(_equal(item, expected) for item in actual)
        return str(expected).casefold() in str(actual).casefold()
    if op == "nps_category":
        score = _number(actual)
        return score is not None and 0 <= score <= 10 and nps_category(score) == expected
    pair = _order(actual, expected)
    if pair is None:
        return False
    left, right = pair
    if op == "lt":
        return bool(left < right)
    if op == "lte":
        return bool(left <= right)
    if op == "gt":
        return bool(left > right)
    if op == "gte":
        return bool(left >= right)
    return False


def evaluate(condition: Condition | None, context: EvalContext) -> bool:
    """Whether a condition holds (no condition always holds)."""
    if condition is None:
        return True
    if isinstance(condition, AllCondition):
        return all(evaluate(inner, context) for inner in condition.all)
    if isinstance(condition, AnyCondition):
        return any(evaluate(inner, context) for inner in condition.any)
    if isinstance(condition, NotCondition):
        return not evaluate(condition.not_, context)
    return _leaf(condition, context)


class SurveyRun:
    """One respondent's way through a survey."""

    def __init__(
        self,
        definition: SurveyDefinition,
        answers: Mapping[str, Any] | None = None,
        hidden: Mapping[str, Any] | None = None,
        contact: Mapping[str, Any] | None = None,
    ) -> None:
        self.definition = definition
        self.answers: dict[str, Any] = dict(answers or {})
        self.hidden: dict[str, Any] = dict(hidden or {})
        self.contact: dict[str, Any] = dict(contact or {})

    @property
    def context(self) -> EvalContext:
        return EvalContext(self.definition, self.answers, self.hidden, self.contact)

    def evaluate(self, condition: Condition | None) -> bool:
        """Whether a condition holds for this respondent."""
        return evaluate(condition, self.context)

    def page(self, key: str) -> Page:
        page = self.definition.page(key)
        if page is None:
            raise KeyError(key)
        return page

    def is_visible(self, page: Page) -> bool:
        return self.evaluate(page.show_if)

    def visible_questions(self, page: Page | str) -> list[Question]:
        """The page's questions whose show_if holds (in order)."""
        page = self.page(page) if isinstance(page, str) else page
        return [q for q in page.questions if self.evaluate(q.show_if)]

    def validate_page(
        self, page: Page | str, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Check a submitted page: (normalized answers, {question key: error message}).

        Questions are taken in order, so a question shown because of an earlier answer on the
        same page is checked; answers to questions that are not shown are dropped. Valid answers
        are kept in this run even when another question on the page has an error.
        """
        page = self.page(page) if isinstance(page, str) else page
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for question in page.questions:
            kind = QUESTION_TYPES[question.type]
            if not kind.has_answer:
                continue
            if not self.evaluate(question.show_if):
                self.answers.pop(question.key, None)
                continue
            try:
                value = kind.validate_answer(question, raw.get(question.key))
            except AnswerError as error:
                errors[question.key] = error.message
                self.answers.pop(question.key, None)
                continue
            if value is None:
                self.answers.pop(question.key, None)
            else:
                self.answers[question.key] = value
            values[question.key] = value
        return values, errors

    @staticmethod
    def ordered(question: Question, seed: str) -> list[Choice]:
        """The options (rows for a matrix) in display order: shuffled per respondent if asked."""
        items: list[Choice] = list(
            getattr(question, "rows", None) or getattr(question, "choices", [])
        )
        if getattr(question, "shuffle", False):
            digest = hashlib.sha256(f"{seed}:{question.key}".encode()).digest()
            random.Random(digest).shuffle(items)  # a stable order for one respondent
        return items

    def _index(self, key: str) -> int:
        return next(i for i, p in enumerate(self.definition.pages) if p.key == key)

    def _default_next(self, page: Page) -> str | None:
        if page.next is not None:
            return page.next
        index = self._index(page.key)
        pages = self.definition.pages
        return pages[index + 1].key if index + 1 < len(pages) else None

    def _land(self, target: str | None) -> Step:
        """Go to a target, skipping pages whose show_if does not hold."""
        seen: set[str] = set()
        while target is not None:
            if target.startswith(ENDING_PREFIX):
                return Step("ending", target.removeprefix(ENDING_PREFIX))
            if target in seen:  # cannot happen in a validated definition; guard anyway
                break
            seen.add(target)
            page = self.page(target)
            if self.is_visible(page):
                return Step("page", page.key)
            target = self._default_next(page)
        return Step("ending", self.ending().key)

    def first_page(self) -> Step:
        """The first step: the first visible page (or an ending if no page applies)."""
        return self._land(self.definition.pages[0].key)

    def next_step(self, current_page_key: str) -> Step:
        """After a page: the first jump whose condition holds, else the default next page."""
        page = self.page(current_page_key)
        if self.is_visible(page):
            for jump in page.jumps:
                if self.evaluate(jump.if_):
                    return self._land(jump.to)
        return self._land(self._default_next(page))

    def ending(self) -> Ending:
        """The first ending whose show_if holds (validation guarantees one without a condition)."""
        for ending in self.definition.endings:
            if self.evaluate(ending.show_if):
                return ending
        return self.definition.endings[-1]

    def ending_for(self, step: Step) -> Ending:
        """The ending a final step names."""
        ending = self.definition.ending(step.key)
        return ending if ending is not None else self.ending()

    def path(self) -> list[str]:
        """The pages this respondent sees, given the answers so far."""
        keys: list[str] = []
        step = self.first_page()
        while not step.is_ending and step.key not in keys:
            keys.append(step.key)
            step = self.next_step(step.key)
        return keys

    def progress(self, page_key: str) -> float:
        """How far along a page is, from 0 (first page) towards 1 (an ending)."""
        if page_key.startswith(ENDING_PREFIX) or self.definition.page(page_key) is None:
            return 1.0
        return round(self._index(page_key) / len(self.definition.pages), 4)

    # -- text

    @property
    def piping_context(self) -> PipingContext:
        return PipingContext(self.answers, self.hidden, self.contact, self.definition)

    def text(self, text: dict[str, str] | None, language: str | None = None) -> SafeString:
        """A localized, piped and escaped string, ready for a page."""
        return render(self.definition.localize(text, language), self.piping_context, language)

    def url(self, url: str | None) -> str | None:
        """A button or redirect URL with hidden fields filled in; None unless it is http(s)."""
        if not url:
            return None
        resolved = render_plain(url, self.piping_context).strip()
        if resolved.startswith(("https://", "http://")) and not any(
            c in resolved for c in " <>\"'"
        ):
            return resolved
        return None
