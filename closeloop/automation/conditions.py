"""Condition types: each a registry entry with a label, typed parameters and its evaluation.

A rule's conditions are `{"match": "all"|"any", "rules": [{"type": "score", "metric": "nps",
"min": 0, "max": 6}, ...]}`. Evaluation reads the EventContext built once per event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.automation.context import EventContext
from closeloop.automation.params import Param
from closeloop.automation.scales import csat_is_dissatisfied
from closeloop.responses.choices import Channel
from closeloop.surveys.logic import EvalContext, evaluate
from closeloop.surveys.questions import csat_is_satisfied, nps_category
from closeloop.surveys.schema import LeafCondition, SurveyDefinition

RESPONSE_SUBJECTS = frozenset({"response", "case"})
CONTACT_SUBJECTS = frozenset({"response", "case", "contact"})
CASE_SUBJECTS = frozenset({"case"})


def _metrics() -> list[tuple[str, str]]:
    return [("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES"), ("rating", _("Rating"))]


def _categories() -> list[tuple[str, str]]:
    return [("promoter", _("Promoter")), ("passive", _("Passive")), ("detractor", _("Detractor"))]


def _satisfaction() -> list[tuple[str, str]]:
    return [
        ("satisfied", _("Satisfied (top of the scale)")),
        ("unsatisfied", _("Not satisfied")),
        ("dissatisfied", _("Dissatisfied (below the middle of the scale)")),
    ]


ANSWER_OPS = (
    ("eq", gettext_lazy("is")),
    ("ne", gettext_lazy("is not")),
    ("in", gettext_lazy("is one of")),
    ("not_in", gettext_lazy("is none of")),
    ("contains", gettext_lazy("contains")),
    ("lt", gettext_lazy("is less than")),
    ("gt", gettext_lazy("is more than")),
    ("answered", gettext_lazy("is answered")),
    ("not_answered", gettext_lazy("is not answered")),
)


def _answer_ops() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in ANSWER_OPS]


def _segment_ops() -> list[tuple[str, str]]:
    return [("in", _("is in")), ("not_in", _("is not in"))]


def _channels() -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in Channel.choices]


def _case_priorities() -> list[tuple[str, str]]:
    from closeloop.automation.choices import Priority

    return [(str(k), str(v)) for k, v in Priority.choices]


def case_statuses() -> list[tuple[str, str]]:
    try:
        from closeloop.cases.choices import CaseStatus  # type: ignore[import-not-found,unused-ignore]

        return [(str(k), str(v)) for k, v in CaseStatus.choices]
    except ImportError:
        return [
            ("new", _("New")),
            ("open", _("Open")),
            ("waiting", _("Waiting on customer")),
            ("resolved", _("Resolved")),
            ("closed", _("Closed")),
            ("reopened", _("Reopened")),
        ]


@dataclass(frozen=True)
class ConditionType:
    """One kind of test a rule can make."""

    name: str
    label: str | Promise
    params: tuple[Param, ...]
    evaluate: Callable[[EventContext, dict[str, Any]], bool]
    describe: Callable[[dict[str, Any]], str]
    subjects: frozenset[str] = RESPONSE_SUBJECTS
    # Placeholders for later issues are registered but disabled: not offered in the builder,
    # refused on save, and never true.
    enabled: bool = True
    # Picks customers by how happy they are (a score, an NPS category, sentiment): a rule that
    # sends review invitations may not use it ("review gating"), see advocacy.
    selective: bool = False


CONDITIONS: dict[str, ConditionType] = {}


def condition_register(condition: ConditionType) -> ConditionType:
    CONDITIONS[condition.name] = condition
    return condition


def condition_enable(
    name: str, evaluate_fn: Callable[[EventContext, dict[str, Any]], bool]
) -> None:
    """Turn a placeholder on once its data exists (the text issue enables sentiment, theme)."""
    current = CONDITIONS[name]
    CONDITIONS[name] = ConditionType(
        current.name,
        current.label,
        current.params,
        evaluate_fn,
        current.describe,
        current.subjects,
        True,
        current.selective,
    )


def _range_text(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return _("between %(low)s and %(high)s") % {"low": low, "high": high}
    if low is not None:
        return _("at least %(low)s") % {"low": low}
    if high is not None:
        return _("at most %(high)s") % {"high": high}
    return _("answered")


# --- score range ------------------------------------------------------------------------------


def _score(ctx: EventContext, c: dict[str, Any]) -> bool:
    low, high = c.get("min"), c.get("max")
    points = c.get("points")
    for s in ctx.scores:
        if c.get("metric") and s.type != c["metric"]:
            continue
        if c.get("key") and s.key != c["key"]:
            continue
        if points and s.type in ("csat", "rating") and s.points != int(points):
            continue
        if (low is None or s.value >= low) and (high is None or s.value <= high):
            return True
    return False


def _score_text(c: dict[str, Any]) -> str:
    metric = dict(_metrics()).get(c.get("metric") or "", _("Any score"))
    where = f" ({c['key']})" if c.get("key") else ""
    scale = " " + _("on a %(n)s-point scale") % {"n": c["points"]} if c.get("points") else ""
    return f"{metric}{where} {_range_text(c.get('min'), c.get('max'))}{scale}"


condition_register(
    ConditionType(
        "score",
        gettext_lazy("Score range"),
        (
            Param("metric", gettext_lazy("Metric"), "choice", choices=_metrics),
            Param(
                "key",
                gettext_lazy("Question"),
                "question",
                question_types=("nps", "csat", "ces", "rating"),
                help=gettext_lazy("Leave empty for any question of that metric."),
            ),
            Param("min", gettext_lazy("From"), "int", minimum=0, maximum=10),
            Param("max", gettext_lazy("To"), "int", minimum=0, maximum=10),
            Param(
                "points",
                gettext_lazy("Only on a scale of"),
                "choice",
                choices=lambda: [(str(n), str(n)) for n in (3, 4, 5, 7, 10)],
            ),
        ),
        _score,
        _score_text,
        selective=True,
    )
)


# --- NPS category, CSAT -----------------------------------------------------------------------


def _nps_category(ctx: EventContext, c: dict[str, Any]) -> bool:
    wanted = set(c.get("value") or [])
    s = ctx.score("nps", c.get("key") or "")
    return s is not None and 0 <= s.value <= 10 and nps_category(s.value) in wanted


condition_register(
    ConditionType(
        "nps_category",
        gettext_lazy("NPS category"),
        (
            Param("value", gettext_lazy("Category"), "choices", required=True, choices=_categories),
            Param("key", gettext_lazy("Question"), "question", question_types=("nps",)),
        ),
        _nps_category,
        lambda c: (
            _("NPS category is %(values)s")
            % {
                "values": _(" or ").join(
                    dict(_categories()).get(v, v) for v in c.get("value") or []
                )
            }
        ),
        selective=True,
    )
)


def _csat(ctx: EventContext, c: dict[str, Any]) -> bool:
    """Satisfied: the top box(es); not satisfied: anything else; dissatisfied: below the
    middle of the answer's own scale (1-2 of 5, 1 of 3, 1-3 of 7, 1-5 of 10)."""
    s = ctx.score("csat", c.get("key") or "")
    if s is None:
        return False
    points = s.points or 5
    if c.get("value") == "dissatisfied":
        return csat_is_dissatisfied(s.value, points)
    satisfied = csat_is_satisfied(s.value, points)
    return satisfied if c.get("value") == "satisfied" else not satisfied


