"""How each question type travels in an HTML form: posted fields -> raw answer, answer -> fields.

Field names: the question key (`q1`), its 'other' text (`q1__other`), a matrix row or a ranked
choice (`q1__<row or choice key>`). Values arrive as lists, as in QueryDict.lists().
"""

from __future__ import annotations

from typing import Any

from closeloop.surveys.schema import OTHER_KEY, Question

FormData = dict[str, list[str]]

# A single posted value longer than this is never a real answer (long text allows 5000).
MAX_FIELD_CHARS = 6000
INVALID = "\x00invalid"


def _first(values: list[str] | None) -> str | None:
    if not values:
        return None
    value = values[0]
    return value if len(value) <= MAX_FIELD_CHARS else INVALID


def raw_answer(question: Question, data: FormData) -> Any:
    """The raw answer for a question from posted fields, in the shape its type validates."""
    q: Any = question  # the branches below read the fields of the type they test for
    key = q.key
    kind = question.type
    if kind == "multiple_choice":
        picked = [v for v in data.get(key, [])[:250] if len(v) <= 64]
        if not picked:
            return None
        other = _first(data.get(f"{key}__other"))
        return {"choices": picked, "other": other} if OTHER_KEY in picked else picked
    if kind in ("single_choice", "dropdown"):
        choice = _first(data.get(key))
        if choice == OTHER_KEY:
            return {"choice": choice, "other": _first(data.get(f"{key}__other")) or ""}
        return choice
    if kind == "matrix":
        return {row.key: _first(data.get(f"{key}__{row.key}")) or "" for row in q.rows}
    if kind == "ranking":
        ranks: dict[str, str] = {
            c.key: (_first(data.get(f"{key}__{c.key}")) or "").strip() for c in q.choices
        }
        if not any(ranks.values()):
            return None
        expected = [str(i) for i in range(1, len(ranks) + 1)]
        if sorted(ranks.values(), key=lambda v: (len(v), v)) != expected:
            # Missing or repeated positions: the type's validation names the problem.
            return [INVALID]
        return [k for k, _ in sorted(ranks.items(), key=lambda item: int(item[1]))]
    if kind == "statement":
        return None
    return _first(data.get(key))


def answer_to_form(question: Question, value: Any) -> FormData:
    """The form fields that show a stored answer again (to prefill a page)."""
    key = question.key
    kind = question.type
    if value is None:
        return {}
    if kind == "multiple_choice" and isinstance(value, dict):
        fields: FormData = {key: list(value.get("choices") or [])}
        if value.get("other"):
            fields[f"{key}__other"] = [value["other"]]
        return fields
    if kind in ("single_choice", "dropdown") and isinstance(value, dict):
        fields = {key: [value.get("choice") or ""]}
        if value.get("other"):
            fields[f"{key}__other"] = [value["other"]]
        return fields
    if kind == "matrix" and isinstance(value, dict):
        return {f"{key}__{row}": [column] for row, column in value.items()}
    if kind == "ranking" and isinstance(value, list):
        return {f"{key}__{choice}": [str(i + 1)] for i, choice in enumerate(value)}
    if kind == "consent":
        return {key: ["on"]} if value else {}
    return {key: [str(value)]}


def answers_to_form(questions: list[Question], answers: dict[str, Any]) -> FormData:
    """Form fields for every stored answer among these questions."""
    fields: FormData = {}
    for question in questions:
        fields.update(answer_to_form(question, answers.get(question.key)))
    return fields
