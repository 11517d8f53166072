"""Forms for the advocacy pages; the services validate, these collect."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from closeloop.advocacy.models import ReviewMode, ReviewSettings, ReviewSiteKind, ScoreBand
from closeloop.advocacy.services import TEXT_FIELDS


class ReviewSiteForm(forms.Form):
    """A review site: name, kind, the URL of its review page, offered or not."""

    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=ReviewSiteKind.choices)
    url = forms.URLField(
        label=_("Review page URL"),
        max_length=1000,
        assume_scheme="https",
        help_text=_("Where customers write the review, e.g. your Google review link."),
    )
    is_active = forms.BooleanField(label=_("Offer this site in review invitations"), required=False)


class ReviewSettingsForm(forms.Form):
    """Who is asked (with the acknowledgement promoters-only needs) and the wording."""

    mode = forms.ChoiceField(
        label=_("Who is asked for a review"), choices=ReviewMode.choices, widget=forms.RadioSelect
    )
    acknowledge_warning = forms.BooleanField(
        label=_(
            "I understand that Google and Trustpilot forbid asking only happy customers for "
            "reviews, and that my organization's reviews may be removed or flagged."
        ),
        required=False,
    )
    show_on_ending = forms.BooleanField(
        label=_("Show the review links on the survey's thank-you page"),
        help_text=_(
            "Every respondent sees the same offered sites under the thank-you message (in "
            "promoters-only mode, only the happiest); clicks are counted."
        ),
        required=False,
    )

    def __init__(self, *args: Any, instance: ReviewSettings, **kwargs: Any) -> None:
        initial: dict[str, Any] = {"mode": instance.mode, "show_on_ending": instance.show_on_ending}
        for code, _name in settings.LANGUAGES:
            for band in ScoreBand.values:
                for f in TEXT_FIELDS:
                    value = (instance.texts or {}).get(code, {}).get(band, {}).get(f, "")
                    initial[f"{code}__{band}__{f}"] = value
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for code, language in settings.LANGUAGES:
            for band, band_label in ScoreBand.choices:
                self.fields[f"{code}__{band}__subject"] = forms.CharField(
                    label=f"{language} · {band_label} · {_('subject')}",
                    required=False,
                    max_length=300,
                )
                self.fields[f"{code}__{band}__body"] = forms.CharField(
                    label=f"{language} · {band_label} · {_('text')}",
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )

    def texts(self) -> dict[str, dict[str, dict[str, str]]]:
        result: dict[str, dict[str, dict[str, str]]] = {}
        for code, _name in settings.LANGUAGES:
            for band in ScoreBand.values:
                result.setdefault(code, {})[band] = {
                    f: self.cleaned_data.get(f"{code}__{band}__{f}", "") for f in TEXT_FIELDS
                }
        return result

    def groups(self) -> list[tuple[str, list[tuple[Any, Any, Any]]]]:
        """(language name, [(band label, subject field, body field)]) for the template."""
        out = []
        for code, language in settings.LANGUAGES:
            rows = [
                (label, self[f"{code}__{band}__subject"], self[f"{code}__{band}__body"])
                for band, label in ScoreBand.choices
            ]
            out.append((str(language), rows))
        return out


class PoolFilterForm(forms.Form):
    """Filters of the promoter pool."""

    q = forms.CharField(label=_("Search"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any language")), *settings.LANGUAGES],
    )
    since = forms.DateField(
        label=_("Answered since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
