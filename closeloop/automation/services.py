"""Writes for automation: rules (validated conditions and actions), their order and state, and
the default rules every organization starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.automation.actions import ACTIONS, review_gating_index, review_gating_message
from closeloop.automation.choices import TRIGGERS, AssigneeStrategy, MatchMode, Priority
from closeloop.automation.conditions import CONDITIONS
from closeloop.automation.models import AutomationSetup, Rule
from closeloop.automation.params import (
    SECRET_KINDS,
    Param,
    check_references,
    clean_params,
    mask_secret,
)
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.integrations.webhooks import secret_generate

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User

MAX_CONDITIONS = 30
MAX_ACTIONS = 20


def _clean_trigger(trigger: str) -> str:
    if trigger not in TRIGGERS:
        raise DomainError(
            _("Unknown trigger %(trigger)s. Use one of: %(known)s.")
            % {"trigger": trigger, "known": ", ".join(TRIGGERS)},
            field="trigger",
        )
    return trigger


def clean_conditions(organization: Organization, trigger: str, conditions: Any) -> dict[str, Any]:
    """Conditions checked against the registry and the trigger, ids against the organization."""
    if conditions is None:
        conditions = {}
    if not isinstance(conditions, dict):
        raise DomainError(
            _("Conditions must be an object with match and rules."), field="conditions"
        )
    match = conditions.get("match") or MatchMode.ALL
    if match not in MatchMode.values:
        raise DomainError(_("Match must be all or any."), field="conditions.match")
    items = conditions.get("rules") or []
    if not isinstance(items, list):
        raise DomainError(_("Conditions' rules must be a list."), field="conditions.rules")
    if len(items) > MAX_CONDITIONS:
        raise DomainError(
            _("A rule can have at most %(n)s conditions.") % {"n": MAX_CONDITIONS},
            field="conditions.rules",
        )
    subject = TRIGGERS[trigger].subject
    cleaned: list[dict[str, Any]] = []
    refs: list[tuple[Param, Any, str]] = []
    for n, item in enumerate(items):
        where = f"conditions.rules[{n}]"
        if not isinstance(item, dict):
            raise DomainError(_("Each condition must be an object."), field=where)
        kind = CONDITIONS.get(str(item.get("type")))
        if kind is None or not kind.enabled:
            raise DomainError(
                _("Unknown condition type %(type)s.") % {"type": item.get("type")},
                field=f"{where}.type",
            )
        if subject not in kind.subjects:
            raise DomainError(
                _("“%(condition)s” does not apply to “%(trigger)s”.")
                % {"condition": kind.label, "trigger": TRIGGERS[trigger].label},
                field=f"{where}.type",
            )
        params = clean_params(kind.params, item, where=where)
        if kind.name == "score":
            low, high = params.get("min"), params.get("max")
            if low is None and high is None:
                raise DomainError(_("Give a lowest or a highest score."), field=f"{where}.min")
            if low is not None and high is not None and low > high:
                raise DomainError(_("From is larger than To."), field=f"{where}.min")
            if params.get("points"):
                params["points"] = int(params["points"])
        if kind.name in ("answer", "contact_attribute"):
            op = params.get("op") or "eq"
            if op not in ("answered", "not_answered") and params.get("value") in ("", None):
                raise DomainError(_("Give a value to compare with."), field=f"{where}.value")
        for p in kind.params:
            refs.append((p, params.get(p.name), f"{where}.{p.name}"))
        cleaned.append(
            {"type": kind.name, **{k: v for k, v in params.items() if v not in ("", None, [])}}
        )
    check_references(organization, refs)
    return {"match": match, "rules": cleaned}


def _unmask(action_type: str, params: dict[str, Any], previous: list[dict[str, Any]]) -> None:
    """A secret shown masked and sent back unchanged keeps its stored value."""
    kind = ACTIONS[action_type]
    for p in kind.params:
        if p.kind not in SECRET_KINDS:
            continue
        value = params.get(p.name)
        if not isinstance(value, str) or "…" not in value:
            continue
        for old in previous:
            if old.get("type") != action_type:
                continue
            stored = (old.get("params") or {}).get(p.name) or ""
            if stored and mask_secret(stored) == value:
                params[p.name] = stored
                break
        else:
            raise DomainError(
                _("Paste the full value again: the shortened one cannot be used."),
                field=p.name,
            )


def clean_actions(
    organization: Organization,
    trigger: str,
    actions: Any,
    *,
    previous: list[dict[str, Any]] | None = None,
    revealed: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Actions checked against the registry and the trigger; masked secrets restored; a
    webhook action without a signing secret gets a new one (appended to `revealed`)."""
    if actions is None:
        return []
    if not isinstance(actions, list):
        raise DomainError(_("Actions must be a list."), field="actions")
    if len(actions) > MAX_ACTIONS:
        raise DomainError(
            _("A rule can have at most %(n)s actions.") % {"n": MAX_ACTIONS}, field="actions"
        )
    subject = TRIGGERS[trigger].subject
    cleaned: list[dict[str, Any]] = []
    refs: list[tuple[Param, Any, str]] = []
    for n, item in enumerate(actions):
        where = f"actions[{n}]"
        if not isinstance(item, dict):
            raise DomainError(_("Each action must be an object."), field=where)
        kind = ACTIONS.get(str(item.get("type")))
        if kind is None or not kind.enabled:
            raise DomainError(
                _("Unknown action type %(type)s.") % {"type": item.get("type")},
                field=f"{where}.type",
            )
        if subject not in kind.subjects:
            raise DomainError(
                _("“%(action)s” cannot follow “%(trigger)s”.")
                % {"action": kind.label, "trigger": TRIGGERS[trigger].label},
                field=f"{where}.type",
            )
        raw = dict(item.get("params") or {})
        try:
            _unmask(kind.name, raw, previous or [])
        except DomainError as exc:
            raise DomainError(exc.message, field=f"{where}.params.{exc.field}") from None
        params = clean_params(kind.params, raw, where=f"{where}.params")
        # Team members or leads need a team, unless a case created before gives one.
        needs_team = kind.name == "route_to_team" or (
            kind.name == "notify_email"
            and params.get("recipients") in ("members", "leads")
            and not any(a.get("type") == "create_case" for a in cleaned)
        )
        if needs_team and not params.get("team"):
            raise DomainError(_("Choose a team."), field=f"{where}.params.team")
        if (
            kind.name == "notify_email"
            and params.get("recipients") == "addresses"
            and not params.get("addresses")
        ):
            raise DomainError(_("Give at least one address."), field=f"{where}.params.addresses")
        if kind.name == "webhook" and not params.get("secret"):
            # Every call is signed: a secret is made here and shown once.
            params["secret"] = secret_generate()
            if revealed is not None:
                revealed.append({"action": n, "field": f"{where}.params.secret",
                                 "secret": params["secret"]})  # fmt: skip
        for p in kind.params:
            refs.append((p, params.get(p.name), f"{where}.params.{p.name}"))
        cleaned.append({"type": kind.name, "params": params})
    check_references(organization, refs)
    return cleaned


