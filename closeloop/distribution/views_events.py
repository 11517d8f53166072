"""Pages for event-triggered surveys: the events log, trigger rules, and the contact frequency
rules (mounted at /o/<org_slug>/events/)."""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.contacts.models import AttributeDefinition
from closeloop.distribution import events_selectors as selectors
from closeloop.distribution import events_services as services
from closeloop.distribution.choices import EventOutcome
from closeloop.distribution.conditions import CONTACT_FIELDS, condition_label
from closeloop.distribution.forms_events import (
    OP_CHOICES,
    FrequencyPolicyForm,
    SurveyChoiceForm,
    TriggerRuleForm,
    condition_rows,
    rows_for_display,
    split_delay,
)
from closeloop.distribution.models import Event, FrequencyPolicy, TriggerRule
from closeloop.surveys.selectors import access_survey

READ = Perm.VIEW
WRITE = Perm.EDIT_SURVEYS
PAGE_SIZE = 50
PROPERTY_SAMPLE = 200


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can_edit(request: HttpRequest) -> bool:
    return has_perm(request.membership.role, WRITE)  # type: ignore[attr-defined]


def _compact(properties: dict[str, Any], limit: int = 120) -> str:
    text = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v}"
        for k, v in properties.items()
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _event_row(event: Event) -> dict[str, Any]:
    return {
        "event": event,
        "properties": _compact(event.properties or {}),
        "details": selectors.event_details(event),
    }


# --- events log --------------------------------------------------------------------------------


@org_view(read=READ, write=WRITE)
def event_list(request: HttpRequest) -> HttpResponse:
    """The events log: each event and what every trigger rule did with it, or why not."""
    org = _org(request)
    event_type = request.GET.get("type", "").strip()
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in EventOutcome.values else ""
    contact = request.GET.get("contact", "").strip()
    events = selectors.event_list(
        organization=org, event_type=event_type, outcome=outcome, contact=contact
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "distribution/events_list.html",
        {
            "page": page,
            "rows": [_event_row(e) for e in page.object_list],
            "event_type": event_type,
            "outcome": outcome,
            "contact": contact,
            "outcomes": EventOutcome.choices,
            "types": selectors.event_types_seen(organization=org),
            "query": params.urlencode(),
            "can_edit": _can_edit(request),
        },
    )


@org_view(read=READ, write=WRITE)
def event_detail(request: HttpRequest, event_id: Any) -> HttpResponse:
    """One event in full: its properties and what each trigger rule did."""
    event = selectors.access_event(organization=_org(request), pk=event_id)
    return render(
        request,
        "distribution/events_detail.html",
        {
            "event": event,
            "properties": json.dumps(event.properties, ensure_ascii=False, indent=2),
            "details": selectors.event_details(event),
        },
    )


# --- trigger rules -----------------------------------------------------------------------------


@org_view(read=READ, write=WRITE)
def rule_list(request: HttpRequest) -> HttpResponse:
    """Trigger rules: which event sends which survey, when, to how many."""
    rules = []
    for rule in selectors.trigger_rule_list(organization=_org(request)):
        amount, unit = split_delay(rule.delay_minutes)
        rules.append(
            {
                "rule": rule,
                "delay": amount,
                "unit": unit,
                "conditions": [condition_label(c) for c in rule.conditions.get("rules", [])],
                "match": rule.conditions.get("match", "all"),
            }
        )
    return render(
        request,
        "distribution/events_rules.html",
        {"rules": rules, "can_edit": _can_edit(request)},
    )


def _field_suggestions(org: Organization) -> list[str]:
    """Condition fields to suggest: property keys seen lately, attributes, contact fields."""
    keys: set[str] = set()
    recent = Event.objects.filter(organization=org).order_by("-occurred_at")[:PROPERTY_SAMPLE]
    for properties in recent.values_list("properties", flat=True):
        if isinstance(properties, dict):
            keys.update(f"properties.{k}" for k in properties)
    attributes = AttributeDefinition.objects.filter(organization=org).values_list("key", flat=True)
    return sorted(keys) + [f"attribute.{k}" for k in attributes] + list(CONTACT_FIELDS)


def _apply_errors(form: Form, exc: services.InputInvalid) -> list[str]:
    """Put service errors on the form's fields; condition errors are returned for the rows."""
    field_map = {"delay_minutes": "delay_value"}
    row_errors = []
    for key, message in exc.errors.items():
        name = field_map.get(key, key)
        if name in form.fields:
            form.add_error(name, message)
        else:
            row_errors.append(f"{key}: {message}")
    return row_errors


