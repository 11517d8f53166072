"""Forms for the campaign and email-template pages; the services validate, these collect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from closeloop.contacts.models import Segment
from closeloop.distribution.choices import RecurrenceUnit
from closeloop.distribution.emails import PLACEHOLDERS
from closeloop.distribution.models import Campaign, EmailTemplate, Touchpoint
from closeloop.surveys.choices import SurveyStatus
from closeloop.surveys.models import Survey

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.contacts.models import Contact

MAX_LISTED = 5000
WHEN_CHOICES = [
    ("draft", _("Save as a draft")),
    ("now", _("Send now")),
    ("later", _("Send at a scheduled time")),
]


class CampaignForm(forms.Form):
    """A campaign: what, to whom, from which template, when, reminders and recurrence."""

    name = forms.CharField(label=_("Name"), max_length=200)
    survey = forms.ModelChoiceField(label=_("Survey"), queryset=Survey.objects.none())
    touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"),
        queryset=Touchpoint.objects.none(),
        required=False,
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.none(),
        required=False,
    )
    contact_list = forms.CharField(
        label=_("Or these contacts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Emails or external ids, one per line; added to the segment's contacts."),
    )
    template = forms.ModelChoiceField(
        label=_("Email template"),
        queryset=EmailTemplate.objects.none(),
        required=False,
        empty_label=_("Default invitation"),
    )
    when = forms.ChoiceField(label=_("When"), choices=WHEN_CHOICES, initial="draft")
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the organization's time zone."),
    )
    reminder_after_days = forms.IntegerField(
        label=_("Remind after (days)"),
        required=False,
        min_value=1,
        max_value=60,
        initial=3,
        help_text=_("Leave empty for no reminders."),
    )
    max_reminders = forms.IntegerField(
        label=_("Maximum reminders"), min_value=0, max_value=5, initial=1
    )
    recurrence_every = forms.IntegerField(
        label=_("Repeat every"),
        required=False,
        min_value=1,
        max_value=52,
        help_text=_("For a relationship survey: each contact is asked at most once a period."),
    )
    recurrence_unit = forms.ChoiceField(
        label=_("Unit"), required=False, choices=[("", "—"), *RecurrenceUnit.choices]
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        campaign: Campaign | None = None,
        **kwargs: Any,
    ) -> None:
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": campaign.name,
                "survey": campaign.survey_id,
                "touchpoint": campaign.touchpoint_id,
                "segment": campaign.segment_id,
                "template": campaign.template_id,
                "contact_list": "\n".join(
                    c.email or c.external_id or "" for c in campaign.contacts.all()[:MAX_LISTED]
                ),
                "when": "later" if campaign.scheduled_at else "draft",
                "scheduled_at": campaign.scheduled_at,
                "reminder_after_days": campaign.reminder_after_days,
                "max_reminders": campaign.max_reminders,
                "recurrence_every": campaign.recurrence_every,
                "recurrence_unit": campaign.recurrence_unit,
            }
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.contacts: list[Contact] = []
        fields: Any = self.fields
        fields["survey"].queryset = Survey.objects.filter(organization=organization).exclude(
            status=SurveyStatus.CLOSED
        )
        fields["touchpoint"].queryset = Touchpoint.objects.filter(organization=organization)
        fields["segment"].queryset = Segment.objects.filter(organization=organization)
        fields["template"].queryset = EmailTemplate.objects.filter(organization=organization)

    def clean_contact_list(self) -> str:
        from closeloop.contacts.models import Contact

        raw: str = self.cleaned_data.get("contact_list") or ""
        lines = [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]
        if len(lines) > MAX_LISTED:
            raise forms.ValidationError(_("At most %(n)d contacts here; use a segment."),
                                        params={"n": MAX_LISTED})  # fmt: skip
        if not lines:
            return raw
        emails = [line.lower() for line in lines]
        found = list(
            Contact.objects.filter(organization=self.organization, erased_at__isnull=True).filter(
                Q(email__in=emails) | Q(external_id__in=lines)
            )
        )
        known = {c.email for c in found if c.email} | {c.external_id for c in found}
        missing = [line for line in lines if line not in known and line.lower() not in known]
        if missing:
            raise forms.ValidationError(
                _("No contact with these emails or ids: %(list)s"),
                params={"list": ", ".join(missing[:10])},
            )
        self.contacts = found
        return raw

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "later" and not data.get("scheduled_at"):
            self.add_error("scheduled_at", _("Choose when to send."))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "survey": data["survey"],
            "touchpoint": data.get("touchpoint"),
            "segment": data.get("segment"),
            "template": data.get("template"),
            "reminder_after_days": data.get("reminder_after_days"),
            "max_reminders": data.get("max_reminders") or 0,
            "recurrence_every": data.get("recurrence_every"),
            "recurrence_unit": data.get("recurrence_unit") or "",
        }


def template_languages(template: EmailTemplate | None) -> list[tuple[str, str]]:
    """The app's languages, then any other language the template has texts for."""
    languages = [(code, str(name)) for code, name in settings.LANGUAGES]
    known = {code for code, _name in languages}
    if template is not None:
        languages += [(code, code) for code in sorted(template.texts) if code not in known]
    return languages


class EmailTemplateForm(forms.Form):
    """A template's name and, per language, its subject, body and button text."""

    name = forms.CharField(label=_("Name"), max_length=120)

    def __init__(self, *args: Any, template: EmailTemplate | None = None, **kwargs: Any) -> None:
        self.languages = template_languages(template)
        if template is not None and "initial" not in kwargs:
            initial: dict[str, Any] = {"name": template.name}
            for code, _name in self.languages:
                for key in ("subject", "body", "button"):
                    initial[f"{key}_{code}"] = (template.texts.get(code) or {}).get(key, "")
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        hint = _("Placeholders: %(list)s") % {
            "list": ", ".join("{{" + p + "}}" for p in PLACEHOLDERS)
        }
        for code, name in self.languages:
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_("Subject (%(lang)s)") % {"lang": name}, required=False, max_length=300
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Message (%(lang)s)") % {"lang": name},
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 6}),
                help_text=hint,
            )
            self.fields[f"button_{code}"] = forms.CharField(
                label=_("Button (%(lang)s)") % {"lang": name}, required=False, max_length=80
            )

    def language_groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (code, name, [self[f"{key}_{code}"] for key in ("subject", "body", "button")])
            for code, name in self.languages
        ]

    def texts(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            code: {key: data.get(f"{key}_{code}", "") for key in ("subject", "body", "button")}
            for code, _name in self.languages
        }
