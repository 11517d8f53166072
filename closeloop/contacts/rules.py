"""Segment definitions: validating and normalising the rules a person or the API saves.

A definition is ``{"match": "all"|"any", "rules": [...]}`` where a rule is either a field rule
``{"field": "attribute.<key>"|"kind"|"language"|"email"|"unsubscribed", "op": ..., "value": ...}``
or a survey-history rule ``{"survey_history": ..., "survey": <uuid>|null, "within_days": 90}``.
selectors.segment_contacts turns a validated definition into ORM filters.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from closeloop.contacts.attributes import AttributeValueError, normalize
from closeloop.contacts.choices import (
    AttributeType,
    ContactKind,
    RuleOp,
    SegmentMatch,
    SurveyHistory,
)
from closeloop.core.errors import DomainError

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

MAX_RULES = 50
ATTRIBUTE_PREFIX = "attribute."
# The built-in fields a rule can test, with the type their values have.
FIELD_TYPES: dict[str, str] = {
    "kind": AttributeType.TEXT,
    "language": AttributeType.TEXT,
    "email": AttributeType.TEXT,
    "unsubscribed": AttributeType.BOOLEAN,
}
OPS_BY_TYPE: dict[str, frozenset[str]] = {
    AttributeType.TEXT: frozenset({"eq", "ne", "contains", "in", "is_set", "not_set"}),
    AttributeType.NUMBER: frozenset({"eq", "ne", "lt", "gt", "in", "is_set", "not_set"}),
    AttributeType.DATE: frozenset({"eq", "ne", "lt", "gt", "before", "after", "is_set", "not_set"}),
    AttributeType.BOOLEAN: frozenset({"eq", "ne", "is_set", "not_set"}),
}
VALUELESS_OPS = frozenset({RuleOp.IS_SET, RuleOp.NOT_SET})


class SegmentInvalid(DomainError):
    """A segment definition that cannot be used; `field` is the path of the rule at fault."""


def attribute_types(organization: Organization) -> dict[str, str]:
    from closeloop.contacts.models import AttributeDefinition

    return dict(
        AttributeDefinition.objects.filter(organization=organization).values_list("key", "type")
    )


def field_type(field: str, attr_types: dict[str, str]) -> str | None:
    """The value type of a rule's field, or None if there is no such field."""
    if field.startswith(ATTRIBUTE_PREFIX):
        return attr_types.get(field[len(ATTRIBUTE_PREFIX) :])
    return FIELD_TYPES.get(field)


def _value(field: str, attr_type: str, raw: Any, path: str) -> Any:
    try:
        value = normalize(attr_type, raw)
    except AttributeValueError as exc:
        raise SegmentInvalid(str(exc), field=path) from None
    if value is None:
        raise SegmentInvalid(_("Enter a value for this rule."), field=path)
    if field == "kind" and value not in ContactKind.values:
        raise SegmentInvalid(
            _("Kind is one of: %(kinds)s.") % {"kinds": ", ".join(ContactKind.values)},
            field=path,
        )
    if field in ("email", "language") and isinstance(value, str):
        value = value.lower()
    return value


def _field_rule(rule: dict[str, Any], path: str, attr_types: dict[str, str]) -> dict[str, Any]:
    field = str(rule.get("field") or "")
    attr_type = field_type(field, attr_types)
    if attr_type is None:
        raise SegmentInvalid(
            _("“%(field)s” is not a contact field or a defined attribute.") % {"field": field},
            field=f"{path}.field",
        )
    op = str(rule.get("op") or "eq")
    if field == "unsubscribed":
        allowed: frozenset[str] = frozenset({"eq"})
    else:
        allowed = OPS_BY_TYPE[attr_type]
    if op not in allowed:
        raise SegmentInvalid(
            _("“%(op)s” cannot be used with %(field)s; use one of: %(ops)s.")
            % {"op": op, "field": field, "ops": ", ".join(sorted(allowed))},
            field=f"{path}.op",
        )
    if op == "before":
        op = "lt"
    elif op == "after":
        op = "gt"
    value: Any = None
    if op == "in":
        raw = rule.get("value")
        items = raw if isinstance(raw, list) else str(raw or "").split(",")
        value = [_value(field, attr_type, item, f"{path}.value") for item in items if item != ""]
        if not value:
            raise SegmentInvalid(_("Enter at least one value."), field=f"{path}.value")
    elif op not in VALUELESS_OPS:
        value = _value(field, attr_type, rule.get("value"), f"{path}.value")
    return {"field": field, "op": op, "value": value}


def _history_rule(rule: dict[str, Any], path: str, organization: Organization) -> dict[str, Any]:
    from closeloop.surveys.models import Survey

    kind = str(rule.get("survey_history") or "")
    if kind not in SurveyHistory.values:
        raise SegmentInvalid(
            _("Survey history is one of: %(kinds)s.") % {"kinds": ", ".join(SurveyHistory.values)},
            field=f"{path}.survey_history",
        )
    survey_id: str | None = None
    if rule.get("survey"):
        try:
            survey_uuid = uuid.UUID(str(rule["survey"]))
        except ValueError:
            survey_uuid = None
        if (
            survey_uuid is None
            or not Survey.objects.filter(organization=organization, pk=survey_uuid).exists()
        ):
            raise SegmentInvalid(_("There is no such survey."), field=f"{path}.survey")
        survey_id = str(survey_uuid)
    within = rule.get("within_days")
    days: int | None = None
    if within not in (None, ""):
        try:
            days = int(within)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= 3650:
            raise SegmentInvalid(
                _("Within days is a whole number from 1 to 3650."), field=f"{path}.within_days"
            )
    result: dict[str, Any] = {"survey_history": kind, "survey": survey_id, "within_days": days}
    question_type = str(rule.get("question_type") or "")
    if question_type:
        result["question_type"] = question_type[:20]
    return result


def validate_definition(organization: Organization, data: Any) -> dict[str, Any]:
    """The definition, normalised (typed values), or SegmentInvalid naming the rule at fault."""
    if not isinstance(data, dict):
        raise SegmentInvalid(_("The definition must be an object."), field="definition")
    match = str(data.get("match") or SegmentMatch.ALL)
    if match not in SegmentMatch.values:
        raise SegmentInvalid(_("Match is “all” or “any”."), field="definition.match")
    rules = data.get("rules") or []
    if not isinstance(rules, list):
        raise SegmentInvalid(_("Rules must be a list."), field="definition.rules")
    if len(rules) > MAX_RULES:
        raise SegmentInvalid(
            _("A segment has at most %(max)d rules.") % {"max": MAX_RULES},
            field="definition.rules",
        )
    attr_types = attribute_types(organization)
    clean: list[dict[str, Any]] = []
    for index, rule in enumerate(rules):
        path = f"definition.rules[{index}]"
        if not isinstance(rule, dict):
            raise SegmentInvalid(_("Each rule must be an object."), field=path)
        if "survey_history" in rule:
            clean.append(_history_rule(rule, path, organization))
        else:
            clean.append(_field_rule(rule, path, attr_types))
    return {"match": match, "rules": clean}