condition_register(
    ConditionType(
        "csat",
        gettext_lazy("CSAT satisfied or not"),
        (
            Param(
                "value",
                gettext_lazy("Customer is"),
                "choice",
                required=True,
                choices=_satisfaction,
            ),
            Param("key", gettext_lazy("Question"), "question", question_types=("csat",)),
        ),
        _csat,
        lambda c: _("CSAT: %(value)s") % {"value": dict(_satisfaction()).get(c.get("value", ""))},
        selective=True,
    )
)


# --- any answer -------------------------------------------------------------------------------


def _leaf_value(op: str, raw: Any) -> Any:
    """The rule's value in the shape the survey logic's operators expect."""
    if op in ("answered", "not_answered"):
        return None
    values = raw if isinstance(raw, list) else [v.strip() for v in str(raw).split(",")]
    values = [_number_or_text(v) for v in values if str(v).strip()]
    if op in ("in", "not_in"):
        return values
    return values[0] if values else ""


def _number_or_text(value: Any) -> Any:
    if isinstance(value, int | float):
        return value
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    return int(number) if number.is_integer() else number


_EMPTY_DEFINITION = SurveyDefinition.model_construct()


@lru_cache(maxsize=4096)
def _leaf_cached(field: str, op: str, raw_json: str) -> LeafCondition | None:
    try:
        return LeafCondition.model_validate(
            {"field": field, "op": op, "value": _leaf_value(op, json.loads(raw_json))}
        )
    except ValueError:
        return None


def _leaf(field: str, op: str, raw: Any) -> LeafCondition | None:
    """The survey logic's test for a rule's condition (parsed once per distinct condition)."""
    return _leaf_cached(field, op, json.dumps(raw, sort_keys=True, default=str))


