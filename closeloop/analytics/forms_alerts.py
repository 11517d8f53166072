"""Forms of the alerts, targets, digest and business metrics pages: they validate input and
look objects up in the organization; the services decide the rest."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Membership, Organization, Team
from closeloop.analytics.alerts.business import BusinessOptions
from closeloop.analytics.alerts.rules import RuleInput, mask_url
from closeloop.analytics.models import (
    AlertCount,
    AlertKind,
    AlertMetric,
    AlertRule,
    MetricTarget,
    TargetKind,
    TargetMetric,
)

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _surveys(organization: Organization) -> list[tuple[str, str]]:
    from closeloop.surveys.models import Survey

    return [
        (str(s.pk), s.name)
        for s in Survey.objects.filter(organization=organization).order_by("name")
    ]


def _segments(organization: Organization) -> list[tuple[str, str]]:
    from closeloop.contacts.selectors import segment_list

    return [(str(s.pk), s.name) for s in segment_list(organization=organization)]


def _touchpoints(organization: Organization) -> list[tuple[str, str]]:
    from closeloop.distribution.models import Touchpoint

    return [(str(t.pk), t.name) for t in Touchpoint.objects.filter(organization=organization)]


def _lookup(model: Any, organization: Organization, pk: str) -> Any:
    if not pk:
        return None
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        return None
    return model.objects.filter(organization=organization, pk=key).first()


class ScopeMixin:
    """Survey, segment and touchpoint choices of the organization, turned into objects."""

    organization: Organization
    cleaned_data: dict[str, Any]
    fields: dict[str, forms.Field]

    def set_scope_choices(self, *, any_label: Any) -> None:
        org = self.organization
        self.fields["survey"].choices = [("", any_label), *_surveys(org)]  # type: ignore[attr-defined]
        self.fields["segment"].choices = [("", _("All contacts")), *_segments(org)]  # type: ignore[attr-defined]
        if "touchpoint" in self.fields:
            self.fields["touchpoint"].choices = [("", _("Any")), *_touchpoints(org)]  # type: ignore[attr-defined]

    def scope_objects(self) -> dict[str, Any]:
        from closeloop.contacts.models import Segment
        from closeloop.distribution.models import Touchpoint
        from closeloop.surveys.models import Survey

        data = self.cleaned_data
        found = {
            "survey": _lookup(Survey, self.organization, data.get("survey") or ""),
            "segment": _lookup(Segment, self.organization, data.get("segment") or ""),
        }
        if "touchpoint" in self.fields:
            found["touchpoint"] = _lookup(
                Touchpoint, self.organization, data.get("touchpoint") or ""
            )
        return found


class AlertRuleForm(ScopeMixin, forms.Form):
    """An alert rule: what to watch, where, and who to tell."""

    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Alert when"), choices=AlertKind.choices)
    metric = forms.ChoiceField(
        label=_("Score"), required=False, choices=[("", "—"), *AlertMetric.choices],
        help_text=_("For a drop: the score compared week over week."),
    )  # fmt: skip
    min_drop = forms.FloatField(
        label=_("Minimum drop"), required=False, min_value=0, initial=0,
        help_text=_("For a drop: ignore drops smaller than this, even when beyond the margin."),
    )  # fmt: skip
    count_of = forms.ChoiceField(
        label=_("Count"), required=False, choices=[("", "—"), *AlertCount.choices]
    )
    level = forms.IntegerField(
        label=_("Level"), required=False, min_value=0,
        help_text=_("For a count: alert when the count goes above this."),
    )  # fmt: skip
    window_hours = forms.IntegerField(
        label=_("Window (hours)"), min_value=1, initial=24,
        help_text=_(
            "For a count: 1, 6, 24 or 168 (hour, quarter day, day, week). For a silence: "
            "how many hours without a response."
        ),
    )  # fmt: skip
    survey = forms.ChoiceField(label=_("Survey"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    touchpoint = forms.ChoiceField(label=_("Touchpoint"), required=False)
    email_teams = forms.MultipleChoiceField(
        label=_("Email these teams"), required=False, widget=forms.CheckboxSelectMultiple
    )
    email_members = forms.MultipleChoiceField(
        label=_("Email these members"), required=False, widget=forms.CheckboxSelectMultiple
    )
    slack_webhook_url = forms.CharField(
        label=_("Slack incoming webhook URL"), required=False, max_length=500
    )
    teams_webhook_url = forms.CharField(
        label=_("Microsoft Teams incoming webhook URL"), required=False, max_length=500
    )
    webhook_url = forms.CharField(
        label=_("Signed webhook URL"), required=False, max_length=500,
        help_text=_("Each call is signed (Standard Webhooks); a secret is made and shown once."),
    )  # fmt: skip
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        data: Any = None,
        *,
        organization: Organization,
        rule: AlertRule | None = None,
        **kwargs: Any,
    ) -> None:
        if rule is not None and data is None:
            kwargs.setdefault("initial", _initial(rule))
        super().__init__(data, **kwargs)
        self.organization = organization
        self.set_scope_choices(any_label=_("Every customer survey"))
        self.fields["email_teams"].choices = [  # type: ignore[attr-defined]
            (str(t.pk), t.name) for t in Team.objects.filter(organization=organization)
        ]
        members = Membership.objects.filter(organization=organization).select_related("user")
        self.fields["email_members"].choices = [  # type: ignore[attr-defined]
            (str(m.pk), m.user.display_name) for m in members.order_by("user__email")
        ]

    def rule_input(self) -> RuleInput:
        data = self.cleaned_data
        scope = self.scope_objects()
        return RuleInput(
            name=data["name"],
            kind=data["kind"],
            metric=data.get("metric") or "",
            min_drop=data.get("min_drop") or 0.0,
            count_of=data.get("count_of") or "",
            level=data.get("level"),
            window_hours=data.get("window_hours") or 24,
            survey=scope["survey"],
            segment=scope["segment"],
            touchpoint=scope["touchpoint"],
            email_teams=list(
                Team.objects.filter(organization=self.organization, pk__in=data["email_teams"])
            ),
            email_members=list(
                Membership.objects.filter(
                    organization=self.organization, pk__in=data["email_members"]
                )
            ),
            slack_webhook_url=data.get("slack_webhook_url") or "",
            teams_webhook_url=data.get("teams_webhook_url") or "",
            webhook_url=data.get("webhook_url") or "",
            is_active=bool(data.get("is_active")),
        )


def _initial(rule: AlertRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "metric": rule.metric,
        "min_drop": rule.min_drop,
        "count_of": rule.count_of,
        "level": rule.level,
        "window_hours": rule.window_hours,
        "survey": str(rule.survey_id or ""),
        "segment": str(rule.segment_id or ""),
        "touchpoint": str(rule.touchpoint_id or ""),
        "email_teams": [str(t.pk) for t in rule.email_teams.all()],
        "email_members": [str(m.pk) for m in rule.email_members.all()],
        "slack_webhook_url": mask_url(rule.slack_webhook_url),
        "teams_webhook_url": mask_url(rule.teams_webhook_url),
        "webhook_url": mask_url(rule.webhook_url),
        "is_active": rule.is_active,
    }


class TargetForm(ScopeMixin, forms.Form):
    """A target or an industry benchmark of a metric."""

    kind = forms.ChoiceField(label=_("Kind"), choices=TargetKind.choices)
    metric = forms.ChoiceField(label=_("Metric"), choices=TargetMetric.choices)
    value = forms.FloatField(
        label=_("Figure"),
        help_text=_("NPS and eNPS -100 to 100; CSAT and response rate in percent; CES 1 to 7."),
    )
    label = forms.CharField(label=_("Label"), required=False, max_length=120)
    survey = forms.ChoiceField(label=_("Survey"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    source = forms.CharField(
        label=_("Source"), required=False, max_length=300,
        help_text=_("For a benchmark: the report or study, and its year."),
    )  # fmt: skip
    source_url = forms.URLField(label=_("Source URL"), required=False, max_length=500)
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        data: Any = None,
        *,
        organization: Organization,
        target: MetricTarget | None = None,
        **kwargs: Any,
    ) -> None:
        if target is not None and data is None:
            kwargs["initial"] = {
                "kind": target.kind,
                "metric": target.metric,
                "value": target.value,
                "label": target.label,
                "survey": str(target.survey_id or ""),
                "segment": str(target.segment_id or ""),
                "source": target.source,
                "source_url": target.source_url,
                "valid_from": target.valid_from,
                "valid_to": target.valid_to,
            }
        super().__init__(data, **kwargs)
        self.organization = organization
        self.set_scope_choices(any_label=_("Every survey"))

    def target_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.update(self.scope_objects())
        return data


class DigestSettingsForm(forms.Form):
    """When the weekly digests go out."""

    enabled = forms.BooleanField(label=_("Send weekly team digests"), required=False)
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=WEEKDAYS, coerce=int)
    hour = forms.TypedChoiceField(
        label=_("Hour"), choices=[(h, f"{h:02d}:00") for h in range(24)], coerce=int
    )


class DigestSubscriptionsForm(forms.Form):
    """Which of my teams' digests I receive."""

    def __init__(self, *args: Any, teams: list[Team], opted_out: set[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = teams
        for team in teams:
            self.fields[f"team_{team.pk}"] = forms.BooleanField(
                label=team.name, required=False, initial=team.pk not in opted_out
            )

    def wanted(self) -> set[Any]:
        return {t.pk for t in self.teams if self.cleaned_data.get(f"team_{t.pk}")}


class BusinessForm(forms.Form):
    """Which survey, period and attributes to chart against the NPS groups."""

    survey = forms.ChoiceField(label=_("Survey"), required=False)
    churn = forms.ChoiceField(label=_("Churn attribute"), required=False)
    revenue = forms.ChoiceField(label=_("Revenue attribute"), required=False)
    event = forms.ChoiceField(label=_("Business event"), required=False)

    def __init__(
        self, *args: Any, organization: Organization, options: BusinessOptions, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        from closeloop.surveys.choices import SurveyKind
        from closeloop.surveys.models import Survey

        date = forms.DateInput(attrs={"type": "date"})
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=date)
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=date)
        self.order_fields(["survey", "from", "to", "churn", "revenue", "event"])
        self.organization = organization
        surveys = Survey.objects.filter(organization=organization, kind=SurveyKind.CUSTOMER)
        self.fields["survey"].choices = [  # type: ignore[attr-defined]
            ("", _("Every customer survey")),
            *[(str(s.pk), s.name) for s in surveys.order_by("name")],
        ]
        self.fields["churn"].choices = [("", "—"), *options.churn]  # type: ignore[attr-defined]
        self.fields["revenue"].choices = [("", "—"), *options.revenue]  # type: ignore[attr-defined]
        self.fields["event"].choices = [("", "—"), *[(e, e) for e in options.events]]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            self.add_error("to", _("The end date is before the start date."))
        return data

    def survey_object(self) -> Any:
        from closeloop.surveys.models import Survey

        return _lookup(Survey, self.organization, self.cleaned_data.get("survey") or "")
