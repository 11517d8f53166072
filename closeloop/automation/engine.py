"""The rule engine: for one event, evaluate the organization's active rules for its trigger in
order, log a run for each, and run the actions of those that match.

Runs are keyed by (rule, event key): the task that calls `event_run` may run again (a retry, a
worker restarted) and rules already logged for the event are skipped. A matching rule's run
row, its actions' database writes and their outbox deliveries commit together, so a crash in
the middle leaves either all of it or none (and the rerun does it then).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.automation.actions import ACTIONS, RunState, run_action
from closeloop.automation.actions import describe as describe_action
from closeloop.automation.choices import ActionStatus
from closeloop.automation.conditions import evaluate_conditions
from closeloop.automation.context import EventContext, contexts_for_responses, load_context
from closeloop.automation.models import Rule, RuleRun

logger = logging.getLogger("closeloop.automation")

PREVIEW_SIZE = 100
# The log of rules that did not match is kept this long (matched runs are kept).
UNMATCHED_KEEP_DAYS = 30


def active_rules(*, organization: Any, trigger: str) -> list[Rule]:
    """The organization's active rules for a trigger, in evaluation order."""
    return list(
        Rule.objects.filter(organization=organization, trigger=trigger, is_active=True).order_by(
            "position", "created_at"
        )
    )


@dataclass(frozen=True)
class CompiledRule:
    """What evaluation needs of a rule, without a model instance per rule per event."""

    pk: Any
    conditions: dict[str, Any]
    stop_processing: bool


# (organization id, trigger) -> (stamp, rules). The stamp (how many active rules and when the
# last one changed) is one cheap query per event, so every process sees edits at once.
_COMPILED: dict[tuple[str, str], tuple[tuple[Any, ...], list[CompiledRule]]] = {}
_COMPILED_MAX = 512


def compiled_rules(*, organization_id: Any, trigger: str) -> list[CompiledRule]:
    """The active rules of a trigger in order, cached per process until one changes."""
    qs = Rule.objects.filter(organization_id=organization_id, trigger=trigger, is_active=True)
    stamp_row = qs.aggregate(n=Count("id"), changed=Max("updated_at"))
    stamp = (stamp_row["n"], stamp_row["changed"])
    key = (str(organization_id), trigger)
    cached = _COMPILED.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rules = [
        CompiledRule(pk, conditions or {}, stop)
        for pk, conditions, stop in qs.order_by("position", "created_at").values_list(
            "pk", "conditions", "stop_processing"
        )
    ]
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[key] = (stamp, rules)
    return rules


def _log_unmatched() -> bool:
    return bool(getattr(settings, "AUTOMATION_LOG_UNMATCHED", True))


def _run_actions(rule: Rule, ctx: EventContext) -> list[dict[str, Any]]:
    state = RunState(rule=rule, ctx=ctx)
    results: list[dict[str, Any]] = []
    blocked: str | None = None
    for index, action in enumerate(rule.actions or []):
        state.index = index
        kind = str(action.get("type"))
        label = describe_action(action)
        if blocked is not None:
            results.append(
                {"index": index, "type": kind, "label": label,
                 "status": ActionStatus.SKIPPED, "detail": blocked}
            )  # fmt: skip
            continue
        savepoint = transaction.savepoint_create()
        result = run_action(state, action)
        if result.status == ActionStatus.FAILED:
            transaction.savepoint_rollback(savepoint)
            if kind == "create_case":
                blocked = _("Skipped because the case could not be created.")
        else:
            transaction.savepoint_commit(savepoint)
        results.append(
            {"index": index, "type": kind, "label": label, "status": str(result.status),
             "detail": result.detail, **({"data": result.data} if result.data else {})}
        )  # fmt: skip
    return results


def _run_matched(rule: Rule, ctx: EventContext, conditions: list[dict[str, Any]]) -> RuleRun | None:
    try:
        with transaction.atomic():
            run = RuleRun.objects.create(
                organization=ctx.organization,
                rule=rule,
                event=ctx.trigger,
                event_key=ctx.event_key,
                subject_type=ctx.subject_type,
                subject_id=ctx.subject_id,
                matched=True,
                condition_results=conditions,
            )
            run.action_results = _run_actions(rule, ctx)
            run.failed = any(r["status"] == ActionStatus.FAILED for r in run.action_results)
            run.save(update_fields=["action_results", "failed", "updated_at"])
    except IntegrityError:
        # Another worker ran this rule for this event at the same moment; its run stands.
        return None
    return run