def _answer(ctx: EventContext, c: dict[str, Any]) -> bool:
    key = c.get("key") or ""
    leaf = _leaf(f"answer.{key}", c.get("op") or "eq", c.get("value"))
    if leaf is None or ctx.definition is None:
        return False
    return evaluate(leaf, EvalContext(definition=ctx.definition, answers=ctx.answers))


def _op_text(op: str) -> str:
    return str(dict(ANSWER_OPS).get(op, op))


def _value_text(c: dict[str, Any]) -> str:
    value = c.get("value")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


condition_register(
    ConditionType(
        "answer",
        gettext_lazy("Any answer's value"),
        (
            Param("key", gettext_lazy("Question"), "question", required=True),
            Param("op", gettext_lazy("Operator"), "choice", default="eq", choices=_answer_ops),
            Param(
                "value",
                gettext_lazy("Value"),
                "text",
                help=gettext_lazy(
                    "A choice key, a number or a text; "
                    "for “is one of”, separate values with commas."
                ),
            ),
        ),
        _answer,
        lambda c: f"{c.get('key')} {_op_text(c.get('op') or 'eq')} {_value_text(c)}".strip(),
    )
)


# --- text contains ----------------------------------------------------------------------------


def _text_contains(ctx: EventContext, c: dict[str, Any]) -> bool:
    # A plain case-insensitive substring: works for Korean and Thai, which have no spaces
    # between words (Thai) or attach particles to words (Korean).
    words = [w.casefold() for w in c.get("value") or [] if w]
    key = c.get("key") or ""
    for question_key, text in ctx.texts:
        if key and question_key != key:
            continue
        folded = text.casefold()
        if any(w in folded for w in words):
            return True
    return False


condition_register(
    ConditionType(
        "text_contains",
        gettext_lazy("Comment contains"),
        (
            Param(
                "value",
                gettext_lazy("Any of these words"),
                "words",
                required=True,
                help=gettext_lazy("One per line or separated by commas, in any language."),
            ),
            Param(
                "key",
                gettext_lazy("Question"),
                "question",
                question_types=("short_text", "long_text"),
                help=gettext_lazy("Leave empty to look in every open answer."),
            ),
        ),
        _text_contains,
        lambda c: (
            _("a comment contains %(words)s")
            % {"words": _(" or ").join(f"“{w}”" for w in c.get("value") or [])}
        ),
    )
)


# --- language, touchpoint, survey, channel ----------------------------------------------------


def _in_list(values: Any, actual: Any) -> bool:
    return bool(actual) and str(actual) in {str(v) for v in values or []}


condition_register(
    ConditionType(
        "language",
        gettext_lazy("Language"),
        (Param("value", gettext_lazy("Languages"), "languages", required=True),),
        lambda ctx, c: _in_list(
            [v.split("-")[0] for v in c.get("value") or []], ctx.language.split("-")[0]
        ),
        lambda c: _("language is %(values)s") % {"values": ", ".join(c.get("value") or [])},
        subjects=CONTACT_SUBJECTS,
    )
)
condition_register(
    ConditionType(
        "touchpoint",
        gettext_lazy("Touchpoint"),
        (Param("value", gettext_lazy("Touchpoints"), "touchpoints", required=True),),
        lambda ctx, c: (
            ctx.response is not None and _in_list(c.get("value"), ctx.response.touchpoint_id)
        ),
        lambda c: _("at one of %(n)s touchpoints") % {"n": len(c.get("value") or [])},
    )
)
condition_register(
    ConditionType(
        "survey",
        gettext_lazy("Survey"),
        (Param("value", gettext_lazy("Surveys"), "surveys", required=True),),
        lambda ctx, c: (
            ctx.response is not None and _in_list(c.get("value"), ctx.response.survey_id)
        ),
        lambda c: _("answers one of %(n)s surveys") % {"n": len(c.get("value") or [])},
    )
)
condition_register(
    ConditionType(
        "channel",
        gettext_lazy("Channel"),
        (Param("value", gettext_lazy("Channels"), "channels", required=True, choices=_channels),),
        lambda ctx, c: ctx.response is not None and _in_list(c.get("value"), ctx.response.channel),
        lambda c: (
            _("channel is %(values)s")
            % {"values": ", ".join(dict(_channels()).get(v, v) for v in c.get("value") or [])}
        ),
    )
)


# --- contact ----------------------------------------------------------------------------------


