"""Piping puts contact attributes, earlier answers and hidden fields into text, escaped."""

from __future__ import annotations

from closeloop.surveys.logic import SurveyRun
from closeloop.surveys.piping import PipingContext, references, render, render_plain
from closeloop.surveys.tests.helpers import build, choices, q


def survey():  # type: ignore[no-untyped-def]
    return build(
        [
            {
                "key": "p1",
                "questions": [
                    q(
                        "q1",
                        "single_choice",
                        choices=[
                            {"key": "latte", "label": {"en": "Latte", "ko": "라떼"}},
                            {"key": "mocha", "label": {"en": "Mocha", "ko": "모카"}},
                        ],
                        title={"en": "Favourite?", "ko": "좋아하는 음료는?"},
                    ),
                    q("q2", "nps", title={"en": "Score", "ko": "점수"}),
                    q(
                        "q3",
                        "multiple_choice",
                        choices=choices("a", "b"),
                        allow_other=True,
                        title={"en": "Which", "ko": "어느"},
                    ),
                ],
            },
            {
                "key": "p2",
                "questions": [
                    q(
                        "q4",
                        "long_text",
                        title={
                            "en": "Why do you like {{answer.q1}}, {{contact.first_name|friend}}?",
                            "ko": "{{answer.q1}}를 좋아하시는 이유는 무엇인가요?",
                        },
                    ),
                ],
            },
        ],
        languages=["en", "ko"],
        title={"en": "Survey", "ko": "설문"},
        endings=[
            {
                "key": "done",
                "title": {"en": "Thanks", "ko": "감사합니다"},
                "message": {"en": "Bye", "ko": "안녕히 가세요"},
            }
        ],
        hidden_fields=[{"key": "source"}],
    )


def test_choice_answer_is_piped_as_its_label_in_the_language() -> None:
    defn = survey()
    run = SurveyRun(
        defn, answers={"q1": {"choice": "latte", "other": None}}, contact={"first_name": "Min"}
    )
    question = defn.question("q4")
    assert question is not None
    assert run.text(question.title, "en") == "Why do you like Latte, Min?"
    assert run.text(question.title, "ko") == "라떼를 좋아하시는 이유는 무엇인가요?"


def test_unknown_or_empty_references_render_as_fallback_or_nothing() -> None:
    context = PipingContext(hidden={"source": ""}, contact={})
    assert render("Hi {{contact.first_name|there}}!", context) == "Hi there!"
    assert render("From [{{hidden.source}}]", context) == "From []"
    assert render("[{{hidden.nope}}]", context) == "[]"
    assert render("[{{answer.q1}}]", context) == "[]"


def test_values_and_text_are_html_escaped() -> None:
    context = PipingContext(
        contact={"first_name": "<script>alert(1)</script>"}, hidden={"source": '"x" & y'}
    )
    html = render("Hello <b>{{contact.first_name}}</b> from {{hidden.source}}", context)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;" in html
    assert "&quot;x&quot; &amp; y" in html
    assert render_plain("Hi {{contact.first_name}}", context) == "Hi <script>alert(1)</script>"


def test_numbers_multiple_choices_and_other_text() -> None:
    defn = survey()
    answers = {"q2": 9, "q3": {"choices": ["a", "other"], "other": "<i>tea</i>"}}
    context = PipingContext(answers=answers, definition=defn)
    assert render("{{answer.q2}} / {{answer.q3}}", context, "en") == "9 / A, &lt;i&gt;tea&lt;/i&gt;"


def test_references_are_parsed() -> None:
    refs = references("{{ hidden.brand | us }} and {{answer.q1}}")
    assert [(r.namespace, r.key, r.fallback) for r in refs] == [
        ("hidden", "brand", "us"),
        ("answer", "q1", ""),
    ]
