"""Case settings pages: the root-cause taxonomy, SLA policies with business hours and holidays,
and reply templates. Anyone may read them; changing them needs the manage-teams permission."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Team
from closeloop.cases import config, selectors, services
from closeloop.cases.forms import (
    BusinessHoursForm,
    HolidayForm,
    ReplyTemplateForm,
    RootCauseForm,
    SlaPolicyForm,
)
from closeloop.cases.models import BusinessHours, Holiday, SlaPolicy
from closeloop.cases.views.common import CONFIG, READ, can, form_error, org_of, user_of
from closeloop.core.errors import DomainError

# --- root causes ----------------------------------------------------------------------------


@org_view(read=READ, write=CONFIG)
def root_cause_list(request: HttpRequest) -> HttpResponse:
    """The taxonomy: add a root cause; rename, retire or delete the others."""
    org = org_of(request)
    config.case_defaults_ensure(organization=org)
    form = RootCauseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            config.root_cause_create(
                organization=org,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=user_of(request),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Root cause added."))
            return redirect("cases:root_causes", org.slug)
    causes = config.root_causes(organization=org)
    from django.db.models import Count

    causes = causes.annotate(n_cases=Count("cases"))
    return render(
        request,
        "cases/root_causes.html",
        {"form": form, "causes": causes, "can_config": can(request, CONFIG)},
        status=400 if form.errors else 200,
    )


@org_view(read=READ, write=CONFIG)
@require_POST
def root_cause_edit(request: HttpRequest, root_cause_id: Any) -> HttpResponse:
    """Save or delete one root cause."""
    org = org_of(request)
    cause = selectors.access_root_cause(organization=org, pk=root_cause_id)
    try:
        if request.POST.get("action") == "delete":
            config.root_cause_delete(root_cause=cause, actor=user_of(request))
            messages.success(request, _("Root cause deleted."))
        else:
            form = RootCauseForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give it a name."))
            else:
                config.root_cause_update(
                    root_cause=cause,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    is_active=form.cleaned_data["is_active"],
                    actor=user_of(request),
                )
                messages.success(request, _("Root cause saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:root_causes", org.slug)


# --- SLA, business hours, holidays ----------------------------------------------------------


def _sla_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    org = org_of(request)
    teams = Team.objects.filter(organization=org).order_by("name")
    current = {h.weekday: (h.start, h.end) for h in BusinessHours.objects.filter(organization=org)}
    policies = list(config.sla_policies(organization=org))
    return {
        "policies": [
            (p, SlaPolicyForm(initial=_policy_initial(p), teams=teams, prefix=str(p.pk)))
            for p in policies
        ],
        "policy_form": forms.get("policy_form") or SlaPolicyForm(teams=teams, prefix="new"),
        "hours_form": forms.get("hours_form") or BusinessHoursForm(current=current),
        "holiday_form": forms.get("holiday_form") or HolidayForm(),
        "holidays": Holiday.objects.filter(organization=org),
        "can_config": can(request, CONFIG),
        "time_zone": org.time_zone,
    }


def _policy_initial(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "team": policy.team_id,
        "priority": policy.priority,
        "first_response_hours": policy.first_response_hours,
        "resolution_hours": policy.resolution_hours,
        "business_hours_only": policy.business_hours_only,
        "escalate_to_lead": policy.escalate_to_lead,
        "raise_priority": policy.raise_priority,
    }


def _save_policy(request: HttpRequest, form: SlaPolicyForm, policy: SlaPolicy | None) -> bool:
    if not form.is_valid():
        return False
    d = form.cleaned_data
    try:
        config.sla_policy_save(
            organization=org_of(request),
            team=d["team"],
            priority=d["priority"],
            first_response_hours=d["first_response_hours"],
            resolution_hours=d["resolution_hours"],
            business_hours_only=d["business_hours_only"],
            escalate_to_lead=d["escalate_to_lead"],
            raise_priority=d["raise_priority"],
            name=d["name"],
            policy=policy,
            actor=user_of(request),
        )
    except DomainError as exc:
        form_error(form, exc)
        return False
    return True


@org_view(read=READ, write=CONFIG)
def sla_settings(request: HttpRequest) -> HttpResponse:
    """SLA policies per team and priority, business hours and holidays; POST adds a policy."""
    org = org_of(request)
    config.case_defaults_ensure(organization=org)
    if request.method == "POST":
        teams = Team.objects.filter(organization=org).order_by("name")
        form = SlaPolicyForm(request.POST, teams=teams, prefix="new")
        if _save_policy(request, form, None):
            messages.success(request, _("SLA policy added."))
            return redirect("cases:sla", org.slug)
        return render(
            request, "cases/sla.html", _sla_context(request, policy_form=form), status=400
        )
    return render(request, "cases/sla.html", _sla_context(request))


@org_view(read=READ, write=CONFIG)
@require_POST
def sla_policy_edit(request: HttpRequest, sla_policy_id: Any) -> HttpResponse:
    """Save or delete one SLA policy."""
    org = org_of(request)
    policy = selectors.access_sla_policy(organization=org, pk=sla_policy_id)
    if request.POST.get("action") == "delete":
        config.sla_policy_delete(policy=policy, actor=user_of(request))
        messages.success(request, _("SLA policy deleted."))
        return redirect("cases:sla", org.slug)
    teams = Team.objects.filter(organization=org).order_by("name")
    form = SlaPolicyForm(request.POST, teams=teams, prefix=str(policy.pk))
    if _save_policy(request, form, policy):
        messages.success(request, _("SLA policy saved."))
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, " ".join(errors) or _("Check the policy's fields."))
    return redirect("cases:sla", org.slug)


@org_view(read=READ, write=CONFIG)
@require_POST
def business_hours_edit(request: HttpRequest) -> HttpResponse:
    """Save the opening hours of every weekday."""
    org = org_of(request)
    form = BusinessHoursForm(request.POST, current={})
    if form.is_valid():
        try:
            config.business_hours_set(organization=org, hours=form.hours(), actor=user_of(request))
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Business hours saved."))
            return redirect("cases:sla", org.slug)
    return render(request, "cases/sla.html", _sla_context(request, hours_form=form), status=400)


@org_view(read=READ, write=CONFIG)
@require_POST
def holiday_add(request: HttpRequest) -> HttpResponse:
    """Add a holiday."""
    org = org_of(request)
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            config.holiday_add(
                organization=org,
                date=form.cleaned_data["date"],
                name=form.cleaned_data["name"],
                actor=user_of(request),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Holiday added."))
            return redirect("cases:sla", org.slug)
    return render(request, "cases/sla.html", _sla_context(request, holiday_form=form), status=400)


@org_view(read=READ, write=CONFIG)
@require_POST
def holiday_delete(request: HttpRequest, holiday_id: Any) -> HttpResponse:
    """Remove a holiday."""
    org = org_of(request)
    holiday = selectors.access_holiday(organization=org, pk=holiday_id)
    config.holiday_delete(holiday=holiday, actor=user_of(request))
    messages.success(request, _("Holiday removed."))
    return redirect("cases:sla", org.slug)


# --- reply templates ------------------------------------------------------------------------


@org_view(read=READ, write=CONFIG)
def template_list(request: HttpRequest) -> HttpResponse:
    """Reply templates; POST adds one."""
    org = org_of(request)
    form = ReplyTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            config.reply_template_save(
                organization=org,
                name=form.cleaned_data["name"],
                texts=form.texts(),
                is_active=form.cleaned_data["is_active"],
                actor=user_of(request),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Template added."))
            return redirect("cases:templates", org.slug)
    return render(
        request,
        "cases/templates.html",
        {
            "form": form,
            "templates": config.reply_templates(organization=org),
            "placeholders": services.REPLY_PLACEHOLDERS,
            "can_config": can(request, CONFIG),
        },
        status=400 if form.errors else 200,
    )


@org_view(read=READ, write=CONFIG)
def template_edit(request: HttpRequest, reply_template_id: Any) -> HttpResponse:
    """Edit or delete one reply template."""
    org = org_of(request)
    template = selectors.access_reply_template(organization=org, pk=reply_template_id)
    if request.method == "POST" and request.POST.get("action") == "delete":
        config.reply_template_delete(template=template, actor=user_of(request))
        messages.success(request, _("Template deleted."))
        return redirect("cases:templates", org.slug)
    form = ReplyTemplateForm(
        request.POST or None,
        texts=template.texts,
        initial={"name": template.name, "is_active": template.is_active},
    )
    if request.method == "POST" and form.is_valid():
        try:
            config.reply_template_save(
                organization=org,
                name=form.cleaned_data["name"],
                texts=form.texts(),
                is_active=form.cleaned_data["is_active"],
                template=template,
                actor=user_of(request),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Template saved."))
            return redirect("cases:templates", org.slug)
    return render(
        request,
        "cases/template_edit.html",
        {
            "form": form,
            "template": template,
            "placeholders": services.REPLY_PLACEHOLDERS,
            "can_config": can(request, CONFIG),
        },
        status=400 if form.errors else 200,
    )
