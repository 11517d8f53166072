"""Forms of the survey pages: new survey, import, link settings, list filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from closeloop.surveys.choices import SurveyStatus
from closeloop.surveys.templates_library import list_templates

SCRATCH = "scratch"
MAX_UPLOAD_BYTES = 2_000_000


def template_choices() -> list[tuple[str, str]]:
    """ "From scratch" and every template, named in the person's language."""
    language = (get_language() or "en").split("-")[0]
    choices = [(SCRATCH, str(_("From scratch")))]
    choices += [(info.id, info.localized_name(language)) for info in list_templates()]
    return choices


class SurveyCreateForm(forms.Form):
    """A new survey: its name, where it starts from, and the languages it is written in."""

    name = forms.CharField(label=_("Survey name"), max_length=200)
    source = forms.ChoiceField(label=_("Start from"), widget=forms.RadioSelect, initial=SCRATCH)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The first one ticked is the default language."),
    )

    def __init__(self, *args: Any, default_language: str = "en", **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("languages", [default_language])
        super().__init__(*args, **kwargs)
        source = self.fields["source"]
        assert isinstance(source, forms.ChoiceField)
        source.choices = template_choices()


class SurveyImportForm(forms.Form):
    """Upload a survey exported as JSON or YAML to create a new survey."""

    file = forms.FileField(
        label=_("Survey file (JSON or YAML)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.yaml,.yml"}),
    )
    name = forms.CharField(
        label=_("Name (optional)"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the name in the file."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 2 MB)."))
        name = (upload.name or "").lower()
        if not name.endswith((".json", ".yaml", ".yml")):
            raise forms.ValidationError(_("Upload a .json, .yaml or .yml file."))
        return upload

    @property
    def format(self) -> str:
        return "json" if self.cleaned_data["file"].name.lower().endswith(".json") else "yaml"

    def text(self) -> str:
        raw: bytes = self.cleaned_data["file"].read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


class SurveySettingsForm(forms.Form):
    """The survey's name and anonymous-link settings."""

    name = forms.CharField(label=_("Survey name"), max_length=200)
    single_response_per_browser = forms.BooleanField(
        label=_("One response per browser"), required=False
    )
    response_limit = forms.IntegerField(
        label=_("Response limit"),
        min_value=0,
        required=False,
        help_text=_("Stop accepting responses after this many; leave empty for no limit."),
    )


class SurveyFilterForm(forms.Form):
    """Search and filter the survey list."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *SurveyStatus.choices],
    )
