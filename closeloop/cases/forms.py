"""Forms of the case pages; they validate input shape only, services decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Membership, Team
from closeloop.cases.choices import WEEKDAYS, CasePriority, CaseStatus
from closeloop.cases.models import ReplyTemplate, RootCause


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.user.display_name)


class CaseCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=CasePriority.choices, initial=CasePriority.NORMAL
    )
    contact_email = forms.EmailField(
        label=_("Customer email"),
        required=False,
        help_text=_("A contact with this email is used, or created."),
    )
    assignee = MemberChoiceField(
        label=_("Assignee"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Round robin within the team"),
    )

    def __init__(self, *args: Any, teams: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = members  # type: ignore[attr-defined]


class ReplyForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=ReplyTemplate.objects.none(),
        required=False,
        empty_label=_("No template"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=280, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args: Any, templates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your colleagues see notes; they are never sent to the customer."),
    )


class ResolveForm(forms.Form):
    root_cause = forms.ModelChoiceField(
        label=_("Root cause"), queryset=RootCause.objects.none(), empty_label=_("Choose…")
    )
    note = forms.CharField(label=_("Resolution note"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, root_causes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].queryset = root_causes  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Status"), choices=CaseStatus.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class RootCauseForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=120, error_messages={"required": _("Give it a name.")}
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class SlaPolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Every team")
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *CasePriority.choices],
        required=False,
    )
    first_response_hours = forms.DecimalField(
        label=_("First response within (hours)"),
        min_value=Decimal("0.25"),
        max_digits=7,
        decimal_places=2,
    )
    resolution_hours = forms.DecimalField(
        label=_("Resolution within (hours)"),
        min_value=Decimal("0.25"),
        max_digits=7,
        decimal_places=2,
    )
    business_hours_only = forms.BooleanField(
        label=_("Count business hours only"), required=False, initial=True
    )
    escalate_to_lead = forms.BooleanField(
        label=_("Email the team lead on breach"), required=False, initial=True
    )
    raise_priority = forms.BooleanField(
        label=_("Raise the priority one step on breach"), required=False, initial=True
    )

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class BusinessHoursForm(forms.Form):
    """One open checkbox and opening/closing times per weekday."""

    def __init__(
        self, *args: Any, current: dict[int, tuple[dt.time, dt.time]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAYS:
            window = current.get(day)
            self.fields[f"open_{day}"] = forms.BooleanField(
                label=label, required=False, initial=window is not None
            )
            self.fields[f"start_{day}"] = forms.TimeField(
                label=_("Opens"),
                required=False,
                initial=window[0] if window else dt.time(9, 0),
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"end_{day}"] = forms.TimeField(
                label=_("Closes"),
                required=False,
                initial=window[1] if window else dt.time(18, 0),
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"open_{d}"], self[f"start_{d}"], self[f"end_{d}"]) for d, _label in WEEKDAYS]

    @staticmethod
    def hours_of(data: dict[str, Any]) -> dict[int, tuple[dt.time, dt.time] | None]:
        """Weekday -> (opens, closes), or None when closed, from the cleaned data."""
        result: dict[int, tuple[dt.time, dt.time] | None] = {}
        for day, _label in WEEKDAYS:
            start, end = data.get(f"start_{day}"), data.get(f"end_{day}")
            result[day] = (start, end) if data.get(f"open_{day}") and start and end else None
        return result


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=120)


class ReplyTemplateForm(forms.Form):
    """A name, then subject and body for each language of the app."""

    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, texts: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        texts = texts or {}
        for code, label in settings.LANGUAGES:
            current = texts.get(code, {})
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": label},
                max_length=280,
                required=False,
                initial=current.get("subject", ""),
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Message (%(language)s)") % {"language": label},
                required=False,
                initial=current.get("body", ""),
                widget=forms.Textarea(attrs={"rows": 6}),
            )

    @staticmethod
    def texts_of(data: dict[str, Any]) -> dict[str, dict[str, str]]:
        """Language -> subject and body, from the cleaned data."""
        return {
            code: {
                "subject": data.get(f"subject_{code}", ""),
                "body": data.get(f"body_{code}", ""),
            }
            for code, _label in settings.LANGUAGES
        }


class TeamTagsForm(forms.Form):
    """The tags a team owns, comma separated."""

    inbox_tags = forms.CharField(
        label=_("Tags this team owns"),
        required=False,
        max_length=2000,
        help_text=_(
            "Comma separated. Responses and cases with any of these tags show in this inbox, "
            "as well as what rules route here."
        ),
    )

    def clean_inbox_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["inbox_tags"].split(",") if t.strip()]
