"""Case settings pages: the root-cause taxonomy, SLA policies with business hours and holidays,
and reply templates. Anyone may read them; changing them needs the manage-teams permission.

Each kind of object is one `closeloop.core.crud.Crud`: its form, access check, services,
labels and where to go next; the views below are made from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count
from django.forms import Form
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Team
from closeloop.cases import config, selectors, services
from closeloop.cases.forms import (
    BusinessHoursForm,
    HolidayForm,
    ReplyTemplateForm,
    RootCauseForm,
    SlaPolicyForm,
)
from closeloop.cases.models import BusinessHours, Holiday, ReplyTemplate, RootCause, SlaPolicy
from closeloop.cases.views.common import CONFIG, READ, can, org_of, user_of
from closeloop.core.crud import Crud, Labels


def _defaults(request: HttpRequest) -> None:
    config.case_defaults_ensure(organization=org_of(request))


# --- root causes ----------------------------------------------------------------------------


def _root_cause_context(request: HttpRequest, form: Form | None, obj: Any) -> Mapping[str, Any]:
    causes = config.root_causes(organization=org_of(request)).annotate(n_cases=Count("cases"))
    return {"causes": causes, "can_config": can(request, CONFIG)}


root_causes = Crud[RootCause](
    read=READ,
    write=CONFIG,
    form=RootCauseForm,
    access=lambda request, root_cause_id: selectors.access_root_cause(
        organization=org_of(request), pk=root_cause_id
    ),
    create=lambda request, data, _parent: config.root_cause_create(
        organization=org_of(request),
        name=data["name"],
        description=data["description"],
        actor=user_of(request),
    ),
    update=lambda request, cause, data: config.root_cause_update(
        root_cause=cause, actor=user_of(request), **data
    ),
    delete=lambda request, cause: config.root_cause_delete(
        root_cause=cause, actor=user_of(request)
    ),
    prepare=_defaults,
    labels=Labels(
        added=_("Root cause added."),
        saved=_("Root cause saved."),
        deleted=_("Root cause deleted."),
        invalid=_("Give it a name."),
    ),
    success_url="cases:root_causes",
)
root_cause_list = root_causes.add_view(
    template="cases/root_causes.html", context=_root_cause_context
)
root_cause_edit = root_causes.edit_view(deletable=True)


# --- SLA, business hours, holidays: all on the SLA page ------------------------------------


def _teams(request: HttpRequest) -> Any:
    return Team.objects.filter(organization=org_of(request)).order_by("name")


def _sla_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    org = org_of(request)
    teams = _teams(request)
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


def _save_policy(request: HttpRequest, data: dict[str, Any], policy: SlaPolicy | None) -> SlaPolicy:
    return config.sla_policy_save(
        organization=org_of(request), policy=policy, actor=user_of(request), **data
    )


sla_policies = Crud[SlaPolicy](
    read=READ,
    write=CONFIG,
    form=SlaPolicyForm,
    form_kwargs=lambda request, policy: {
        "teams": _teams(request),
        "prefix": str(policy.pk) if policy is not None else "new",
    },
    access=lambda request, sla_policy_id: selectors.access_sla_policy(
        organization=org_of(request), pk=sla_policy_id
    ),
    create=lambda request, data, _parent: _save_policy(request, data, None),
    update=lambda request, policy, data: _save_policy(request, data, policy),
    delete=lambda request, policy: config.sla_policy_delete(policy=policy, actor=user_of(request)),
    prepare=_defaults,
    labels=Labels(
        added=_("SLA policy added."),
        saved=_("SLA policy saved."),
        deleted=_("SLA policy deleted."),
        invalid=_("Check the policy's fields."),
    ),
    success_url="cases:sla",
)
sla_settings = sla_policies.add_view(
    template="cases/sla.html",
    context=lambda request, form, _obj: _sla_context(request, policy_form=form),
)
sla_policy_edit = sla_policies.edit_view(deletable=True)

business_hours = Crud[list[BusinessHours]](
    read=READ,
    write=CONFIG,
    form=BusinessHoursForm,
    form_kwargs=lambda request, _obj: {"current": {}},
    create=lambda request, data, _parent: config.business_hours_set(
        organization=org_of(request),
        hours=BusinessHoursForm.hours_of(data),
        actor=user_of(request),
    ),
    labels=Labels(added=_("Business hours saved.")),
    success_url="cases:sla",
)
business_hours_edit = business_hours.add_view(
    template="cases/sla.html",
    context=lambda request, form, _obj: _sla_context(request, hours_form=form),
    post_only=True,
)

holidays = Crud[Holiday](
    read=READ,
    write=CONFIG,
    form=HolidayForm,
    access=lambda request, holiday_id: selectors.access_holiday(
        organization=org_of(request), pk=holiday_id
    ),
    create=lambda request, data, _parent: config.holiday_add(
        organization=org_of(request), actor=user_of(request), **data
    ),
    delete=lambda request, holiday: config.holiday_delete(holiday=holiday, actor=user_of(request)),
    labels=Labels(added=_("Holiday added."), deleted=_("Holiday removed.")),
    success_url="cases:sla",
)
holiday_add = holidays.add_view(
    template="cases/sla.html",
    context=lambda request, form, _obj: _sla_context(request, holiday_form=form),
    post_only=True,
)
holiday_delete = holidays.delete_view()


# --- reply templates ------------------------------------------------------------------------


def _save_template(
    request: HttpRequest, data: dict[str, Any], template: ReplyTemplate | None
) -> ReplyTemplate:
    return config.reply_template_save(
        organization=org_of(request),
        name=data["name"],
        texts=ReplyTemplateForm.texts_of(data),
        is_active=data["is_active"],
        template=template,
        actor=user_of(request),
    )


def _template_context(request: HttpRequest, form: Form | None, obj: Any) -> Mapping[str, Any]:
    context: dict[str, Any] = {
        "placeholders": services.REPLY_PLACEHOLDERS,
        "can_config": can(request, CONFIG),
    }
    if obj is None:
        context["templates"] = config.reply_templates(organization=org_of(request))
    else:
        context["template"] = obj
    return context


reply_templates = Crud[ReplyTemplate](
    read=READ,
    write=CONFIG,
    form=ReplyTemplateForm,
    form_kwargs=lambda request, template: (
        {
            "texts": template.texts,
            "initial": {"name": template.name, "is_active": template.is_active},
        }
        if template is not None
        else {}
    ),
    access=lambda request, reply_template_id: selectors.access_reply_template(
        organization=org_of(request), pk=reply_template_id
    ),
    create=lambda request, data, _parent: _save_template(request, data, None),
    update=lambda request, template, data: _save_template(request, data, template),
    delete=lambda request, template: config.reply_template_delete(
        template=template, actor=user_of(request)
    ),
    labels=Labels(
        added=_("Template added."), saved=_("Template saved."), deleted=_("Template deleted.")
    ),
    success_url="cases:templates",
)
template_list = reply_templates.add_view(template="cases/templates.html", context=_template_context)
template_edit = reply_templates.edit_view(
    template="cases/template_edit.html", context=_template_context, deletable=True
)