def _contact_attribute(ctx: EventContext, c: dict[str, Any]) -> bool:
    key = c.get("key") or ""
    leaf = _leaf(f"contact.{key}", c.get("op") or "eq", c.get("value"))
    if leaf is None or ctx.contact is None:
        return False
    return evaluate(leaf, EvalContext(definition=_EMPTY_DEFINITION, contact=ctx.contact_attributes))


condition_register(
    ConditionType(
        "contact_attribute",
        gettext_lazy("Contact attribute"),
        (
            Param("key", gettext_lazy("Attribute"), "attribute", required=True),
            Param("op", gettext_lazy("Operator"), "choice", default="eq", choices=_answer_ops),
            Param("value", gettext_lazy("Value"), "text"),
        ),
        _contact_attribute,
        lambda c: (
            _("contact %(key)s %(op)s %(value)s")
            % {"key": c.get("key"), "op": _op_text(c.get("op") or "eq"), "value": _value_text(c)}
        ),
        subjects=CONTACT_SUBJECTS,
    )
)


def _segment(ctx: EventContext, c: dict[str, Any]) -> bool:
    inside = ctx.in_segment(str(c.get("value") or ""))
    return inside if (c.get("op") or "in") == "in" else not inside


condition_register(
    ConditionType(
        "segment",
        gettext_lazy("Contact in segment"),
        (
            Param("value", gettext_lazy("Segment"), "segment", required=True),
            Param("op", gettext_lazy("Operator"), "choice", default="in", choices=_segment_ops),
        ),
        _segment,
        lambda c: (
            _("contact is in the segment")
            if (c.get("op") or "in") == "in"
            else _("contact is not in the segment")
        ),
        subjects=CONTACT_SUBJECTS,
    )
)


# --- case fields ------------------------------------------------------------------------------


def _case_tags(case: Any) -> list[str]:
    tags = getattr(case, "tags", None)
    if tags is None:
        return []
    if isinstance(tags, list | tuple):
        return [str(t) for t in tags]
    if hasattr(tags, "all"):
        return [str(getattr(t, "name", t)) for t in tags.all()]
    return []


condition_register(
    ConditionType(
        "case_team",
        gettext_lazy("Case team"),
        (Param("value", gettext_lazy("Teams"), "teams", required=True),),
        lambda ctx, c: ctx.case is not None and _in_list(c.get("value"), ctx.case.team_id),
        lambda c: _("the case belongs to one of %(n)s teams") % {"n": len(c.get("value") or [])},
        subjects=CASE_SUBJECTS,
    )
)
condition_register(
    ConditionType(
        "case_priority",
        gettext_lazy("Case priority"),
        (
            Param(
                "value",
                gettext_lazy("Priorities"),
                "choices",
                required=True,
                choices=_case_priorities,
            ),
        ),
        lambda ctx, c: (
            ctx.case is not None and _in_list(c.get("value"), getattr(ctx.case, "priority", ""))
        ),
        lambda c: _("case priority is %(values)s") % {"values": ", ".join(c.get("value") or [])},
        subjects=CASE_SUBJECTS,
    )
)
condition_register(
    ConditionType(
        "case_status",
        gettext_lazy("Case status"),
        (
            Param(
                "value", gettext_lazy("Statuses"), "choices", required=True, choices=case_statuses
            ),
        ),
        lambda ctx, c: (
            ctx.case is not None and _in_list(c.get("value"), getattr(ctx.case, "status", ""))
        ),
        lambda c: _("case status is %(values)s") % {"values": ", ".join(c.get("value") or [])},
        subjects=CASE_SUBJECTS,
    )
)
condition_register(
    ConditionType(
        "case_tag",
        gettext_lazy("Case tag"),
        (Param("value", gettext_lazy("Any of these tags"), "words", required=True),),
        lambda ctx, c: (
            ctx.case is not None
            and bool(
                {t.casefold() for t in _case_tags(ctx.case)}
                & {v.casefold() for v in c.get("value") or []}
            )
        ),
        lambda c: _("the case is tagged %(values)s") % {"values": ", ".join(c.get("value") or [])},
        subjects=CASE_SUBJECTS,
    )
)


# --- what the response's comments say (the text app) ------------------------------------------


def _text_condition(name: str) -> Callable[[EventContext, dict[str, Any]], bool]:
    """Evaluated by closeloop.text, which enriches the response's comments first if the
    enrichment task has not run yet (see text/automation_conditions.py)."""

    def evaluate(ctx: EventContext, c: dict[str, Any]) -> bool:
        from closeloop.text.automation_conditions import condition_holds as text_holds

        return text_holds(name, ctx, c)

    evaluate.__name__ = f"_text_{name}"
    return evaluate


