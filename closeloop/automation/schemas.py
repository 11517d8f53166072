"""API schemas for rules, previews and the run log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from closeloop.automation.models import Rule
from closeloop.automation.selectors import masked_actions

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

CONDITIONS_HELP = (
    '`{"match": "all"|"any", "rules": [{"type": "score", "metric": "nps", "min": 0, "max": 6}]}`. '
    "Types: score, nps_category, csat, answer, text_contains, language, touchpoint, survey, "
    "channel, contact_attribute, segment, case_team, case_priority, case_status, case_tag."
)
ACTIONS_HELP = (
    'Run in order: `[{"type": "create_case", "params": {"team": "<id>", "priority": "high"}}]`. '
    "Types: create_case, notify_email, slack, teams, webhook, email_respondent, add_tags, "
    "route_to_team, send_review_invitation. Webhook URLs and secrets are shown shortened; send "
    "a shortened value back unchanged to keep the stored one. A webhook action without a "
    "`secret` gets one made, returned once in `revealed_secrets`. A rule that sends review "
    "invitations may not have score conditions unless the organization chose promoters only."
)


class Conditions(Schema):
    """When a rule applies."""

    match: Literal["all", "any"] = "all"
    rules: list[dict[str, Any]] = Field(default_factory=list)


class Action(Schema):
    """One step of a rule."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)


class RevealedSecret(Schema):
    """A signing secret made for a webhook action, shown once."""

    action: int = Field(description="Index of the action in `actions`.")
    field: str
    secret: str


class RuleOut(Schema):
    """An automation rule."""

    id: uuid.UUID
    name: str
    description: str
    trigger: str
    conditions: Conditions = Field(description=CONDITIONS_HELP)
    actions: list[Action] = Field(description=ACTIONS_HELP)
    is_active: bool
    position: int = Field(description="Evaluation order among the rules, 0 first.")
    stop_processing: bool = Field(
        description="When this rule matches, the rules below it do not run for that event."
    )
    revealed_secrets: list[RevealedSecret] = Field(
        default_factory=list,
        description="Signing secrets this request made for webhook actions; shown only in "
        "this answer, shortened afterwards.",
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_actions(obj: Rule) -> list[dict[str, Any]]:
        return masked_actions(obj.actions)

    @staticmethod
    def resolve_revealed_secrets(obj: Rule) -> list[dict[str, Any]]:
        return list(getattr(obj, "revealed_secrets", None) or [])


class RuleIn(Schema):
    """A new rule (added after the existing ones)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: str = ""
    trigger: str = Field(
        "response.completed",
        description="response.completed, case.created, case.changed, case.reopened, "
        "case.sla_breached or contact.unsubscribed.",
    )
    conditions: Conditions = Field(default_factory=Conditions, description=CONDITIONS_HELP)
    actions: list[Action] = Field(default_factory=list, description=ACTIONS_HELP)
    is_active: bool = True
    stop_processing: bool = False


class RulePatch(Schema):
    """Changes to a rule; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: str | None = None
    trigger: str | None = None
    conditions: Conditions | None = None
    actions: list[Action] | None = None
    is_active: bool | None = None
    stop_processing: bool | None = None


class PreviewIn(Schema):
    """Conditions to try instead of the rule's own (leave out to preview the saved ones)."""

    model_config = ConfigDict(extra="forbid")

    conditions: Conditions | None = None


class PreviewMatchOut(Schema):
    """A response that would have matched."""

    response_id: uuid.UUID
    survey_id: uuid.UUID
    completed_at: dt.datetime | None
    conditions: list[dict[str, Any]]


class PreviewOut(Schema):
    """Of the last `evaluated` completed responses, `matched` would have matched."""

    evaluated: int
    matched: int
    matches: list[PreviewMatchOut]


class RunOut(Schema):
    """One evaluation of a rule for one event."""

    id: uuid.UUID
    rule_id: uuid.UUID | None = Field(
        description="Empty on a summary row (AUTOMATION_LOG_UNMATCHED off): it counts the "
        "rules that did not match the event in `unmatched_count`."
    )
    rule_name: str
    unmatched_count: int
    event: str
    subject_type: str
    subject_id: str
    matched: bool
    failed: bool = Field(description="Whether an action failed.")
    conditions: list[dict[str, Any]] = Field(
        description="Each condition and whether it held (only the failing one when the rule "
        "did not match)."
    )
    actions: list[dict[str, Any]] = Field(
        description="Each action: status ok, failed or skipped, and what it did or why not."
    )
    created_at: dt.datetime

    @staticmethod
    def resolve_rule_name(obj: Any) -> str:
        return str(obj.rule.name) if obj.rule is not None else ""

    @staticmethod
    def resolve_conditions(obj: Any) -> list[dict[str, Any]]:
        return list(obj.conditions_display)

    @staticmethod
    def resolve_actions(obj: Any) -> list[dict[str, Any]]:
        return list(obj.action_results)