def check_review_gating(
    organization: Organization, conditions: dict[str, Any], actions: list[dict[str, Any]]
) -> None:
    """Refuse a rule that sends review invitations only to some scores (review gating),
    unless the organization chose promoters only and acknowledged the warning."""
    if not any(a.get("type") == "send_review_invitation" for a in actions):
        return
    index = review_gating_index(organization, conditions)
    if index is not None:
        raise DomainError(
            review_gating_message(), field=f"conditions.rules[{index}].type", code="review-gating"
        )


def _next_position(organization: Organization) -> int:
    top = Rule.objects.filter(organization=organization).aggregate(m=Max("position"))["m"]
    return 0 if top is None else top + 1


def rule_create(
    *,
    organization: Organization,
    name: str,
    trigger: str,
    conditions: dict[str, Any] | None = None,
    actions: list[dict[str, Any]] | None = None,
    description: str = "",
    is_active: bool = True,
    stop_processing: bool = False,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    default_key: str = "",
) -> Rule:
    """Create a rule at the end of the order, with validated conditions and actions."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the rule a name."), field="name")
    trigger = _clean_trigger(trigger)
    revealed: list[dict[str, Any]] = []
    cleaned_conditions = clean_conditions(organization, trigger, conditions)
    cleaned_actions = clean_actions(organization, trigger, actions, revealed=revealed)
    check_review_gating(organization, cleaned_conditions, cleaned_actions)
    rule = Rule.objects.create(
        organization=organization,
        name=name[:200],
        description=(description or "").strip(),
        trigger=trigger,
        conditions=cleaned_conditions,
        actions=cleaned_actions,
        is_active=is_active,
        stop_processing=stop_processing,
        position=_next_position(organization),
        created_by=actor,
        default_key=default_key,
    )
    rule.revealed_secrets = revealed
    activity_record(
        organization=organization, actor=actor, api_key=api_key, verb="rule.created", target=rule
    )
    return rule


_UNSET: Any = object()


def rule_update(
    *,
    rule: Rule,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    name: str | None = None,
    description: str | None = None,
    trigger: str | None = None,
    conditions: dict[str, Any] | None = None,
    actions: list[dict[str, Any]] | None = None,
    is_active: bool | None = None,
    stop_processing: bool | None = None,
) -> Rule:
    """Change a rule; what is left out stays. Conditions and actions are checked against the
    (new) trigger; secrets sent back shortened keep their stored value. Nothing changes, not
    even in memory, when a value is refused."""
    org = rule.organization
    new: dict[str, Any] = {}
    revealed: list[dict[str, Any]] = []
    if name is not None:
        if not name.strip():
            raise DomainError(_("Give the rule a name."), field="name")
        new["name"] = name.strip()[:200]
    if description is not None:
        new["description"] = description.strip()
    if trigger is not None and trigger != rule.trigger:
        new["trigger"] = _clean_trigger(trigger)
    new_trigger = new.get("trigger", rule.trigger)
    if conditions is not None or "trigger" in new:
        new["conditions"] = clean_conditions(
            org, new_trigger, conditions if conditions is not None else rule.conditions
        )
    if actions is not None or "trigger" in new:
        new["actions"] = clean_actions(
            org,
            new_trigger,
            actions if actions is not None else rule.actions,
            previous=list(rule.actions or []),
            revealed=revealed,
        )
    if is_active is not None:
        new["is_active"] = is_active
    if stop_processing is not None:
        new["stop_processing"] = stop_processing
    turned_on = bool(is_active) and not rule.is_active
    if "conditions" in new or "actions" in new or turned_on:
        # Switching a rule off, or renaming it, is always allowed.
        check_review_gating(
            org,
            new.get("conditions", rule.conditions) or {},
            list(new.get("actions", rule.actions) or []),
        )
    for field, value in new.items():
        setattr(rule, field, value)
    rule.revealed_secrets = revealed
    changed = list(new)
    if changed:
        rule.save(update_fields=[*changed, "updated_at"])
        activity_record(
            organization=org,
            actor=actor,
            api_key=api_key,
            verb="rule.updated",
            target=rule,
            data={"fields": changed},
        )
    return rule


def rule_set_active(
    *, rule: Rule, is_active: bool, actor: User | None = None, api_key: ApiKey | None = None
) -> Rule:
    """Switch a rule on or off."""
    return rule_update(rule=rule, is_active=is_active, actor=actor, api_key=api_key)


def rule_delete(*, rule: Rule, actor: User | None = None, api_key: ApiKey | None = None) -> None:
    """Delete a rule and its run log (tags and team routing it made stay)."""
    activity_record(
        organization=rule.organization,
        actor=actor,
        api_key=api_key,
        verb="rule.deleted",
        target=rule,
    )
    rule.delete()


@transaction.atomic
def rule_move(*, rule: Rule, direction: str, actor: User | None = None) -> Rule:
    """Move a rule one place up or down among the rules of its trigger (evaluation order)."""
    siblings = list(
        Rule.objects.select_for_update()
        .filter(organization=rule.organization)
        .order_by("position", "created_at")
    )
    same = [r for r in siblings if r.trigger == rule.trigger]
    index = next(i for i, r in enumerate(same) if r.pk == rule.pk)
    target = index - 1 if direction == "up" else index + 1
    if target < 0 or target >= len(same):
        return rule
    a, b = same[index], same[target]
    ia, ib = siblings.index(a), siblings.index(b)
    siblings[ia], siblings[ib] = b, a
    now = timezone.now()  # updated_at changes too: the engine's cache of rules sees the move
    for position, r in enumerate(siblings):
        if r.position != position:
            Rule.objects.filter(pk=r.pk).update(position=position, updated_at=now)
    rule.refresh_from_db()
    activity_record(
        organization=rule.organization,
        actor=actor,
        verb="rule.moved",
        target=rule,
        data={"direction": direction},
    )
    return rule


# --- defaults ---------------------------------------------------------------------------------

DEFAULT_REVIEWS = "default_review_invitations"
DEFAULT_DETRACTORS = "default_detractors"
DEFAULT_CSAT = "default_unhappy_csat"


def _default_rules(support_id: str | None) -> list[dict[str, Any]]:
    """In evaluation order. The case rules do not stop the rules below them (that would keep
    every rule the organization adds later from running for unhappy customers): a response
    that both would match gets one case, because creating a case skips a response that
    already has an open one."""
    team = {"team": support_id} if support_id else {}
    return [
        {
            "default_key": DEFAULT_REVIEWS,
            "name": _("Everyone who completes a survey is offered a review"),
            "description": _(
                "Emails the organization's review links to every respondent who may be "
                "emailed, whatever their score; the wording changes with the score. Nothing "
                "is sent until a review site is offered under Reviews and advocates."
            ),
            "stop_processing": False,
            "conditions": {"match": "all", "rules": []},
            "actions": [{"type": "send_review_invitation", "params": {}}],
        },
        {
            "default_key": DEFAULT_DETRACTORS,
            "name": _("Detractors open a Support case"),
            "description": _(
                "Every NPS answer from 0 to 6 opens a high-priority case for Support, assigned "
                "round robin."
            ),
            "stop_processing": False,
            "conditions": {
                "match": "all",
                "rules": [{"type": "score", "metric": "nps", "min": 0, "max": 6}],
            },
            "actions": [
                {
                    "type": "create_case",
                    "params": {
                        **team,
                        "priority": Priority.HIGH,
                        "assignee_strategy": AssigneeStrategy.ROUND_ROBIN,
                        "title": "NPS {{nps}} from {{contact.name}}: {{first_comment}}",
                    },
                }
            ],
        },
        {
            "default_key": DEFAULT_CSAT,
            "name": _("Unhappy CSAT opens a Support case"),
            "description": _(
                "A CSAT answer below the middle of its scale (1-2 of 5, 1 of 3, 1-3 of 7, 1-5 "
                "of 10) opens a case for Support, unless the response already has one."
            ),
            "stop_processing": False,
            "conditions": {"match": "all", "rules": [{"type": "csat", "value": "dissatisfied"}]},
            "actions": [
                {
                    "type": "create_case",
                    "params": {
                        **team,
                        "priority": Priority.NORMAL,
                        "assignee_strategy": AssigneeStrategy.ROUND_ROBIN,
                        "title": "CSAT {{csat}} from {{contact.name}}: {{first_comment}}",
                    },
                }
            ],
        },
    ]


@transaction.atomic
def automation_ensure_defaults(organization: Organization) -> list[Rule]:
    """Install the default rules once per organization (a default the org deleted stays
    deleted); returns the rules created now."""
    from closeloop.accounts.models import Team

    setup, _created = AutomationSetup.objects.select_for_update().get_or_create(
        organization=organization
    )
    if setup.defaults_installed_at is not None:
        return []
    support = Team.objects.filter(organization=organization, slug="support").first()
    created: list[Rule] = []
    with translation.override(organization.default_language):
        for spec in _default_rules(str(support.pk) if support else None):
            if Rule.objects.filter(
                organization=organization, default_key=spec["default_key"]
            ).exists():
                continue
            created.append(
                rule_create(
                    organization=organization,
                    name=str(spec["name"]),
                    description=str(spec["description"]),
                    trigger="response.completed",
                    conditions=spec["conditions"],
                    actions=spec["actions"],
                    stop_processing=spec["stop_processing"],
                    default_key=spec["default_key"],
                )
            )
    setup.defaults_installed_at = timezone.now()
    setup.save(update_fields=["defaults_installed_at", "updated_at"])
    return created