def _sentiments() -> list[tuple[str, str]]:
    return [
        ("negative", _("Negative")),
        ("mixed", _("Mixed")),
        ("neutral", _("Neutral")),
        ("positive", _("Positive")),
    ]


condition_register(
    ConditionType(
        "sentiment",
        gettext_lazy("Comment sentiment"),
        (
            Param(
                "value",
                gettext_lazy("Sentiment"),
                "choices",
                required=True,
                choices=_sentiments,
                help=gettext_lazy("Holds when any open answer of the response has it."),
            ),
        ),
        _text_condition("sentiment"),
        lambda c: (
            _("a comment's sentiment is %(values)s")
            % {
                "values": _(" or ").join(
                    dict(_sentiments()).get(v, v) for v in c.get("value") or []
                )
            }
        ),
        selective=True,
    )
)
condition_register(
    ConditionType(
        "theme",
        gettext_lazy("Comment mentions a theme"),
        (
            Param(
                "value",
                gettext_lazy("Themes"),
                "words",
                required=True,
                help=gettext_lazy(
                    "Theme keys or names in any language, e.g. billing or 결제; "
                    "one per line or separated by commas."
                ),
                extra={"references": "theme"},
            ),
        ),
        _text_condition("theme"),
        lambda c: (
            _("a comment is about %(themes)s")
            % {"themes": _(" or ").join(f"“{w}”" for w in c.get("value") or [])}
        ),
    )
)


def enabled_conditions(subject: str | None = None) -> list[ConditionType]:
    """The condition types the builder offers (for a trigger's subject, if given)."""
    return [
        c for c in CONDITIONS.values() if c.enabled and (subject is None or subject in c.subjects)
    ]


def describe(condition: dict[str, Any]) -> str:
    """A condition as a sentence for lists and the run log."""
    kind = CONDITIONS.get(str(condition.get("type")))
    if kind is None:
        return _("unknown condition %(type)s") % {"type": condition.get("type")}
    try:
        return kind.describe(condition)
    except Exception:  # a hand-edited condition must not break a page
        return str(kind.label)


def condition_holds(ctx: EventContext, condition: dict[str, Any]) -> bool:
    """Whether one condition holds; an unknown or disabled type never does."""
    kind = CONDITIONS.get(str(condition.get("type")))
    if kind is None or not kind.enabled:
        return False
    return bool(kind.evaluate(ctx, condition))


def evaluate_conditions(
    ctx: EventContext, conditions: dict[str, Any], *, full: bool = True
) -> tuple[bool, list[dict[str, Any]]]:
    """(matched, results). Each result is {"type", "held", "condition"}: the condition itself is
    kept so the run log can word it in the reader's language. With `full` every condition is
    reported; otherwise evaluation stops as soon as the outcome is known and only what decided
    it is reported (the failing condition of an 'all' rule), which keeps the log of rules that
    did not match light."""
    items = conditions.get("rules") or []
    any_mode = conditions.get("match") == "any"
    if not items:
        return True, []
    results: list[dict[str, Any]] = []
    failing: list[dict[str, Any]] = []
    matched = not any_mode
    for condition in items:
        held = condition_holds(ctx, condition)
        entry = {"type": condition.get("type"), "held": held, "condition": condition}
        results.append(entry)
        if not held:
            failing.append(entry)
        if any_mode and held:
            matched = True
            if not full:
                break
        if not any_mode and not held:
            matched = False
            if not full:
                break
    if matched or full:
        return matched, results
    return matched, failing[:1] if not any_mode else failing


def with_labels(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Condition results worded for people, in the active language."""
    out = []
    for result in results or []:
        condition = result.get("condition")
        label = describe(condition) if isinstance(condition, dict) else result.get("label", "")
        out.append({"type": result.get("type"), "label": label, "held": bool(result.get("held"))})
    return out


SCORE_QUESTION_TYPES = ("nps", "csat", "ces", "rating")


def selective_indexes(conditions: dict[str, Any], score_keys: set[str]) -> list[int]:
    """Where the conditions pick customers by how happy they are: a score range, an NPS
    category, CSAT satisfaction, sentiment, or any answer's value of a score question (whose
    keys are `score_keys`). Review invitations may not depend on them (review gating)."""
    found: list[int] = []
    for n, condition in enumerate(conditions.get("rules") or []):
        kind = CONDITIONS.get(str(condition.get("type")))
        if kind is None:
            continue
        if kind.selective or (kind.name == "answer" and condition.get("key") in score_keys):
            found.append(n)
    return found
