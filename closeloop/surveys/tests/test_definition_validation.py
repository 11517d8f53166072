"""Definitions with broken logic are refused with a message naming the question or page."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.surveys.schema import DefinitionError
from closeloop.surveys.tests.helpers import build, choices, ending, q


def errors(
    pages: list[dict[str, Any]], endings: list[dict[str, Any]] | None = None, **extra: Any
) -> list[dict[str, Any]]:
    with pytest.raises(DefinitionError) as caught:
        build(pages, endings, **extra)
    return caught.value.errors


def messages(*args: Any, **kwargs: Any) -> str:
    return " | ".join(item["message"] for item in errors(*args, **kwargs))


def test_a_sound_definition_is_accepted() -> None:
    defn = build([{"key": "p1", "questions": [q("q1", "nps")]}])
    assert defn.schema_version == 1
    assert defn.question("q1") is not None


def test_condition_on_a_missing_question_names_both() -> None:
    found = errors(
        [
            {
                "key": "p1",
                "questions": [
                    q("q1", "nps"),
                    q("q2", "long_text", show_if={"field": "answer.q9", "op": "answered"}),
                ],
            }
        ]
    )
    assert found[0]["path"] == "pages[0].questions[1].show_if"
    assert "question 'q2'" in found[0]["message"] and "'q9'" in found[0]["message"]
    assert "does not exist" in found[0]["message"]


def test_condition_on_a_later_question_is_refused() -> None:
    text = messages(
        [
            {
                "key": "p1",
                "questions": [
                    q("q1", "long_text", show_if={"field": "answer.q2", "op": "gte", "value": 9})
                ],
            },
            {"key": "p2", "questions": [q("q2", "nps")]},
        ]
    )
    assert "question 'q1'" in text and "'q2'" in text and "comes later" in text


def test_page_condition_cannot_use_an_answer_on_the_same_page() -> None:
    text = messages(
        [
            {"key": "p1", "questions": [q("q0", "nps")]},
            {
                "key": "p2",
                "show_if": {"field": "answer.q2", "op": "answered"},
                "questions": [q("q2", "nps")],
            },
        ]
    )
    assert "page 'p2'" in text and "comes later" in text


def test_backward_jump_is_a_loop() -> None:
    text = messages(
        [
            {"key": "p1", "questions": [q("q1", "nps")]},
            {
                "key": "p2",
                "questions": [q("q2", "nps")],
                "jumps": [{"if": {"field": "answer.q2", "op": "lt", "value": 5}, "to": "p1"}],
            },
        ]
    )
    assert "page 'p2': jump goes back to page 'p1' (loops are not allowed)" in text


def test_next_to_itself_is_a_loop() -> None:
    text = messages([{"key": "p1", "questions": [q("q1", "nps")], "next": "p1"}])
    assert "page 'p1': next goes back to page 'p1'" in text


def test_jump_to_unknown_page_or_ending() -> None:
    text = messages(
        [
            {
                "key": "p1",
                "questions": [q("q1", "nps")],
                "jumps": [
                    {"if": {"field": "answer.q1", "op": "answered"}, "to": "nowhere"},
                    {"if": {"field": "answer.q1", "op": "answered"}, "to": "ending:nothing"},
                ],
            }
        ]
    )
    assert "page 'nowhere', which does not exist" in text
    assert "ending 'nothing', which does not exist" in text


def test_no_ending_when_every_ending_has_a_condition() -> None:
    text = messages(
        [{"key": "p1", "questions": [q("q1", "nps")]}],
        [ending("promoters", show_if={"field": "answer.q1", "op": "gte", "value": 9})],
    )
    assert "page 'p1'" in text and "can never reach an ending" in text


def test_unreachable_ending_after_a_catch_all() -> None:
    text = messages(
        [{"key": "p1", "questions": [q("q1", "nps")]}],
        [
            ending("default"),
            ending("promoters", show_if={"field": "answer.q1", "op": "gte", "value": 9}),
        ],
    )
    assert "ending 'promoters' can never be reached" in text


def test_unreachable_ending_when_every_page_jumps_elsewhere() -> None:
    text = messages(
        [{"key": "p1", "questions": [q("q1", "nps")], "next": "ending:a"}],
        [ending("a"), ending("b")],
    )
    assert "ending 'b' can never be reached" in text


def test_unreachable_page() -> None:
    text = messages(
        [
            {"key": "p1", "questions": [q("q1", "nps")], "next": "p3"},
            {"key": "p2", "questions": [q("q2", "nps")]},
            {"key": "p3", "questions": [q("q3", "nps")]},
        ]
    )
    assert "page 'p2' can never be reached" in text


def test_condition_values_must_fit_the_question() -> None:
    text = messages(
        [
            {
                "key": "p1",
                "questions": [q("q1", "nps"), q("q2", "single_choice", choices=choices("a", "b"))],
            },
            {
                "key": "p2",
                "show_if": {
                    "any": [
                        {"field": "answer.q1", "op": "eq", "value": 11},
                        {"field": "answer.q2", "op": "eq", "value": "c"},
                        {"field": "answer.q2", "op": "nps_category", "value": "promoter"},
                    ]
                },
                "questions": [],
            },
        ]
    )
    assert "not a score from 0 to 10" in text
    assert "'c' is not one of its choice keys" in text
    assert "'nps_category' does not apply to a single_choice question" in text


def test_condition_on_a_statement_is_refused() -> None:
    text = messages(
        [
            {"key": "p1", "questions": [q("s1", "statement")]},
            {"key": "p2", "show_if": {"field": "answer.s1", "op": "answered"}, "questions": []},
        ]
    )
    assert "statement" in text


def test_condition_shape_is_checked() -> None:
    text = messages(
        [
            {"key": "p1", "questions": [q("q1", "nps")]},
            {
                "key": "p2",
                "show_if": {"field": "answer.q1", "op": "in", "value": 3},
                "questions": [],
            },
        ]
    )
    assert "non-empty list" in text


def test_undeclared_hidden_field() -> None:
    text = messages(
        [
            {
                "key": "p1",
                "questions": [
                    q("q1", "nps", title={"en": "Rate {{hidden.brand}}"}),
                    q("q2", "nps", show_if={"field": "hidden.source", "op": "eq", "value": "web"}),
                ],
            }
        ]
    )
    assert "hidden field 'brand'" in text and "hidden field 'source'" in text


def test_piping_must_point_to_an_earlier_answer() -> None:
    text = messages(
        [
            {
                "key": "p1",
                "questions": [
                    q("q1", "long_text", title={"en": "You said {{answer.q2}}"}),
                    q("q2", "nps"),
                ],
            }
        ]
    )
    assert "question 'q1'" in text and "comes later" in text
    text = messages(
        [{"key": "p1", "questions": [q("q1", "nps", title={"en": "Hi {{ first_name }}"})]}]
    )
    assert "not a valid reference" in text


def test_duplicate_keys() -> None:
    text = messages(
        [
            {"key": "p1", "questions": [q("q1", "nps")]},
            {"key": "p1", "questions": [q("q1", "nps")]},
        ],
        [ending("done"), ending("done")],
    )
    assert "page key 'p1' is used twice" in text
    assert "question key 'q1' is used twice" in text
    assert "ending key 'done' is used twice" in text


def test_languages_must_include_the_default_and_each_text_has_it() -> None:
    text = messages(
        [{"key": "p1", "questions": [q("q1", "nps", title={"ko": "추천"})]}], languages=["en", "ko"]
    )
    assert "default language 'en'" in text
    text = messages([{"key": "p1", "questions": [q("q1", "nps", title={"en": "x", "fr": "y"})]}])
    assert "fr" in text
    text = messages([{"key": "p1", "questions": [q("q1", "nps")]}], languages=["ko"])
    assert "not in languages" in text


def test_unknown_fields_and_types_are_refused() -> None:
    found = errors([{"key": "p1", "questions": [q("q1", "nps", colour="red"), q("q2", "slider")]}])
    paths = {item["path"] for item in found}
    assert "pages[0].questions[0].colour" in paths
    assert any(path.startswith("pages[0].questions[1]") for path in paths)


def test_urls_must_be_http() -> None:
    text = messages(
        [{"key": "p1", "questions": [q("q1", "nps")]}],
        [ending("done", redirect_url="javascript:alert(1)")],
    )
    assert "pattern" in text or "match" in text
    build(
        [{"key": "p1", "questions": [q("q1", "nps")]}],
        [ending("done", redirect_url="https://acme.test/thanks")],
    )


def test_theme_colour_is_checked() -> None:
    errors([{"key": "p1", "questions": [q("q1", "nps")]}], theme={"primary_color": "red"})
    defn = build([{"key": "p1", "questions": [q("q1", "nps")]}], theme={"primary_color": "#112233"})
    assert defn.theme.background == "#FFFFFF"


def test_missing_translations_are_warnings_until_publishing() -> None:
    defn = build(
        [
            {
                "key": "p1",
                "questions": [q("q1", "nps", title={"en": "Recommend?", "ko": "추천하시겠어요?"})],
            }
        ],
        languages=["en", "ko", "ar"],
    )
    gaps = {gap.path: gap.missing for gap in defn.missing_translations()}
    assert gaps["pages[0].questions[0].title"] == ("ar",)
    assert gaps["title"] == ("ko", "ar")
    with pytest.raises(DefinitionError) as caught:
        defn.validate_for_publish()
    assert "missing translation in ko, ar" in str(caught.value)
    assert defn.rtl_languages == ["ar"]


def test_rtl_languages() -> None:
    from closeloop.surveys.schema import is_rtl

    assert all(is_rtl(lang) for lang in ("ar", "he", "fa", "ur", "ar-EG"))
    assert not any(is_rtl(lang) for lang in ("en", "ko", "th"))
