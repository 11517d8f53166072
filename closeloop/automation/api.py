"""REST endpoints for automation rules, their preview and the run log."""
# No `from __future__ import annotations`: ninja reads the query parameters' types at import.

import uuid

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.api.auth import api_key, api_org
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.automation import selectors, services
from closeloop.automation.conditions import with_labels
from closeloop.automation.engine import conditions_preview
from closeloop.automation.models import Rule, RuleRun
from closeloop.automation.schemas import (
    PreviewIn,
    PreviewMatchOut,
    PreviewOut,
    RuleIn,
    RuleOut,
    RulePatch,
    RunOut,
)
from closeloop.automation.services import clean_conditions

router = Router(tags=["automation"])


def _rule(request: HttpRequest, rule_id: uuid.UUID) -> Rule:
    return selectors.access_rule(organization=api_org(request), pk=rule_id)


@router.get("/automation/rules", response=with_errors({200: list[RuleOut]}))
def rules_list(request: HttpRequest) -> list[Rule]:
    """The organization's rules in evaluation order (a short list: not paginated)."""
    return list(selectors.rule_list(organization=api_org(request)))


@router.post("/automation/rules", response=with_errors({201: RuleOut}, 400, 403, 422))
def rules_create(request: HttpRequest, payload: RuleIn) -> Status[Rule]:
    """Create a rule (write scope); a condition or action at fault is named in `field`."""
    rule = services.rule_create(
        organization=api_org(request),
        name=payload.name,
        description=payload.description,
        trigger=payload.trigger,
        conditions=payload.conditions.model_dump(),
        actions=[a.model_dump() for a in payload.actions],
        is_active=payload.is_active,
        stop_processing=payload.stop_processing,
        api_key=api_key(request),
    )
    return Status(201, rule)


@router.get("/automation/rules/{automation_rule_id}", response=with_errors({200: RuleOut}, 404))
def rules_detail(request: HttpRequest, automation_rule_id: uuid.UUID) -> Rule:
    """One rule."""
    return _rule(request, automation_rule_id)


@router.patch(
    "/automation/rules/{automation_rule_id}",
    response=with_errors({200: RuleOut}, 400, 403, 404, 422),
)
def rules_update(request: HttpRequest, automation_rule_id: uuid.UUID, payload: RulePatch) -> Rule:
    """Change a rule (write scope)."""
    rule = _rule(request, automation_rule_id)
    return services.rule_update(
        rule=rule,
        api_key=api_key(request),
        name=payload.name,
        description=payload.description,
        trigger=payload.trigger,
        conditions=payload.conditions.model_dump() if payload.conditions else None,
        actions=[a.model_dump() for a in payload.actions] if payload.actions is not None else None,
        is_active=payload.is_active,
        stop_processing=payload.stop_processing,
    )


@router.delete(
    "/automation/rules/{automation_rule_id}", response=with_errors({204: None}, 403, 404)
)
def rules_delete(request: HttpRequest, automation_rule_id: uuid.UUID) -> Status[None]:
    """Delete a rule and its run log (write scope)."""
    services.rule_delete(rule=_rule(request, automation_rule_id), api_key=api_key(request))
    return Status(204, None)


@router.post(
    "/automation/rules/{automation_rule_id}/preview",
    response=with_errors({200: PreviewOut}, 400, 403, 404, 422),
)
def rules_preview(
    request: HttpRequest, automation_rule_id: uuid.UUID, payload: PreviewIn | None = None
) -> PreviewOut:
    """Which of the last 100 completed responses the rule's conditions (or the ones given)
    would have matched; no action runs."""
    rule = _rule(request, automation_rule_id)
    org = api_org(request)
    conditions = rule.conditions
    if payload is not None and payload.conditions is not None:
        conditions = clean_conditions(org, rule.trigger, payload.conditions.model_dump())
    preview = conditions_preview(organization=org, conditions=conditions, trigger=rule.trigger)
    return PreviewOut(
        evaluated=preview.total,
        matched=len(preview.matches),
        matches=[
            PreviewMatchOut(
                response_id=m.response.pk,
                survey_id=m.response.survey_id,
                completed_at=m.response.completed_at,
                conditions=with_labels(m.conditions),
            )
            for m in preview.matches
        ],
    )


@router.get("/automation/runs", response=with_errors({200: list[RunOut]}, 400, 404, 422))
@paginate(CursorPagination)
def runs_list(
    request: HttpRequest,
    rule: uuid.UUID | None = None,
    matched: bool | None = None,
    failed: bool | None = None,
) -> QuerySet[RuleRun]:
    """The run log, oldest first; filter by rule, by matched, and by failed actions."""
    org = api_org(request)
    the_rule = selectors.access_rule(organization=org, pk=rule) if rule else None
    return selectors.run_list(organization=org, rule=the_rule, matched=matched, failed=failed)
