"""Each question type validates what a respondent submits and turns it into facts."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.surveys.questions import QUESTION_TYPES, AnswerError, Fact
from closeloop.surveys.tests.helpers import choices, q, question_model

ALL_TYPES = {
    "nps",
    "csat",
    "ces",
    "rating",
    "single_choice",
    "multiple_choice",
    "dropdown",
    "short_text",
    "long_text",
    "number",
    "email",
    "date",
    "matrix",
    "ranking",
    "consent",
    "statement",
}


def answer(question: dict[str, Any], raw: Any) -> Any:
    model = question_model(question)
    return QUESTION_TYPES[model.type].validate_answer(model, raw)


def facts(question: dict[str, Any], raw: Any) -> list[Fact]:
    model = question_model(question)
    kind = QUESTION_TYPES[model.type]
    return kind.to_facts(model, kind.validate_answer(model, raw))


def rejects(question: dict[str, Any], raw: Any) -> str:
    with pytest.raises(AnswerError) as caught:
        answer(question, raw)
    assert caught.value.field == question["key"]
    return caught.value.message


def test_every_type_is_registered() -> None:
    assert set(QUESTION_TYPES) == ALL_TYPES


@pytest.mark.parametrize("type_", sorted(ALL_TYPES - {"statement"}))
def test_required_question_refuses_an_empty_answer(type_: str) -> None:
    extra: dict[str, Any] = {}
    if type_ in ("single_choice", "multiple_choice", "dropdown", "ranking"):
        extra["choices"] = choices("a", "b")
    if type_ == "matrix":
        extra = {"rows": choices("r1"), "columns": choices("c1", "c2")}
    if type_ == "consent":
        extra["text"] = {"en": "I agree"}
    question = q("q1", type_, required=True, **extra)
    for empty in (None, "", "   ", []):
        assert "requires an answer" in rejects(question, empty)
    optional = {**question, "required": False}
    assert answer(optional, "") is None
    assert answer(optional, None) is None


@pytest.mark.parametrize("raw,expected", [("0", 0), ("10", 10), (["7"], 7), (9, 9)])
def test_nps_accepts_0_to_10(raw: Any, expected: int) -> None:
    assert answer(q("q1", "nps"), raw) == expected


@pytest.mark.parametrize("raw", ["11", "-1", "7.5", "seven", True, ["1", "2"]])
def test_nps_refuses_anything_else(raw: Any) -> None:
    assert "0 to 10" in rejects(q("q1", "nps"), raw)


@pytest.mark.parametrize("points", [3, 4, 5, 7, 10])
def test_csat_scale_length(points: int) -> None:
    question = q("q1", "csat", points=points)
    assert answer(question, str(points)) == points
    assert answer(question, "1") == 1
    rejects(question, str(points + 1))
    rejects(question, "0")


def test_csat_scale_must_be_a_supported_length() -> None:
    from closeloop.surveys.schema import DefinitionError

    with pytest.raises(DefinitionError):
        question_model(q("q1", "csat", points=6))


def test_ces_is_1_to_7() -> None:
    assert answer(q("q1", "ces"), "7") == 7
    rejects(q("q1", "ces"), "8")
    rejects(q("q1", "ces"), "0")


def test_rating_points_and_style() -> None:
    question = q("q1", "rating", points=10, style="numbers")
    assert answer(question, "10") == 10
    rejects(q("q1", "rating", points=3), "4")
    from closeloop.surveys.schema import DefinitionError

    with pytest.raises(DefinitionError):
        question_model(q("q1", "rating", points=11))
    with pytest.raises(DefinitionError):
        question_model(q("q1", "rating", points=2))


def test_single_choice_with_other_text() -> None:
    question = q("q1", "single_choice", choices=choices("a", "b"), allow_other=True)
    assert answer(question, "a") == {"choice": "a", "other": None}
    assert answer(question, {"choice": "other", "other": "  my own  "}) == {
        "choice": "other",
        "other": "my own",
    }
    assert "Describe" in rejects(question, {"choice": "other", "other": ""})
    assert "options shown" in rejects(question, "zzz")
    assert facts(question, {"choice": "other", "other": "x"}) == [Fact(choice="other", text="x")]


def test_single_choice_without_other_refuses_other() -> None:
    rejects(q("q1", "single_choice", choices=choices("a", "b")), "other")


def test_dropdown_answers_like_single_choice() -> None:
    question = q("q1", "dropdown", choices=choices("a", "b"))
    assert answer(question, ["b"]) == {"choice": "b", "other": None}
    rejects(question, "c")


def test_multiple_choice_min_max_and_other() -> None:
    question = q(
        "q1",
        "multiple_choice",
        choices=choices("a", "b", "c"),
        allow_other=True,
        min_selected=2,
        max_selected=3,
    )
    assert answer(question, ["c", "a"]) == {"choices": ["a", "c"], "other": None}
    assert "at least 2" in rejects(question, ["a"])
    assert "at most 3" in rejects(question, {"choices": ["a", "b", "c", "other"], "other": "x"})
    value = answer(question, {"choices": ["b", "other"], "other": "tea"})
    assert value == {"choices": ["b", "other"], "other": "tea"}
    assert facts(question, {"choices": ["b", "other"], "other": "tea"}) == [
        Fact(choice="b"),
        Fact(choice="other", text="tea"),
    ]
    rejects(question, ["a", "nope"])


def test_multiple_choice_limits_must_fit_the_choices() -> None:
    from closeloop.surveys.schema import DefinitionError

    with pytest.raises(DefinitionError, match="max_selected"):
        question_model(q("q1", "multiple_choice", choices=choices("a", "b"), max_selected=5))
    with pytest.raises(DefinitionError, match="min_selected is larger than max_selected"):
        question_model(
            q(
                "q1",
                "multiple_choice",
                choices=choices("a", "b", "c"),
                min_selected=3,
                max_selected=2,
            )
        )


def test_short_text_is_one_line_within_500_characters() -> None:
    question = q("q1", "short_text")
    assert answer(question, "  hello\n  world ") == "hello world"
    assert answer(question, "x" * 500) == "x" * 500
    assert "500" in rejects(question, "x" * 501)
    assert answer(q("q1", "short_text", max_length=10), "0123456789") == "0123456789"
    rejects(q("q1", "short_text", max_length=10), "01234567890")
    assert facts(question, "hi") == [Fact(text="hi")]


def test_long_text_keeps_lines_within_5000_characters() -> None:
    question = q("q1", "long_text")
    assert answer(question, "line one\r\nline two\x00") == "line one\nline two"
    assert answer(question, "y" * 5000) == "y" * 5000
    assert "5000" in rejects(question, "y" * 5001)


def test_text_limits_cannot_exceed_the_maximum() -> None:
    from closeloop.surveys.schema import DefinitionError

    with pytest.raises(DefinitionError):
        question_model(q("q1", "short_text", max_length=501))
    with pytest.raises(DefinitionError):
        question_model(q("q1", "long_text", max_length=5001))


def test_number_bounds_and_whole_numbers() -> None:
    question = q("q1", "number", min=1, max=100)
    assert answer(question, "42") == 42
    assert answer(question, "2.5") == 2.5
    assert answer(q("q1", "number"), "1,000") == 1000
    assert "at least 1" in rejects(question, "0")
    assert "at most 100" in rejects(question, "100.5")
    assert "whole number" in rejects(q("q1", "number", integer_only=True), "1.5")
    for bad in ("abc", "nan", "inf", "1e400", True):
        rejects(q("q1", "number"), bad)
    assert facts(question, "7") == [Fact(number=7.0)]


def test_email() -> None:
    question = q("q1", "email")
    assert answer(question, " Ann@Example.COM ") == "Ann@example.com"
    assert "valid email" in rejects(question, "not-an-email")
    rejects(question, "a" * 250 + "@example.com")


def test_date_with_bounds() -> None:
    question = q("q1", "date", min_date="2024-01-01", max_date="2024-12-31")
    assert answer(question, "2024-02-29") == "2024-02-29"
    assert "YYYY-MM-DD" in rejects(question, "2024-02-30")
    assert "YYYY-MM-DD" in rejects(question, "29/02/2024")
    assert "on or after" in rejects(question, "2023-12-31")
    assert "on or before" in rejects(question, "2025-01-01")


def test_matrix_rows_become_one_fact_each() -> None:
    question = q(
        "q1", "matrix", rows=choices("speed", "price"), columns=choices("bad", "ok", "good")
    )
    value = answer(question, {"speed": "good", "price": ["ok"]})
    assert value == {"speed": "good", "price": "ok"}
    assert facts(question, value) == [
        Fact(row="speed", choice="good", number=3.0),
        Fact(row="price", choice="ok", number=2.0),
    ]
    assert answer(question, {"speed": "bad"}) == {"speed": "bad"}
    rejects(question, {"speed": "awful"})
    rejects(question, {"colour": "good"})
    required = {**question, "required": True}
    assert "every row" in rejects(required, {"speed": "bad"})


def test_ranking_needs_every_option_once() -> None:
    question = q("q1", "ranking", choices=choices("a", "b", "c"))
    assert answer(question, ["c", "a", "b"]) == ["c", "a", "b"]
    assert answer(question, "b, a, c") == ["b", "a", "c"]
    assert facts(question, ["c", "a", "b"]) == [
        Fact(choice="c", number=1.0),
        Fact(choice="a", number=2.0),
        Fact(choice="b", number=3.0),
    ]
    rejects(question, ["a", "b"])
    rejects(question, ["a", "a", "b"])
    rejects(question, ["a", "b", "z"])


def test_consent_checkbox() -> None:
    question = q("q1", "consent", text={"en": "You may quote me."})
    assert answer(question, "on") is True
    assert answer(question, "false") is False
    assert facts(question, "on") == [Fact(number=1.0)]
    required = {**question, "required": True}
    assert "Tick the box" in rejects(required, "false")
    assert answer(required, True) is True


def test_statement_takes_no_answer() -> None:
    question = q("s1", "statement")
    assert answer(question, "anything") is None
    assert facts(question, None) == []
    from closeloop.surveys.schema import DefinitionError

    with pytest.raises(DefinitionError, match="cannot be required"):
        question_model({**question, "required": True})


def test_choice_keys_must_be_unique_and_slug_like() -> None:
    from closeloop.surveys.schema import DefinitionError

    with pytest.raises(DefinitionError, match="used twice"):
        question_model(q("q1", "single_choice", choices=choices("a", "a")))
    with pytest.raises(DefinitionError) as caught:
        question_model(q("q1", "single_choice", choices=[{"key": "Bad Key", "label": {"en": "x"}}]))
    assert caught.value.errors[0]["path"] == "pages[0].questions[0].choices[0].key"
    with pytest.raises(DefinitionError, match="reserved"):
        question_model(q("q1", "single_choice", choices=choices("a", "other"), allow_other=True))


def test_help_text_and_shuffle_are_kept() -> None:
    model = question_model(
        q("q1", "single_choice", choices=choices("a", "b"), shuffle=True, help={"en": "Pick one"})
    )
    assert model.shuffle is True
    assert model.help == {"en": "Pick one"}
