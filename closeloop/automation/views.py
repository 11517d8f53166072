"""Staff pages for automation: the rules list, the rule builder with its live preview, and the
run log. Reading needs VIEW; changing rules needs EDIT_SURVEYS (automation is configuration,
like surveys and distribution)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.automation import forms, selectors, services
from closeloop.automation.actions import describe as describe_action
from closeloop.automation.choices import TRIGGERS
from closeloop.automation.conditions import describe as describe_condition
from closeloop.automation.conditions import with_labels
from closeloop.automation.engine import PREVIEW_SIZE, conditions_preview
from closeloop.automation.models import Rule
from closeloop.core.errors import DomainError

RUNS_PER_PAGE = 50


def _org(request: HttpRequest) -> Organization:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _can_edit(request: HttpRequest) -> bool:
    return has_perm(request.membership.role, Perm.EDIT_SURVEYS)  # type: ignore[attr-defined]


def _summary(rule: Rule) -> dict[str, Any]:
    conditions = rule.conditions or {}
    joiner = _(" or ") if conditions.get("match") == "any" else _(" and ")
    return {
        "conditions": joiner.join(describe_condition(c) for c in conditions.get("rules") or [])
        or _("always"),
        "actions": ", ".join(describe_action(a) for a in rule.actions or []) or _("nothing"),
    }


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def rule_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    services.automation_ensure_defaults(org)
    groups: dict[str, dict[str, Any]] = {}
    for rule in selectors.rule_list(organization=org):
        trigger = TRIGGERS.get(rule.trigger)
        group = groups.setdefault(
            rule.trigger,
            {"label": trigger.label if trigger else rule.trigger, "rows": []},
        )
        group["rows"].append({"rule": rule, **_summary(rule)})
    for group in groups.values():
        rows = group["rows"]
        for n, row in enumerate(rows):
            row["first"], row["last"] = n == 0, n == len(rows) - 1
    return render(
        request,
        "automation/rule_list.html",
        {"groups": list(groups.values()), "can_edit": _can_edit(request)},
    )


def _secrets_key(rule: Rule) -> str:
    return f"automation-secrets-{rule.pk}"


def _builder(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    org = _org(request)
    error: DomainError | None = None
    if rule is not None:
        values: dict[str, Any] = {
            "name": rule.name,
            "description": rule.description,
            "trigger": rule.trigger,
            "is_active": rule.is_active,
            "stop_processing": rule.stop_processing,
            "conditions": rule.conditions,
            "actions": rule.actions,
        }
    else:
        values = {
            "name": "",
            "description": "",
            "trigger": request.GET.get("trigger") or "response.completed",
            "is_active": True,
            "stop_processing": False,
            "conditions": {"match": "all", "rules": []},
            "actions": [],
        }
    if request.method == "POST":
        values = forms.rule_from_form(request.POST)
        try:
            if rule is None:
                rule = services.rule_create(organization=org, actor=_user(request), **values)
            else:
                services.rule_update(rule=rule, actor=_user(request), **values)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Rule saved."))
            if rule.revealed_secrets:
                # Shown once, on the page this redirect leads to, then never again.
                request.session[_secrets_key(rule)] = [
                    {"action": int(str(r["action"])) + 1, "secret": r["secret"]}
                    for r in rule.revealed_secrets
                ]
            return redirect("automation:edit", org.slug, rule.pk)
    revealed = request.session.pop(_secrets_key(rule), []) if rule is not None else []
    context = forms.builder_context(org, values)
    context.update(
        {
            "rule": rule,
            "error": error,
            "revealed_secrets": revealed,
            "can_edit": _can_edit(request),
            "recent_runs": list(selectors.run_list(organization=org, rule=rule)[:10])
            if rule is not None
            else [],
        }
    )
    return render(request, "automation/rule_form.html", context, status=400 if error else 200)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def rule_new(request: HttpRequest) -> HttpResponse:
    return _builder(request, None)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def rule_edit(request: HttpRequest, automation_rule_id: Any) -> HttpResponse:
    rule = selectors.access_rule(organization=_org(request), pk=automation_rule_id)
    return _builder(request, rule)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def rule_delete(request: HttpRequest, automation_rule_id: Any) -> HttpResponse:
    org = _org(request)
    rule = selectors.access_rule(organization=org, pk=automation_rule_id)
    services.rule_delete(rule=rule, actor=_user(request))
    messages.success(request, _("Rule deleted."))
    return redirect("automation:list", org.slug)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def rule_move(request: HttpRequest, automation_rule_id: Any) -> HttpResponse:
    org = _org(request)
    rule = selectors.access_rule(organization=org, pk=automation_rule_id)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    services.rule_move(rule=rule, direction=direction, actor=_user(request))
    return redirect("automation:list", org.slug)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def rule_toggle(request: HttpRequest, automation_rule_id: Any) -> HttpResponse:
    org = _org(request)
    rule = selectors.access_rule(organization=org, pk=automation_rule_id)
    services.rule_set_active(rule=rule, is_active=not rule.is_active, actor=_user(request))
    if rule.is_active:
        messages.success(request, _("“%(name)s” is on.") % {"name": rule.name})
    else:
        messages.success(request, _("“%(name)s” is off.") % {"name": rule.name})
    return redirect("automation:list", org.slug)


@org_view(read=Perm.VIEW)
def rule_preview(request: HttpRequest) -> HttpResponse:
    """The builder's live preview: which of the last 100 responses the conditions as typed
    would have matched (conditions only, nothing runs)."""
    org = _org(request)
    trigger = request.GET.get("trigger") or "response.completed"
    context: dict[str, Any] = {"size": PREVIEW_SIZE}
    if trigger not in TRIGGERS or TRIGGERS[trigger].subject != "response":
        context["unsupported"] = True
        return render(request, "automation/_preview.html", context)
    try:
        conditions = services.clean_conditions(
            org, trigger, forms.conditions_from_form(request.GET)
        )
    except DomainError as exc:
        context["error"] = exc
        return render(request, "automation/_preview.html", context)
    preview = conditions_preview(organization=org, conditions=conditions, trigger=trigger)
    rows = []
    for match in preview.matches[:50]:
        response = match.response
        rows.append({"response": response, "conditions": with_labels(match.conditions)})
    context.update({"total": preview.total, "count": len(preview.matches), "rows": rows})
    return render(request, "automation/_preview.html", context)


def _row_request(request: HttpRequest, letter: str) -> tuple[int, str, str | None]:
    try:
        n = int(request.GET.get("n", "0"))
    except ValueError:
        n = 0
    if request.GET.get("add"):
        used = [
            int(k.split("-")[1])
            for k in request.GET
            if k.startswith(f"{letter}-") and k.endswith("-type") and k.split("-")[1].isdigit()
        ]
        n = max(used, default=-1) + 1
    n = max(0, min(n, forms.MAX_ROWS - 1))
    trigger = request.GET.get("trigger") or "response.completed"
    subject = TRIGGERS[trigger].subject.value if trigger in TRIGGERS else None
    return (
        n,
        request.GET.get(f"{letter}-{n}-type", "") if not request.GET.get("add") else "",
        subject,
    )


@org_view(read=Perm.EDIT_SURVEYS)
def condition_row(request: HttpRequest) -> HttpResponse:
    """One condition row with the inputs of the chosen type (htmx)."""
    n, kind, subject = _row_request(request, "c")
    options = forms.builder_options(_org(request))
    row = forms.condition_row(n, {"type": kind}, options, subject)
    return render(request, "automation/_condition_row.html", {"row": row, "can_edit": True})


@org_view(read=Perm.EDIT_SURVEYS)
def action_row(request: HttpRequest) -> HttpResponse:
    """One action row with the inputs of the chosen type (htmx)."""
    n, kind, subject = _row_request(request, "a")
    options = forms.builder_options(_org(request))
    row = forms.action_row(n, {"type": kind}, options, subject)
    return render(request, "automation/_action_row.html", {"row": row, "can_edit": True})


def _flag(value: str | None) -> bool | None:
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    return None


@org_view(read=Perm.VIEW)
def run_list(request: HttpRequest) -> HttpResponse:
    """The run log, org-wide or for one rule; filter by matched and failed actions."""
    org = _org(request)
    rule = None
    if request.GET.get("rule"):
        rule = selectors.access_rule(organization=org, pk=request.GET["rule"])
    matched = _flag(request.GET.get("matched"))
    failed = _flag(request.GET.get("failed"))
    runs = selectors.run_list(organization=org, rule=rule, matched=matched, failed=failed)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "automation/run_list.html",
        {
            "page": page,
            "rule": rule,
            "rules": list(selectors.rule_list(organization=org).values_list("pk", "name")),
            "matched": request.GET.get("matched", ""),
            "failed": request.GET.get("failed", ""),
        },
    )