def _rule_form(request: HttpRequest, rule: TriggerRule | None) -> HttpResponse:
    org = _org(request)
    initial: dict[str, Any] = {"match": "all", "delay_unit": "days", "is_active": True}
    saved_rows: list[dict[str, Any]] = []
    if rule is not None:
        amount, unit = split_delay(rule.delay_minutes)
        initial = {
            "name": rule.name,
            "event_type": rule.event_type,
            "match": rule.conditions.get("match", "all"),
            "delay_value": amount,
            "delay_unit": unit,
            "sample_percent": rule.sample_percent,
            "channel": rule.channel,
            "survey": rule.survey_id,
            "touchpoint": rule.touchpoint_id,
            "template": rule.template_id,
            "is_active": rule.is_active,
        }
        saved_rows = list(rule.conditions.get("rules", []))
    form = TriggerRuleForm(request.POST or None, initial=initial, organization=org)
    row_errors: list[str] = []
    if request.method == "POST":
        saved_rows = condition_rows(request.POST)
        if form.is_valid():
            conditions = {"match": form.cleaned_data["match"], "rules": saved_rows}
            data = form.service_data(conditions)
            try:
                if rule is None:
                    rule = services.trigger_rule_create(
                        organization=org, actor=_user(request), data=data
                    )
                    messages.success(request, _("Trigger rule created."))
                else:
                    services.trigger_rule_update(rule=rule, actor=_user(request), data=data)
                    messages.success(request, _("Trigger rule saved."))
                return redirect("events:rules", org.slug)
            except services.InputInvalid as exc:
                row_errors = _apply_errors(form, exc)
    return render(
        request,
        "distribution/events_rule_form.html",
        {
            "form": form,
            "rule": rule,
            "rows": rows_for_display(saved_rows),
            "row_errors": row_errors,
            "ops": OP_CHOICES,
            "types": selectors.event_types_seen(organization=org),
            "fields": _field_suggestions(org),
            "has_templates": form.fields["template"].queryset.exists(),  # type: ignore[attr-defined]
            "has_touchpoints": form.fields["touchpoint"].queryset.exists(),  # type: ignore[attr-defined]
            "can_edit": _can_edit(request),
        },
    )


@org_view(read=READ, write=WRITE)
def rule_new(request: HttpRequest) -> HttpResponse:
    """Create a trigger rule."""
    return _rule_form(request, None)


@org_view(read=READ, write=WRITE)
def rule_edit(request: HttpRequest, rule_id: Any) -> HttpResponse:
    """Edit a trigger rule."""
    rule = selectors.access_trigger_rule(organization=_org(request), pk=rule_id)
    return _rule_form(request, rule)


@org_view(read=READ, write=WRITE)
def rule_delete(request: HttpRequest, rule_id: Any) -> HttpResponse:
    """Confirm, then delete a trigger rule."""
    org = _org(request)
    rule = selectors.access_trigger_rule(organization=org, pk=rule_id)
    if request.method == "POST":
        services.trigger_rule_delete(rule=rule, actor=_user(request))
        messages.success(request, _("Trigger rule deleted."))
        return redirect("events:rules", org.slug)
    return render(request, "distribution/events_rule_delete.html", {"rule": rule})


# --- frequency rules ---------------------------------------------------------------------------


def _policy_initial(policy: FrequencyPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in services.policy_fields()}


@org_view(read=READ, write=WRITE)
def frequency(request: HttpRequest) -> HttpResponse:
    """The org-wide contact frequency rules and the surveys with their own."""
    org = _org(request)
    policies = selectors.frequency_policies(organization=org)
    form = FrequencyPolicyForm(request.POST or None, initial=_policy_initial(policies.org))
    if request.method == "POST" and form.is_valid():
        try:
            services.frequency_policy_update(
                organization=org, actor=_user(request), data=form.cleaned_data
            )
            messages.success(request, _("Frequency rules saved."))
            return redirect("events:frequency", org.slug)
        except services.InputInvalid as exc:
            _apply_errors(form, exc)
    return render(
        request,
        "distribution/events_frequency.html",
        {
            "form": form,
            "overrides": policies.overrides,
            "choose": SurveyChoiceForm(organization=org),
            "can_edit": _can_edit(request),
        },
    )


@org_view(read=READ, write=WRITE)
def frequency_survey(request: HttpRequest, survey_id: Any) -> HttpResponse:
    """A survey's own frequency rules, replacing the org-wide ones for it."""
    org = _org(request)
    survey = access_survey(organization=org, pk=survey_id)
    own = selectors.survey_policy(organization=org, survey=survey)
    base = own or selectors.frequency_policies(organization=org).org
    form = FrequencyPolicyForm(request.POST or None, initial=_policy_initial(base))
    if request.method == "POST" and form.is_valid():
        try:
            services.frequency_policy_update(
                organization=org, survey=survey, actor=_user(request), data=form.cleaned_data
            )
            messages.success(request, _("Frequency rules saved for this survey."))
            return redirect("events:frequency", org.slug)
        except services.InputInvalid as exc:
            _apply_errors(form, exc)
    return render(
        request,
        "distribution/events_frequency_survey.html",
        {"form": form, "survey": survey, "own": own, "can_edit": _can_edit(request)},
    )


@org_view(read=READ, write=WRITE)
@require_POST
def frequency_survey_remove(request: HttpRequest, survey_id: Any) -> HttpResponse:
    """Drop a survey's own frequency rules: the org-wide ones apply to it again."""
    org = _org(request)
    survey = access_survey(organization=org, pk=survey_id)
    services.frequency_policy_remove(organization=org, survey=survey, actor=_user(request))
    messages.success(request, _("The survey follows the organization's rules again."))
    return redirect("events:frequency", org.slug)


@org_view(read=READ, write=WRITE)
def frequency_choose(request: HttpRequest) -> HttpResponse:
    """Go to the frequency rules of the survey picked in the list."""
    org = _org(request)
    form = SurveyChoiceForm(request.GET or None, organization=org)
    if form.is_valid():
        return redirect("events:frequency_survey", org.slug, form.cleaned_data["survey"].pk)
    return redirect("events:frequency", org.slug)
