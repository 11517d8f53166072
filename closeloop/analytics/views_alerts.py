"""Pages for alerts, weekly digests, targets and benchmarks, and business metrics, under
/o/<org>/analytics/. They read through selectors and write through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from closeloop.accounts.access import access_object, org_view
from closeloop.accounts.models import Membership, Organization, Team
from closeloop.accounts.roles import Perm, has_perm
from closeloop.analytics.alerts import selectors
from closeloop.analytics.alerts.business import (
    business_chart_data,
    business_metrics,
    business_options,
    default_choices,
)
from closeloop.analytics.alerts.describe import (
    event_figures,
    event_sentence,
    event_title,
    finding_sentence,
    rule_summary,
)
from closeloop.analytics.alerts.digest import previous_week
from closeloop.analytics.alerts.digest_services import (
    digest_preview,
    digest_send,
    digest_settings_update,
    digest_subscriptions_set,
)
from closeloop.analytics.alerts.evaluation import alert_rule_evaluate
from closeloop.analytics.alerts.rules import (
    alert_rule_create,
    alert_rule_delete,
    alert_rule_set_active,
    alert_rule_update,
    mask_url,
)
from closeloop.analytics.alerts.targets import target_create, target_delete, target_update
from closeloop.analytics.forms_alerts import (
    AlertRuleForm,
    BusinessForm,
    DigestSettingsForm,
    DigestSubscriptionsForm,
    TargetForm,
)
from closeloop.analytics.models import AlertRule
from closeloop.core.crud import form_error
from closeloop.core.errors import DomainError

EVENTS_PER_PAGE = 50


def _org(request: HttpRequest) -> Organization:
    org: Organization = request.org  # type: ignore[attr-defined]
    return org


def _membership(request: HttpRequest) -> Membership:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    return membership


def _can(request: HttpRequest, perm: Perm) -> bool:
    return has_perm(_membership(request).role, perm)


def _go(request: HttpRequest, name: str) -> HttpResponseRedirect:
    return redirect(name, org_slug=_org(request).slug)


# --- alert rules and events ---------------------------------------------------------------------


def _rule_rows(org: Organization) -> list[dict[str, Any]]:
    return [
        {
            "rule": rule,
            "summary": rule_summary(rule),
            "last": finding_sentence(rule.kind, rule.last_check, time_zone=org.time_zone)
            if rule.last_check
            else "",
            "channels": _channels(rule),
        }
        for rule in selectors.alert_rule_list(organization=org)
    ]


def _channels(rule: AlertRule) -> list[str]:
    out = [t.name for t in rule.email_teams.all()]
    out += [m.user.display_name for m in rule.email_members.all()]
    if rule.slack_webhook_url:
        out.append("Slack")
    if rule.teams_webhook_url:
        out.append("Microsoft Teams")
    if rule.webhook_url:
        out.append(_("Webhook %(url)s") % {"url": mask_url(rule.webhook_url)})
    return out


def _event_rows(events: Any) -> list[dict[str, Any]]:
    return [
        {
            "event": e,
            "title": event_title(e),
            "sentence": event_sentence(e),
            "figures": event_figures(e),
        }
        for e in events
    ]


@org_view(read=Perm.VIEW)
@require_safe
def alerts_view(request: HttpRequest) -> HttpResponse:
    """The alert rules and the latest alerts."""
    org = _org(request)
    events = selectors.alert_event_list(organization=org)[:10]
    return render(
        request,
        "analytics/alerts.html",
        {
            "rows": _rule_rows(org),
            "events": _event_rows(events),
            "can_edit": _can(request, Perm.EDIT_SURVEYS),
        },
    )


def _saved(request: HttpRequest, rule: AlertRule, text: str) -> HttpResponse:
    messages.success(request, text)
    secret = getattr(rule, "revealed_secret", "")
    if secret:
        messages.warning(
            request,
            _(
                "The webhook's signing secret, shown this once: %(secret)s. Keep it with the "
                "receiver to verify each call."
            )
            % {"secret": secret},
        )
    return _go(request, "analytics:alerts")


@org_view(read=Perm.EDIT_SURVEYS)
def alert_rule_new(request: HttpRequest) -> HttpResponse:
    """Add an alert rule."""
    org = _org(request)
    data = request.POST if request.method == "POST" else None
    form = AlertRuleForm(data, organization=org)
    if form.is_bound and form.is_valid():
        try:
            rule = alert_rule_create(organization=org, data=form.rule_input(), actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            form_error(form, exc)
        else:
            return _saved(request, rule, _("Alert rule added."))
    status = 400 if form.is_bound else 200
    return render(
        request, "analytics/alerts_form.html", {"form": form, "rule": None}, status=status
    )


@org_view(read=Perm.EDIT_SURVEYS)
def alert_rule_edit(request: HttpRequest, alert_rule_id: str) -> HttpResponse:
    """Change or delete an alert rule."""
    org = _org(request)
    rule = selectors.access_alert_rule(organization=org, pk=alert_rule_id)
    if request.method == "POST" and request.POST.get("action") == "delete":
        alert_rule_delete(rule=rule, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Alert rule deleted."))
        return _go(request, "analytics:alerts")
    data = request.POST if request.method == "POST" else None
    form = AlertRuleForm(data, organization=org, rule=rule)
    if form.is_bound and form.is_valid():
        try:
            alert_rule_update(rule=rule, data=form.rule_input(), actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            form_error(form, exc)
        else:
            return _saved(request, rule, _("Alert rule saved."))
    status = 400 if form.is_bound else 200
    return render(
        request, "analytics/alerts_form.html", {"form": form, "rule": rule}, status=status
    )


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
@require_POST
def alert_rule_toggle(request: HttpRequest, alert_rule_id: str) -> HttpResponse:
    """Pause or resume a rule."""
    rule = selectors.access_alert_rule(organization=_org(request), pk=alert_rule_id)
    alert_rule_set_active(rule=rule, active=not rule.is_active, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request, _("Alert rule resumed.") if rule.is_active else _("Alert rule paused.")
    )
    return _go(request, "analytics:alerts")


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
@require_POST
def alert_rule_check(request: HttpRequest, alert_rule_id: str) -> HttpResponse:
    """Check a rule now (as the hourly job does: an alert already sent is not sent again)."""
    rule = selectors.access_alert_rule(organization=_org(request), pk=alert_rule_id)
    fired = alert_rule_evaluate(rule=rule)
    if fired:
        messages.warning(request, _("The rule fired: see the alert below."))
    else:
        messages.info(
            request,
            _("Checked: %(finding)s")
            % {
                "finding": finding_sentence(
                    rule.kind, rule.last_check, time_zone=rule.organization.time_zone
                )
            },
        )
    return _go(request, "analytics:alerts")


@org_view(read=Perm.VIEW)
@require_safe
def alert_events_view(request: HttpRequest) -> HttpResponse:
    """Every alert that fired, newest first, with the numbers behind it (of one rule with
    ?rule=<id>)."""
    org = _org(request)
    rule = None
    if request.GET.get("rule"):
        rule = selectors.access_alert_rule(organization=org, pk=request.GET["rule"])
    page = Paginator(selectors.alert_event_list(organization=org, rule=rule), EVENTS_PER_PAGE)
    current = page.get_page(request.GET.get("page"))
    return render(
        request,
        "analytics/alerts_events.html",
        {"rule": rule, "page": current, "events": _event_rows(current.object_list)},
    )


# --- targets and benchmarks ---------------------------------------------------------------------


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def targets_view(request: HttpRequest) -> HttpResponse:
    """Targets and industry benchmarks (list), and adding one."""
    org = _org(request)
    can_edit = _can(request, Perm.EDIT_SURVEYS)
    data = request.POST if request.method == "POST" else None
    form = TargetForm(data, organization=org)
    if form.is_bound and form.is_valid():
        try:
            target_create(organization=org, data=form.target_data(), actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return _go(request, "analytics:targets")
    return render(
        request,
        "analytics/targets.html",
        {
            "targets": selectors.target_list(organization=org),
            "form": form if can_edit else None,
            "can_edit": can_edit,
        },
        status=400 if form.is_bound else 200,
    )


@org_view(read=Perm.EDIT_SURVEYS)
def target_edit(request: HttpRequest, target_id: str) -> HttpResponse:
    """Change or delete a target or benchmark."""
    org = _org(request)
    target = selectors.access_target(organization=org, pk=target_id)
    if request.method == "POST" and request.POST.get("action") == "delete":
        target_delete(target=target, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Deleted."))
        return _go(request, "analytics:targets")
    data = request.POST if request.method == "POST" else None
    form = TargetForm(data, organization=org, target=target)
    if form.is_bound and form.is_valid():
        try:
            target_update(target=target, data=form.target_data(), actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return _go(request, "analytics:targets")
    return render(
        request,
        "analytics/targets_edit.html",
        {"form": form, "target": target},
        status=400 if form.is_bound else 200,
    )


# --- weekly digests -----------------------------------------------------------------------------


def _digest_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    org = _org(request)
    membership = _membership(request)
    teams = selectors.member_teams(membership)
    can_manage = _can(request, Perm.MANAGE_TEAMS)
    context: dict[str, Any] = {
        "subscriptions": DigestSubscriptionsForm(
            teams=teams, opted_out=selectors.opted_out_team_ids(membership)
        ),
        "my_teams": teams,
        "can_manage": can_manage,
    }
    if can_manage:
        current = selectors.digest_settings_of(org)
        context["settings_form"] = DigestSettingsForm(
            initial={"enabled": current.enabled, "weekday": current.weekday, "hour": current.hour}
        )
        context["teams"] = list(Team.objects.filter(organization=org).order_by("name"))
        context["time_zone"] = org.time_zone
    context.update(extra)
    return context


@org_view(read=Perm.VIEW)
@require_safe
def digest_view(request: HttpRequest) -> HttpResponse:
    """The weekly digest: which of my teams' digests I receive; for admins, the schedule."""
    return render(request, "analytics/digest.html", _digest_context(request))


