"""Forms of the customer advocacy review: the period picker, the decision form, the decisions
filter and the review's settings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.initiatives.choices import DecisionKind, InitiativeStatus
from closeloop.initiatives.decisions import MAX_HOURS_BEFORE, MAX_PERIOD_DAYS, MAX_TEXT
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.review import PRESETS

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class PeriodForm(forms.Form):
    """?days=7|30|90 or ?days=custom&from=&to= (dates in the organization's time zone)."""

    days = forms.ChoiceField(label=_("Period"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)

    def __init__(self, *args: Any, default_days: int = 30, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        presets = sorted({*PRESETS, default_days})
        days_field = self.fields["days"]
        assert isinstance(days_field, forms.ChoiceField)
        days_field.choices = [
            *((str(n), _("Last %(n)s days") % {"n": n}) for n in presets),
            ("custom", _("Custom dates")),
        ]
        self.fields["date_from"].widget.attrs["data-testid"] = "period-from"
        self.fields["date_to"].widget.attrs["data-testid"] = "period-to"

    @property
    def custom(self) -> CustomDatesView:
        """The form without the preset field (the custom-dates part of the picker)."""
        return CustomDatesView(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("date_from"), data.get("date_to")
        if data.get("days") == "custom" and first is None and last is None:
            self.add_error("date_from", _("Choose the first day, the last day, or both."))
        if first and last and first > last:
            self.add_error("date_from", _("The first day must come before the last day."))
        return data


class CustomDatesView:
    """The date fields and errors of a PeriodForm, for the shared form_fields partial."""

    def __init__(self, form: PeriodForm) -> None:
        self.form = form

    def non_field_errors(self) -> Any:
        return self.form.non_field_errors()

    def hidden_fields(self) -> list[Any]:
        return []

    def visible_fields(self) -> list[Any]:
        return [self.form["date_from"], self.form["date_to"]]


class DecisionForm(forms.Form):
    """What the meeting decided about a theme."""

    theme = forms.UUIDField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices)
    text = forms.CharField(
        label=_("What was decided"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    initiative = forms.ChoiceField(label=_("Initiative (optional)"), required=False)
    meeting_on = forms.DateField(label=_("Meeting date"), required=False, widget=DATE)

    def __init__(
        self, *args: Any, organization: Organization, initiatives: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.organization = organization
        field = self.fields["initiative"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *initiatives]

    def clean_initiative(self) -> Initiative | None:
        value = self.cleaned_data.get("initiative")
        if not value:
            return None
        found = Initiative.objects.filter(organization=self.organization, pk=value).first()
        if found is None:
            raise forms.ValidationError(_("Choose one of your initiatives."))
        return found


def initiative_choices(organization: Organization) -> list[tuple[str, str]]:
    """The initiatives a decision may name (all but dropped ones), newest first; one query."""
    rows = Initiative.objects.filter(organization=organization).exclude(
        status=InitiativeStatus.DROPPED
    )
    return [(str(i.pk), str(i)) for i in rows.order_by("-number")]


class DecisionFilterForm(forms.Form):
    meeting_from = forms.DateField(label=_("Meetings from"), required=False, widget=DATE)
    meeting_to = forms.DateField(label=_("to"), required=False, widget=DATE)


class ReviewSettingsForm(forms.Form):
    meeting_weekday = forms.TypedChoiceField(label=_("Meeting day"), choices=WEEKDAYS, coerce=int)
    meeting_time = forms.TimeField(
        label=_("Meeting time"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("In the organization's time zone."),
    )
    digest_hours_before = forms.IntegerField(
        label=_("Send the digest this many hours before"),
        min_value=1,
        max_value=MAX_HOURS_BEFORE,
    )
    review_period_days = forms.IntegerField(
        label=_("Review period (days)"),
        min_value=1,
        max_value=MAX_PERIOD_DAYS,
        help_text=_("The period the page and the digest show unless another is chosen."),
    )
    digest_enabled = forms.BooleanField(
        label=_("Send the digest before each meeting"), required=False
    )


def meeting_time_initial(value: Any) -> dt.time:
    if isinstance(value, str):
        return dt.time.fromisoformat(value)
    assert isinstance(value, dt.time)
    return value
