"""A respondent's way through a survey: visible questions, jumps, skipped pages, endings."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.surveys.logic import EvalContext, Step, SurveyRun, evaluate
from closeloop.surveys.schema import LeafCondition
from closeloop.surveys.tests.helpers import build, choices, ending, q


def survey() -> Any:
    return build(
        [
            {
                "key": "p1",
                "questions": [
                    q("score", "nps", required=True),
                    q(
                        "why_low",
                        "long_text",
                        show_if={"field": "answer.score", "op": "lte", "value": 6},
                    ),
                    q("topics", "multiple_choice", choices=choices("price", "speed", "staff")),
                ],
                "jumps": [
                    {
                        "if": {"field": "answer.score", "op": "nps_category", "value": "promoter"},
                        "to": "p3",
                    },
                    {
                        "if": {"field": "hidden.source", "op": "eq", "value": "kiosk"},
                        "to": "ending:kiosk",
                    },
                ],
            },
            {
                "key": "p2",
                "show_if": {"field": "answer.topics", "op": "contains", "value": "price"},
                "questions": [q("price_detail", "short_text")],
            },
            {
                "key": "p3",
                "show_if": {"not": {"field": "contact.segment", "op": "eq", "value": "vip"}},
                "questions": [q("email", "email")],
            },
            {"key": "p4", "questions": [q("bye", "statement")]},
        ],
        [
            ending(
                "promoters",
                show_if={"field": "answer.score", "op": "gte", "value": 9},
                button={"label": {"en": "Review us"}, "url": "{{hidden.review_url}}"},
            ),
            ending("default"),
            # Reached only by the jump: after the catch-all, so never chosen by default.
            ending("kiosk"),
        ],
        hidden_fields=[{"key": "source"}, {"key": "review_url"}],
    )


def test_visible_questions_follow_earlier_answers() -> None:
    defn = survey()
    run = SurveyRun(defn, answers={"score": 3})
    assert [q.key for q in run.visible_questions("p1")] == ["score", "why_low", "topics"]
    run = SurveyRun(defn, answers={"score": 8})
    assert [q.key for q in run.visible_questions("p1")] == ["score", "topics"]
    assert [q.key for q in SurveyRun(defn).visible_questions("p1")] == ["score", "topics"]


def test_jump_for_promoters_skips_ahead() -> None:
    run = SurveyRun(survey(), answers={"score": 10})
    assert run.next_step("p1") == Step("page", "p3")


def test_hidden_field_jumps_to_an_ending() -> None:
    run = SurveyRun(survey(), answers={"score": 5}, hidden={"source": "kiosk"})
    step = run.next_step("p1")
    assert step == Step("ending", "kiosk") and step.is_ending


def test_pages_whose_condition_fails_are_skipped() -> None:
    defn = survey()
    with_price = SurveyRun(
        defn, answers={"score": 5, "topics": {"choices": ["price"], "other": None}}
    )
    assert with_price.next_step("p1") == Step("page", "p2")
    without = SurveyRun(defn, answers={"score": 5, "topics": {"choices": ["staff"], "other": None}})
    assert without.next_step("p1") == Step("page", "p3")
    vip = SurveyRun(defn, answers={"score": 5}, contact={"segment": "vip"})
    assert vip.next_step("p1") == Step("page", "p4")
    assert vip.path() == ["p1", "p4"]


def test_last_page_leads_to_the_first_ending_that_applies() -> None:
    defn = survey()
    assert SurveyRun(defn, answers={"score": 9}).next_step("p4") == Step("ending", "promoters")
    assert SurveyRun(defn, answers={"score": 2}).next_step("p4") == Step("ending", "default")
    assert SurveyRun(defn, answers={"score": 9}).ending().key == "promoters"


def test_review_button_uses_the_hidden_link_only_when_it_is_http() -> None:
    defn = survey()
    promoters = defn.ending("promoters")
    assert promoters is not None and promoters.button is not None
    good = SurveyRun(defn, hidden={"review_url": "https://g.page/r/acme"})
    assert good.url(promoters.button.url) == "https://g.page/r/acme"
    assert (
        SurveyRun(defn, hidden={"review_url": "javascript:alert(1)"}).url(promoters.button.url)
        is None
    )
    assert SurveyRun(defn).url(promoters.button.url) is None


def test_first_page_and_progress() -> None:
    defn = survey()
    run = SurveyRun(defn)
    assert run.first_page() == Step("page", "p1")
    assert run.progress("p1") == 0
    assert run.progress("p3") == 0.5
    assert run.progress("ending:default") == 1.0
    assert 0 <= run.progress("p4") < 1


def test_explicit_next_page() -> None:
    defn = build(
        [
            {
                "key": "a",
                "questions": [q("q1", "nps")],
                "jumps": [{"if": {"field": "answer.q1", "op": "lt", "value": 5}, "to": "b"}],
                "next": "c",
            },
            {"key": "b", "questions": [q("q2", "nps")]},
            {"key": "c", "questions": [q("q3", "nps")], "next": "ending:done"},
        ],
        [ending("done")],
    )
    assert SurveyRun(defn, answers={"q1": 8}).next_step("a") == Step("page", "c")
    assert SurveyRun(defn, answers={"q1": 2}).next_step("a") == Step("page", "b")
    assert SurveyRun(defn).next_step("c") == Step("ending", "done")


def ctx(**answers: Any) -> EvalContext:
    defn = build(
        [
            {
                "key": "p1",
                "questions": [
                    q("n", "number"),
                    q("c", "single_choice", choices=choices("a", "b")),
                    q("m", "multiple_choice", choices=choices("a", "b", "c")),
                    q("d", "date"),
                    q("t", "short_text"),
                    q("ok", "consent", text={"en": "ok"}),
                ],
            }
        ]
    )
    return EvalContext(
        defn, answers=answers, hidden={"plan": "pro", "seats": "12"}, contact={"tier": 3}
    )


def leaf(field: str, op: str, value: Any = None) -> LeafCondition:
    return LeafCondition(field=field, op=op, value=value)


@pytest.mark.parametrize(
    "condition,answers,expected",
    [
        (leaf("answer.n", "gt", 5), {"n": 6}, True),
        (leaf("answer.n", "gt", 5), {"n": 5}, False),
        (leaf("answer.n", "gte", 5), {"n": 5}, True),
        (leaf("answer.n", "lt", 5), {}, False),
        (leaf("answer.n", "ne", 5), {}, True),
        (leaf("answer.n", "answered"), {"n": 0}, True),
        (leaf("answer.n", "not_answered"), {}, True),
        (leaf("answer.c", "eq", "a"), {"c": {"choice": "a", "other": None}}, True),
        (leaf("answer.c", "in", ["b"]), {"c": {"choice": "a", "other": None}}, False),
        (leaf("answer.c", "not_in", ["b"]), {"c": {"choice": "a", "other": None}}, True),
        (leaf("answer.m", "contains", "b"), {"m": {"choices": ["a", "b"], "other": None}}, True),
        (leaf("answer.m", "in", ["c"]), {"m": {"choices": ["a", "b"], "other": None}}, False),
        (leaf("answer.d", "lt", "2024-06-01"), {"d": "2024-05-31"}, True),
        (leaf("answer.t", "contains", "SLOW"), {"t": "It was slow"}, True),
        (leaf("answer.ok", "eq", True), {"ok": True}, True),
        (leaf("hidden.plan", "eq", "pro"), {}, True),
        (leaf("hidden.seats", "gte", 10), {}, True),
        (leaf("contact.tier", "in", [2, 3]), {}, True),
        (leaf("contact.missing", "eq", "x"), {}, False),
    ],
)
def test_evaluate_operators(
    condition: LeafCondition, answers: dict[str, Any], expected: bool
) -> None:
    assert evaluate(condition, ctx(**answers)) is expected


def test_evaluate_all_any_not() -> None:
    from closeloop.surveys.schema import AllCondition, AnyCondition, NotCondition

    yes, no = leaf("hidden.plan", "eq", "pro"), leaf("hidden.plan", "eq", "free")
    context = ctx()
    assert evaluate(AllCondition(all=[yes, yes]), context)
    assert not evaluate(AllCondition(all=[yes, no]), context)
    assert evaluate(AnyCondition(any=[no, yes]), context)
    assert evaluate(NotCondition(not_=no), context)
    assert evaluate(None, context)


def test_validate_page_checks_only_the_questions_shown() -> None:
    defn = survey()
    run = SurveyRun(defn)
    values, errors = run.validate_page(
        "p1", {"score": "4", "why_low": "too slow", "topics": ["nope"]}
    )
    assert values == {"score": 4, "why_low": "too slow"}
    assert list(errors) == ["topics"]
    run = SurveyRun(defn)
    values, errors = run.validate_page("p1", {"score": "10", "why_low": "ignored"})
    assert values == {"score": 10, "topics": None} and errors == {}
    assert run.answers == {"score": 10}
    values, errors = SurveyRun(defn).validate_page("p1", {})
    assert errors == {"score": "This question requires an answer."}


def test_shuffled_choices_are_stable_per_respondent() -> None:
    defn = build(
        [
            {
                "key": "p1",
                "questions": [
                    q("q1", "single_choice", choices=choices(*"abcdefgh"), shuffle=True),
                    q("q2", "single_choice", choices=choices("x", "y", "z")),
                ],
            }
        ]
    )
    shuffled, plain = defn.pages[0].questions
    first = [c.key for c in SurveyRun.ordered(shuffled, "token-1")]
    assert first == [c.key for c in SurveyRun.ordered(shuffled, "token-1")]
    assert sorted(first) == list("abcdefgh")
    orders = {tuple(c.key for c in SurveyRun.ordered(shuffled, f"t{i}")) for i in range(10)}
    assert len(orders) > 1
    assert [c.key for c in SurveyRun.ordered(plain, "t")] == ["x", "y", "z"]
