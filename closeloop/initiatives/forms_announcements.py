"""Forms of the announcement pages: the wording per language, and the frequency settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from closeloop.initiatives.models import OuterLoopSettings


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


class AnnouncementForm(forms.Form):
    """Subject, message and "what changed" for each language the recipients need
    (fields `<language>_subject`, `<language>_body`, `<language>_what_changed`)."""

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = languages
        for code in languages:
            name = language_name(code)
            self.fields[f"{code}_subject"] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": name}, max_length=200
            )
            self.fields[f"{code}_what_changed"] = forms.CharField(
                label=_("What changed (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=10_000,
                help_text=_("Fills {{ what_changed }} in the message."),
            )
            self.fields[f"{code}_body"] = forms.CharField(
                label=_("Message (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 12}),
                max_length=10_000,
                help_text=_(
                    "You may use {{ first_name }}, {{ what_they_said }} and {{ what_changed }}."
                ),
            )

    def sections(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(code, language name, its fields) for the per-language sections of the page."""
        return [
            (
                code,
                language_name(code),
                [self[f"{code}_subject"], self[f"{code}_what_changed"], self[f"{code}_body"]],
            )
            for code in self.languages
        ]

    def texts(self) -> dict[str, dict[str, str]]:
        return {
            code: {
                "subject": self.cleaned_data[f"{code}_subject"],
                "body": self.cleaned_data[f"{code}_body"],
            }
            for code in self.languages
        }

    def what_changed(self) -> dict[str, str]:
        return {code: self.cleaned_data[f"{code}_what_changed"] for code in self.languages}

    def add_domain_error(self, field: str | None, message: str) -> None:
        """Show a service's error beside its field ("texts.ko.subject" -> "ko_subject")."""
        name = None
        if field:
            parts = field.split(".")
            if len(parts) == 3 and parts[0] == "texts":
                name = f"{parts[1]}_{parts[2]}"
            elif len(parts) == 2 and parts[0] == "what_changed":
                name = f"{parts[1]}_what_changed"
        self.add_error(name if name in self.fields else None, message)


class FrequencyForm(forms.ModelForm[OuterLoopSettings]):
    """How often one contact may receive announcements."""

    class Meta:
        model = OuterLoopSettings
        fields = ["announcement_min_days_between", "announcement_max_per_month"]
        help_texts = {
            "announcement_min_days_between": _(
                "A contact told about one initiative is not told about another within this "
                "many days (0: no gap). Survey invitations are counted separately."
            ),
            "announcement_max_per_month": _(
                "At most this many announcements to one contact in 30 days (0: no limit)."
            ),
        }
