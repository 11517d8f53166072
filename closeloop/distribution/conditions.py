"""Trigger conditions: rows on an event's properties and the contact's attributes, matched all
or any. `validate_conditions` cleans what a user or the API sends; `conditions_evaluate` says
whether an event passes and, if not, which row failed."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.core.errors import DomainError

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from closeloop.contacts.models import Contact

# op -> label, in the order the builder lists them.
OPS: dict[str, Promise] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "exists": gettext_lazy("is set"),
    "not_exists": gettext_lazy("is not set"),
}
UNARY_OPS = frozenset({"exists", "not_exists"})
LIST_OPS = frozenset({"in", "not_in"})
CONTACT_FIELDS = ("contact.language", "contact.kind")
FIELD_RE = re.compile(r"^(properties|attribute)\.[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$")
MAX_RULES = 20
MATCHES = ("all", "any")

_MISSING = object()


class ConditionsInvalid(DomainError):
    """Conditions that cannot be saved; `field` names the row and part at fault."""


@dataclass(frozen=True)
class ConditionResult:
    """Whether an event passed the conditions; if not, the first row that failed and its value."""

    matched: bool
    failed: dict[str, Any] | None = None
    actual: Any = None


def _fail(path: str, message: str) -> ConditionsInvalid:
    return ConditionsInvalid(message, field=path, code="validation")


def split_list(value: Any) -> list[Any]:
    """A list value for in/not_in: a JSON list, or a comma-separated string."""
    if isinstance(value, list | tuple):
        return list(value)
    if value is None:
        return []
    return [part.strip() for part in str(value).split(",") if part.strip()]


def validate_conditions(raw: Any, *, path: str = "conditions") -> dict[str, Any]:
    """The cleaned {"match": "all"|"any", "rules": [...]}; a list of rows alone means "all"."""
    if raw is None or raw == {} or raw == []:
        return {"match": "all", "rules": []}
    if isinstance(raw, list):
        raw = {"match": "all", "rules": raw}
    if not isinstance(raw, Mapping):
        raise _fail(path, _("Conditions are an object with “match” and “rules”."))
    match = raw.get("match") or "all"
    if match not in MATCHES:
        raise _fail(f"{path}.match", _("Match is “all” or “any”."))
    rows = raw.get("rules") or []
    if not isinstance(rows, list):
        raise _fail(f"{path}.rules", _("Rules are a list of conditions."))
    if len(rows) > MAX_RULES:
        raise _fail(f"{path}.rules", _("Use at most %(max)d conditions.") % {"max": MAX_RULES})
    rules: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        where = f"{path}.rules[{index}]"
        if not isinstance(row, Mapping):
            raise _fail(where, _("Each condition is an object with field, op and value."))
        field = str(row.get("field") or "").strip()
        if not (FIELD_RE.match(field) or field in CONTACT_FIELDS):
            raise _fail(
                f"{where}.field",
                _("Use properties.<key>, attribute.<key>, contact.language or contact.kind."),
            )
        op = str(row.get("op") or "eq")
        if op not in OPS:
            raise _fail(
                f"{where}.op", _("The operator is one of: %(ops)s.") % {"ops": ", ".join(OPS)}
            )
        value = row.get("value")
        if op in UNARY_OPS:
            value = None
        elif op in LIST_OPS:
            value = split_list(value)
            if not value:
                raise _fail(f"{where}.value", _("Give at least one value."))
        elif value is None or (isinstance(value, str) and not value.strip()):
            raise _fail(f"{where}.value", _("Give a value to compare with."))
        elif isinstance(value, list | dict):
            raise _fail(f"{where}.value", _("Give a single value (a text, number or yes/no)."))
        elif isinstance(value, str):
            value = value.strip()
        rules.append({"field": field, "op": op, "value": value})
    return {"match": match, "rules": rules}


def condition_context(*, properties: Mapping[str, Any], contact: Contact | None) -> dict[str, Any]:
    """The values conditions can see: the event's properties and the contact's fields."""
    return {
        "properties": properties,
        "attribute": (contact.attributes or {}) if contact is not None else {},
        "contact": {
            "language": contact.language if contact is not None else "",
            "kind": contact.kind if contact is not None else "",
        },
    }


def resolve(field: str, context: Mapping[str, Any]) -> Any:
    """The value a field names in the context, or _MISSING (nested keys with dots)."""
    current: Any = context
    for part in field.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if not (isinstance(value, float) and math.isnan(value)) else None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    return None


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return _boolean(actual) is not None and _boolean(actual) == _boolean(expected)
    a_num, e_num = _number(actual), _number(expected)
    if (
        a_num is not None
        and e_num is not None
        and not (isinstance(actual, str) and isinstance(expected, str))
    ):
        return a_num == e_num
    return str(actual).strip().casefold() == str(expected).strip().casefold()


def _compare(actual: Any, expected: Any) -> int | None:
    """-1, 0 or 1 comparing numbers, then date-times, then ISO dates as text; None if neither."""
    a_num, e_num = _number(actual), _number(expected)
    if a_num is not None and e_num is not None:
        return (a_num > e_num) - (a_num < e_num)
    a_when, e_when = _when(actual), _when(expected)
    if a_when is not None and e_when is not None:
        return (a_when > e_when) - (a_when < e_when)
    if isinstance(actual, str) and isinstance(expected, str):
        a, e = actual.strip(), expected.strip()
        return (a > e) - (a < e)
    return None


def _present(value: Any) -> bool:
    return value is not _MISSING and value is not None and value != "" and value != []


def condition_holds(rule: Mapping[str, Any], context: Mapping[str, Any]) -> tuple[bool, Any]:
    """(whether one condition row holds, the value it looked at)."""
    op = rule["op"]
    value = rule.get("value")
    actual = resolve(rule["field"], context)
    shown = None if actual is _MISSING else actual
    if op == "exists":
        return _present(actual), shown
    if op == "not_exists":
        return not _present(actual), shown
    if actual is _MISSING or actual is None:
        # Only "is not" and "is none of" hold for a value that is not there.
        return op in {"ne", "not_in"}, shown
    if op == "eq":
        return _equal(actual, value), shown
    if op == "ne":
        return not _equal(actual, value), shown
    if op in LIST_OPS:
        found = any(_equal(actual, item) for item in split_list(value))
        return (found if op == "in" else not found), shown
    if op == "contains":
        if isinstance(actual, list | tuple):
            return any(_equal(item, value) for item in actual), shown
        return str(value).casefold() in str(actual).casefold(), shown
    order = _compare(actual, value)
    if order is None:
        return False, shown
    holds = {"lt": order < 0, "lte": order <= 0, "gt": order > 0, "gte": order >= 0}[op]
    return holds, shown


def conditions_evaluate(
    conditions: Mapping[str, Any], context: Mapping[str, Any]
) -> ConditionResult:
    """Whether the context passes the conditions (no rows: it does); the failing row if not."""
    rules: Sequence[Mapping[str, Any]] = conditions.get("rules") or []
    if not rules:
        return ConditionResult(matched=True)
    match_any = conditions.get("match") == "any"
    first_failure: tuple[Mapping[str, Any], Any] | None = None
    for rule in rules:
        holds, actual = condition_holds(rule, context)
        if holds and match_any:
            return ConditionResult(matched=True)
        if not holds:
            if not match_any:
                return ConditionResult(matched=False, failed=dict(rule), actual=actual)
            first_failure = first_failure or (rule, actual)
    if match_any:
        rule, actual = first_failure or (rules[0], None)
        return ConditionResult(matched=False, failed=dict(rule), actual=actual)
    return ConditionResult(matched=True)


def condition_label(rule: Mapping[str, Any]) -> str:
    """A condition as a person reads it: “properties.total at least 30000”."""
    op = rule.get("op", "")
    label = str(OPS.get(op, op))
    if op in UNARY_OPS:
        return f"{rule.get('field')} {label}"
    value = rule.get("value")
    shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return f"{rule.get('field')} {label} {shown}"