@org_view(read=Perm.VIEW)
@require_POST
def digest_subscriptions(request: HttpRequest) -> HttpResponse:
    """Save which of my teams' digests I receive."""
    membership = _membership(request)
    teams = selectors.member_teams(membership)
    form = DigestSubscriptionsForm(
        request.POST, teams=teams, opted_out=selectors.opted_out_team_ids(membership)
    )
    form.is_valid()  # booleans: always valid
    digest_subscriptions_set(
        membership=membership,
        teams=teams,
        wanted=form.wanted(),
        actor=request.user,  # type: ignore[arg-type]
    )
    messages.success(request, _("Your digest choices are saved."))
    return _go(request, "analytics:digest")


@org_view(read=Perm.MANAGE_TEAMS)
@require_POST
def digest_settings(request: HttpRequest) -> HttpResponse:
    """Change when the weekly digests go out."""
    form = DigestSettingsForm(request.POST)
    if form.is_valid():
        try:
            digest_settings_update(
                organization=_org(request),
                enabled=form.cleaned_data["enabled"],
                weekday=form.cleaned_data["weekday"],
                hour=form.cleaned_data["hour"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The digest schedule is saved."))
            return _go(request, "analytics:digest")
    context = _digest_context(request, settings_form=form)
    return render(request, "analytics/digest.html", context, status=400)


def _team(request: HttpRequest, pk: str | None) -> Team:
    org = _org(request)
    if pk:
        return access_object(Team.objects.all(), organization=org, pk=pk)
    team = Team.objects.filter(organization=org).order_by("name").first()
    if team is None:
        raise Http404
    return team


@org_view(read=Perm.MANAGE_TEAMS)
@require_safe
def digest_preview_view(request: HttpRequest) -> HttpResponse:
    """A team's digest as its members would get it (in my language), with "send now"."""
    team = _team(request, request.GET.get("team"))
    digest, subject, text = digest_preview(team=team)
    teams = list(Team.objects.filter(organization=_org(request)).order_by("name"))
    recipients = selectors.digest_recipients(team)
    return render(
        request,
        "analytics/digest_preview.html",
        {
            "digest": digest,
            "subject": subject,
            "text": text,
            "team": team,
            "teams": teams,
            "recipients": recipients,
        },
    )


@org_view(read=Perm.MANAGE_TEAMS)
@require_POST
def digest_send_now(request: HttpRequest) -> HttpResponse:
    """Send a team's digest of last week now, to each member who wants it."""
    team = _team(request, request.POST.get("team"))
    week = previous_week(timezone.localdate())  # org_view activated the org's time zone
    sent = digest_send(team=team, week_start=week, manual=True, actor=request.user)  # type: ignore[arg-type]
    count = sent.recipients if sent is not None else 0
    messages.success(
        request,
        _("The %(team)s digest is on its way to %(n)s members.") % {"team": team.name, "n": count},
    )
    url = reverse("analytics:digest_preview", args=[_org(request).slug])
    return redirect(f"{url}?team={team.pk}")


# --- business metrics ---------------------------------------------------------------------------


@org_view(read=Perm.VIEW)
@require_safe
def business_view(request: HttpRequest) -> HttpResponse:
    """Churn, retention, events and revenue at risk by NPS group: a form, a chart, a table."""
    from closeloop.analytics.views_drivers import PLOTLY_VERSION

    org = _org(request)
    options = business_options(org)
    data = request.GET.copy()
    if not any(k in data for k in ("churn", "revenue", "event", "survey")):
        churn, revenue = default_choices(options)
        data["churn"], data["revenue"] = churn, revenue
    form = BusinessForm(data, organization=org, options=options)
    result = None
    error = ""
    if form.is_valid():
        try:
            result = business_metrics(
                organization=org,
                survey=form.survey_object(),
                date_from=form.cleaned_data.get("from"),
                date_to=form.cleaned_data.get("to"),
                churn_attribute=form.cleaned_data.get("churn") or "",
                revenue_attribute=form.cleaned_data.get("revenue") or "",
                event_type=form.cleaned_data.get("event") or "",
            )
        except DomainError as exc:
            form_error(form, exc)
            error = exc.message
    chart = business_chart_data(result) if result is not None else None
    return render(
        request,
        "analytics/business.html",
        {
            "form": form,
            "result": result,
            "error": error,
            "chart": chart if chart and chart["series"] else None,
            "plotly_version": PLOTLY_VERSION,
            "options": options,
        },
    )
