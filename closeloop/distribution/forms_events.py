"""Forms for trigger rules and contact frequency rules (pages under /o/<org_slug>/events/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.conditions import OPS
from closeloop.distribution.events_services import policy_fields
from closeloop.distribution.models import EmailTemplate, Touchpoint
from closeloop.surveys.choices import SurveyStatus
from closeloop.surveys.models import Survey

if TYPE_CHECKING:
    from django.http import QueryDict

    from closeloop.accounts.models import Organization

DELAY_UNITS = (
    ("minutes", _("minutes")),
    ("hours", _("hours")),
    ("days", _("days")),
)
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 60 * 24}
MATCH_CHOICES = (("all", _("all conditions")), ("any", _("any condition")))
TRIGGER_CHANNEL_CHOICES = (
    (ListeningChannel.EMAIL.value, ListeningChannel.EMAIL.label),
    (ListeningChannel.WIDGET.value, ListeningChannel.WIDGET.label),
)
BLANK_ROWS = 2
MAX_ROWS = 20


def split_delay(minutes: int) -> tuple[int, str]:
    """The largest whole unit for a delay: 2880 minutes -> (2, "days")."""
    if minutes and minutes % UNIT_MINUTES["days"] == 0:
        return minutes // UNIT_MINUTES["days"], "days"
    if minutes and minutes % UNIT_MINUTES["hours"] == 0:
        return minutes // UNIT_MINUTES["hours"], "hours"
    return minutes, "minutes"


class TriggerRuleForm(forms.Form):
    """A trigger rule; condition rows are read from the POST by `condition_rows`."""

    name = forms.CharField(label=_("Name"), max_length=200)
    event_type = forms.CharField(
        label=_("Event type"),
        max_length=100,
        help_text=_("The type your system sends, e.g. purchase or support_ticket_closed."),
        widget=forms.TextInput(attrs={"list": "event-types", "autocomplete": "off"}),
    )
    match = forms.ChoiceField(label=_("Invite when the event matches"), choices=MATCH_CHOICES)
    delay_value = forms.IntegerField(label=_("Wait"), min_value=0, max_value=525600, initial=0)
    delay_unit = forms.ChoiceField(label=_("Unit"), choices=DELAY_UNITS, initial="days")
    sample_percent = forms.IntegerField(
        label=_("Sampling (%)"),
        min_value=0,
        max_value=100,
        initial=100,
        help_text=_("Share of matching events that get an invitation."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=TRIGGER_CHANNEL_CHOICES)
    survey = forms.ModelChoiceField(
        label=_("Survey"), queryset=Survey.objects.none(), empty_label=None
    )
    touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"), queryset=Touchpoint.objects.none(), required=False
    )
    template = forms.ModelChoiceField(
        label=_("Email template"),
        queryset=EmailTemplate.objects.none(),
        required=False,
        empty_label=_("The default invitation"),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survey_field: Any = self.fields["survey"]
        survey_field.queryset = Survey.objects.filter(
            organization=organization,
            status=SurveyStatus.ACTIVE,
            current_version__isnull=False,
        ).order_by("name")
        touchpoint_field: Any = self.fields["touchpoint"]
        touchpoint_field.queryset = Touchpoint.objects.filter(organization=organization)
        template_field: Any = self.fields["template"]
        template_field.queryset = EmailTemplate.objects.filter(organization=organization)

    def service_data(self, conditions: dict[str, Any]) -> dict[str, Any]:
        """The cleaned form as the trigger-rule service takes it."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "event_type": data["event_type"],
            "conditions": conditions,
            "delay_minutes": data["delay_value"] * UNIT_MINUTES[data["delay_unit"]],
            "sample_percent": data["sample_percent"],
            "channel": data["channel"],
            "survey": data["survey"],
            "touchpoint": data["touchpoint"],
            "template": data["template"],
            "is_active": data["is_active"],
        }


def condition_rows(post: QueryDict) -> list[dict[str, Any]]:
    """The filled-in condition rows of a POST (cond-N-field/op/value), in order."""
    rows = []
    for n in range(MAX_ROWS):
        field = post.get(f"cond-{n}-field", "").strip()
        if not field:
            continue
        rows.append(
            {
                "field": field,
                "op": post.get(f"cond-{n}-op", "eq"),
                "value": post.get(f"cond-{n}-value", ""),
            }
        )
    return rows


def rows_for_display(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Condition rows for the builder: the saved ones and a few blank ones."""
    rows = []
    for n, rule in enumerate(rules[:MAX_ROWS]):
        value = rule.get("value")
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
        rows.append({"n": n, "field": rule.get("field", ""), "op": rule.get("op", "eq"),
                     "value": "" if shown is None else shown})  # fmt: skip
    for n in range(len(rows), min(MAX_ROWS, len(rows) + BLANK_ROWS)):
        rows.append({"n": n, "field": "", "op": "eq", "value": ""})
    return rows


OP_CHOICES = list(OPS.items())


class FrequencyPolicyForm(forms.Form):
    """Contact frequency rules; empty optional fields switch that rule off."""

    min_days_between = forms.IntegerField(
        label=_("At most one invitation per contact every (days)"),
        min_value=0,
        max_value=3650,
        help_text=_("0 switches this rule off."),
    )
    max_per_month = forms.IntegerField(
        label=_("At most this many invitations per contact in 30 days"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("Leave empty for no monthly limit."),
    )
    skip_if_completed_within_days = forms.IntegerField(
        label=_("Skip if the contact answered this survey within (days)"),
        min_value=0,
        max_value=3650,
        required=False,
    )
    skip_if_declined_within_days = forms.IntegerField(
        label=_("Skip if the contact declined this survey within (days)"),
        min_value=0,
        max_value=3650,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = policy_fields()
        if "quiet_hours_start" in fields:
            self.fields["quiet_hours_start"] = forms.TimeField(
                label=_("Quiet hours from"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                help_text=_("Emails due in quiet hours (your time zone) wait until they end."),
            )
            self.fields["quiet_hours_end"] = forms.TimeField(
                label=_("Quiet hours until"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )


class SurveyChoiceForm(forms.Form):
    """Pick a survey to give its own frequency rules."""

    survey = forms.ModelChoiceField(label=_("Survey"), queryset=Survey.objects.none())

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["survey"]
        field.queryset = Survey.objects.filter(
            organization=organization, frequency__isnull=True
        ).order_by("name")
