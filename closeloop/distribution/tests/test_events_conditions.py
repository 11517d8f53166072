"""Trigger conditions on event properties, contact attributes and contact fields."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.core.errors import DomainError
from closeloop.distribution.conditions import conditions_evaluate, validate_conditions

CONTEXT: dict[str, Any] = {
    "properties": {"total": 42000, "items": ["mug", "beans"], "city": "Seoul",
                   "paid_at": "2026-03-01T10:00:00+09:00", "order": {"channel": "app"}},
    "attribute": {"plan": "gold", "vip": True, "visits": "7"},
    "contact": {"language": "ko", "kind": "customer"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("properties.total", "eq", "42000", True),
        ("properties.total", "ne", 42000, False),
        ("properties.total", "lt", 50000, True),
        ("properties.total", "lte", "42000", True),
        ("properties.total", "gt", "30,000", True),
        ("properties.total", "gte", 42001, False),
        ("properties.city", "eq", "seoul", True),
        ("properties.city", "in", "Busan, Seoul", True),
        ("properties.city", "not_in", ["Busan"], True),
        ("properties.items", "contains", "beans", True),
        ("properties.city", "contains", "eou", True),
        ("properties.order.channel", "eq", "app", True),
        ("properties.paid_at", "gt", "2026-02-28T00:00:00Z", True),
        ("properties.coupon", "exists", None, False),
        ("properties.coupon", "not_exists", None, True),
        ("properties.coupon", "eq", "x", False),
        ("properties.coupon", "ne", "x", True),
        ("attribute.plan", "eq", "gold", True),
        ("attribute.vip", "eq", "true", True),
        ("attribute.visits", "gte", 5, True),
        ("contact.language", "in", ["ko", "th"], True),
        ("contact.kind", "eq", "employee", False),
    ],
)
def test_operators(field: str, op: str, value: Any, expected: bool) -> None:
    conditions = validate_conditions([{"field": field, "op": op, "value": value}])
    assert conditions_evaluate(conditions, CONTEXT).matched is expected


def test_all_reports_the_first_failing_row_and_any_needs_one() -> None:
    rows = [
        {"field": "properties.total", "op": "gt", "value": 1000},
        {"field": "attribute.plan", "op": "eq", "value": "basic"},
    ]
    result = conditions_evaluate(validate_conditions(rows), CONTEXT)
    assert not result.matched
    assert result.failed == {"field": "attribute.plan", "op": "eq", "value": "basic"}
    assert result.actual == "gold"
    assert conditions_evaluate(
        validate_conditions({"match": "any", "rules": rows}), CONTEXT
    ).matched
    assert conditions_evaluate(validate_conditions(None), CONTEXT).matched


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("x", "conditions"),
        ({"match": "most"}, "conditions.match"),
        ([{"field": "email", "op": "eq", "value": "x"}], "conditions.rules[0].field"),
        ([{"field": "properties.a", "op": "like", "value": "x"}], "conditions.rules[0].op"),
        ([{"field": "properties.a", "op": "in", "value": ""}], "conditions.rules[0].value"),
        ([{"field": "properties.a", "op": "eq", "value": {"x": 1}}], "conditions.rules[0].value"),
    ],
)
def test_invalid_conditions_name_the_row(raw: Any, field: str) -> None:
    with pytest.raises(DomainError) as error:
        validate_conditions(raw)
    assert error.value.field == field
