"""Forms of the text pages: the explorer's filters, corrections, a case from a comment, and a
theme's names, keywords and examples per language."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Organization, Team
from closeloop.text.choices import CommentSource, Sentiment, ThemeStatus
from closeloop.text.explorer import CommentFilters
from closeloop.text.models import Theme

DAY_CHOICES = ((30, _("Last 30 days")), (90, _("Last 90 days")), (365, _("Last 12 months")),
               (0, _("All time")))  # fmt: skip
DEFAULT_DAYS = 90


def language_name(code: str) -> str:
    """A language's own name (한국어, ไทย), or the code."""
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code


def theme_choices(organization: Organization, language: str) -> list[tuple[str, str]]:
    themes = Theme.objects.filter(organization=organization, status=ThemeStatus.ACTIVE)
    return sorted(((str(t.pk), t.name_in(language)) for t in themes), key=lambda c: c[1].casefold())


class ExplorerForm(forms.Form):
    """The explorer's search and filters (a GET form: every filter is in the URL)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_('Words in any language; "quotes" for a phrase.'),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), required=False, choices=[("", _("Any")), *Sentiment.choices]
    )
    nps = forms.ChoiceField(
        label=_("NPS group"),
        required=False,
        choices=[
            ("", _("Any")),
            ("promoter", _("Promoters (9-10)")),
            ("passive", _("Passives (7-8)")),
            ("detractor", _("Detractors (0-6)")),
        ],
    )
    score_min = forms.FloatField(label=_("Score from"), required=False, min_value=0, max_value=10)
    score_max = forms.FloatField(label=_("Score to"), required=False, min_value=0, max_value=10)
    touchpoint = forms.ChoiceField(label=_("Touchpoint"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any")), *CommentSource.choices]
    )
    survey = forms.ChoiceField(label=_("Survey"), required=False)

    def __init__(
        self, *args: Any, organization: Organization, languages: list[str], language: str,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        from closeloop.contacts.selectors import segment_list
        from closeloop.distribution.models import Touchpoint
        from closeloop.surveys.models import Survey

        self.organization = organization
        date = forms.DateInput(attrs={"type": "date"})
        self.fields["from"] = forms.DateField(
            label=pgettext_lazy("date range", "From"), required=False, widget=date
        )
        self.fields["to"] = forms.DateField(
            label=pgettext_lazy("date range", "To"), required=False, widget=date
        )
        self.fields["theme"].choices = [("", _("Any")), *theme_choices(organization, language)]  # type: ignore[attr-defined]
        self.fields["touchpoint"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (str(t.pk), t.name)
            for t in Touchpoint.objects.filter(organization=organization).order_by("name")
        ]
        self.fields["segment"].choices = [("", _("All contacts"))] + [  # type: ignore[attr-defined]
            (str(s.pk), s.name) for s in segment_list(organization=organization)
        ]
        known = list(dict.fromkeys([*languages, *(code for code, _n in settings.LANGUAGES)]))
        self.fields["language"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (code, language_name(code)) for code in known
        ]
        self.fields["survey"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (str(s.pk), s.name)
            for s in Survey.objects.filter(organization=organization).order_by("name")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end date is before the start date."))
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", _("The highest score is below the lowest."))
        return data

    def filters(self) -> CommentFilters:
        """The filters as the explorer's search reads them (call after is_valid)."""
        from closeloop.contacts.models import Segment

        data = self.cleaned_data
        theme = None
        if data.get("theme"):
            theme = Theme.objects.filter(organization=self.organization, pk=data["theme"]).first()
        segment = None
        if data.get("segment"):
            segment = Segment.objects.filter(
                organization=self.organization, pk=data["segment"]
            ).first()
        return CommentFilters(
            q=data.get("q") or "",
            theme=theme,
            sentiment=data.get("sentiment") or "",
            score_min=data.get("score_min"),
            score_max=data.get("score_max"),
            nps=data.get("nps") or "",
            touchpoint_id=uuid.UUID(data["touchpoint"]) if data.get("touchpoint") else None,
            segment=segment,
            date_from=data.get("from"),
            date_to=data.get("to"),
            language=data.get("language") or "",
            source=data.get("source") or "",
            survey_id=uuid.UUID(data["survey"]) if data.get("survey") else None,
        ).with_terms()