def rules_run(ctx: EventContext, rules: list[CompiledRule] | list[Rule]) -> list[RuleRun]:
    """Evaluate the rules in order against one event's context and run what matches."""
    # By key alone, so the unique (event_key, rule) index answers it whatever the log's size.
    done = dict(RuleRun.objects.filter(event_key=ctx.event_key).values_list("rule_id", "matched"))
    runs: list[RuleRun] = []
    unmatched: list[RuleRun] = []
    log_unmatched = _log_unmatched()
    not_matched = 0
    with translation.override(ctx.organization.default_language):
        for compiled in rules:
            if compiled.pk in done:
                if done[compiled.pk] and compiled.stop_processing:
                    break
                continue
            matched, results = evaluate_conditions(ctx, compiled.conditions or {}, full=False)
            if not matched:
                not_matched += 1
                if log_unmatched:
                    unmatched.append(
                        RuleRun(
                            organization=ctx.organization, rule_id=compiled.pk,
                            event=ctx.trigger, event_key=ctx.event_key,
                            subject_type=ctx.subject_type, subject_id=ctx.subject_id,
                            matched=False, condition_results=results,
                        )
                    )  # fmt: skip
                continue
            rule = compiled if isinstance(compiled, Rule) else Rule.objects.get(pk=compiled.pk)
            run = _run_matched(rule, ctx, results)
            if run is not None:
                runs.append(run)
            if compiled.stop_processing:
                break
    if not log_unmatched and not_matched:
        # One compact row per event instead of one per rule (1,000 rules: 1 row, not 999).
        unmatched.append(
            RuleRun(
                organization=ctx.organization, rule=None, event=ctx.trigger,
                event_key=ctx.event_key, subject_type=ctx.subject_type,
                subject_id=ctx.subject_id, matched=False, unmatched_count=not_matched,
            )
        )  # fmt: skip
    if unmatched:
        RuleRun.objects.bulk_create(unmatched, ignore_conflicts=True)
    return runs + unmatched


def event_run(
    *,
    trigger: str,
    subject_type: str,
    subject_id: str,
    event_key: str,
    organization_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> list[RuleRun]:
    """Run the rules of one event (the task's body); safe to call again for the same event."""
    if organization_id is not None and not compiled_rules(
        organization_id=organization_id, trigger=trigger
    ):
        return []
    ctx = load_context(
        trigger=trigger,
        subject_type=subject_type,
        subject_id=subject_id,
        event_key=event_key,
        payload=payload or {},
    )
    if ctx is None:
        return []
    if ctx.response is not None and ctx.response.historical and subject_type == "response":
        return []  # imported history never triggers rules
    rules = compiled_rules(organization_id=ctx.organization.pk, trigger=trigger)
    if not rules:
        return []
    return rules_run(ctx, rules)


def runs_prune(*, days: int = UNMATCHED_KEEP_DAYS) -> int:
    """Delete the log of rules that did not match, after `days` days (matched runs stay)."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _details = RuleRun.objects.filter(matched=False, created_at__lt=cutoff).delete()
    return deleted


@dataclass
class PreviewMatch:
    """A response the conditions would have matched, and what held."""

    response: Any
    conditions: list[dict[str, Any]]


@dataclass
class Preview:
    """Of the last `total` responses, these would have matched."""

    total: int
    matches: list[PreviewMatch]


def conditions_preview(
    *, organization: Any, conditions: dict[str, Any], trigger: str, limit: int = PREVIEW_SIZE
) -> Preview:
    """Evaluate conditions only (no actions) against the organization's last completed
    responses: 3 queries whatever the number of responses."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import Response

    responses = list(
        Response.objects.select_related("survey", "version", "organization")
        # Imported history never runs rules, so it is not previewed either.
        .filter(organization=organization, status=ResponseStatus.COMPLETE, historical=False)
        .order_by("-completed_at")[:limit]
    )
    matches: list[PreviewMatch] = []
    for ctx in contexts_for_responses(responses, trigger=trigger):
        matched, results = evaluate_conditions(ctx, conditions, full=True)
        if matched:
            matches.append(PreviewMatch(ctx.response, results))
    return Preview(total=len(responses), matches=matches)


__all__ = [
    "ACTIONS",
    "Preview",
    "PreviewMatch",
    "compiled_rules",
    "conditions_preview",
    "event_run",
    "rules_run",
    "runs_prune",
]