class CorrectionForm(forms.Form):
    """A person's correction of a comment's sentiment and themes."""

    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=Sentiment.choices)
    themes = forms.MultipleChoiceField(
        label=_("Themes"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self, *args: Any, organization: Organization, language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = theme_choices(organization, language)  # type: ignore[attr-defined]


class CaseFromCommentForm(forms.Form):
    """A case about a comment: its title, the team and the priority."""

    title = forms.CharField(label=_("Title"), max_length=300)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("No team")
    )
    priority = forms.ChoiceField(label=_("Priority"))

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from closeloop.cases.choices import CasePriority

        self.fields["team"].queryset = Team.objects.filter(organization=organization).order_by(  # type: ignore[attr-defined]
            "name"
        )
        self.fields["priority"].choices = CasePriority.choices  # type: ignore[attr-defined]
        self.fields["priority"].initial = CasePriority.NORMAL


def _lines(raw: str) -> list[str]:
    """One entry per line (commas also separate keywords)."""
    return [item.strip() for item in raw.replace("\r", "").split("\n") if item.strip()]


def _keywords(raw: str) -> list[str]:
    items: list[str] = []
    for line in _lines(raw):
        items.extend(part.strip() for part in line.split(",") if part.strip())
    return list(dict.fromkeys(items))


def theme_languages(theme: Theme | None, organization: Organization) -> list[str]:
    """The languages a theme form offers: the product's, the org's, and the theme's own."""
    codes = [code for code, _name in settings.LANGUAGES]
    codes.append(organization.default_language)
    if theme is not None:
        for data in (theme.names, theme.keywords, theme.examples):
            codes.extend((data or {}).keys())
    return list(dict.fromkeys(c for c in codes if c))


class ThemeForm(forms.Form):
    """A theme's key (when adding), and its names, keywords and examples per language."""

    def __init__(
        self, *args: Any, organization: Organization, theme: Theme | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.theme = theme
        self.languages = theme_languages(theme, organization)
        if theme is None:
            self.fields["key"] = forms.SlugField(
                label=_("Key"),
                max_length=64,
                help_text=_("A short identifier that never changes, e.g. parking."),
            )
        for code in self.languages:
            name = language_name(code)
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name (%(language)s)") % {"language": name},
                max_length=120,
                required=False,
                initial=(theme.names or {}).get(code, "") if theme else "",
            )
            self.fields[f"keywords_{code}"] = forms.CharField(
                label=_("Keywords (%(language)s)") % {"language": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("One per line or separated by commas; a phrase matches in order."),
                initial="\n".join((theme.keywords or {}).get(code, [])) if theme else "",
            )
            self.fields[f"examples_{code}"] = forms.CharField(
                label=_("Example comments (%(language)s)") % {"language": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("One per line: comments that belong in this theme."),
                initial="\n".join((theme.examples or {}).get(code, [])) if theme else "",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"name_{code}", "").strip() for code in self.languages):
            first = self.languages[0] if self.languages else ""
            self.add_error(f"name_{first}" if first else None, _("Give the theme a name."))
        return data

    def values(self) -> dict[str, Any]:
        """names, keywords and examples as {language: ...} dicts, empty languages left out."""
        data = self.cleaned_data
        names = {c: data[f"name_{c}"].strip() for c in self.languages if data[f"name_{c}"].strip()}
        keywords = {
            c: _keywords(data[f"keywords_{c}"])
            for c in self.languages
            if _keywords(data[f"keywords_{c}"])
        }
        examples = {
            c: _lines(data[f"examples_{c}"])
            for c in self.languages
            if _lines(data[f"examples_{c}"])
        }
        return {"names": names, "keywords": keywords, "examples": examples}

    def language_rows(self) -> list[dict[str, Any]]:
        """The fields grouped per language, for the template."""
        return [
            {
                "code": code,
                "name": language_name(code),
                "fields": [
                    self[f"name_{code}"],
                    self[f"keywords_{code}"],
                    self[f"examples_{code}"],
                ],
            }
            for code in self.languages
        ]


class AcceptForm(forms.Form):
    """Accept a proposed theme, optionally under another name."""

    name = forms.CharField(label=_("Name"), max_length=120, required=False)


class MergeForm(forms.Form):
    """Merge a theme (or a proposal) into another theme."""

    into = forms.ChoiceField(label=_("Merge into"))

    def __init__(
        self, *args: Any, organization: Organization, exclude: Theme, language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["into"].choices = [  # type: ignore[attr-defined]
            c for c in theme_choices(organization, language) if c[0] != str(exclude.pk)
        ]

    def target(self) -> Theme:
        return Theme.objects.get(organization=self.organization, pk=self.cleaned_data["into"])
