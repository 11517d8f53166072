"""Forms of the idea portal (public) and of the staff's idea pages; shape only, services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from closeloop.initiatives.choices import IdeaStatus, PortalVisibility
from closeloop.initiatives.ideas.selectors import PORTAL_LANGUAGES, SETTABLE_STATUSES
from closeloop.initiatives.models import IdeaPortal

HONEYPOT = "website"
LANGUAGE_NAMES = {"en": "English", "ko": "한국어", "th": "ไทย"}
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Honeypot(forms.Form):
    # Hidden from people (CSS and aria-hidden); bots that fill every field give themselves away.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))


class _Identity(_Honeypot):
    name = forms.CharField(label=_("Your name"), max_length=120, required=False)
    email = forms.EmailField(
        label=_("Your email"),
        required=False,
        help_text=_("We email you a link to confirm it's you. Only staff see your address."),
    )

    def __init__(self, *args: Any, need_identity: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.need_identity = need_identity
        if need_identity:
            self.fields["name"].required = True
            self.fields["email"].required = True
        else:
            del self.fields["name"]
            del self.fields["email"]


class ProposeForm(_Identity):
    title = forms.CharField(
        label=_("Your idea in a few words"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip
    body = forms.CharField(
        label=_("Tell us more (optional)"), max_length=5000, required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )  # fmt: skip
    field_order = ["title", "body", "name", "email", "website"]


class CommentForm(_Identity):
    body = forms.CharField(
        label=_("Your comment"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )
    field_order = ["body", "name", "email", "website"]


class IdentifyForm(_Identity):
    """Who is voting, for a visitor who has not confirmed their email yet."""


class SigninForm(_Honeypot):
    email = forms.EmailField(label=_("Your email"))


# --- staff ---------------------------------------------------------------------------------


def _color(value: str) -> None:
    if not COLOR_RE.match(value or ""):
        raise ValidationError(_("Give a colour as # and six hex digits, like #2563eb."))


class PortalSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    accent_color = forms.CharField(
        label=_("Accent colour"), max_length=7, validators=[_color],
        widget=forms.TextInput(attrs={"type": "color"}),
    )  # fmt: skip
    default_language = forms.ChoiceField(
        label=_("Default language"), choices=[(c, LANGUAGE_NAMES[c]) for c in PORTAL_LANGUAGES]
    )
    visibility = forms.ChoiceField(label=_("Who can see it"), choices=PortalVisibility.choices)

    class Meta:
        model = IdeaPortal
        fields = [
            "enabled", "visibility", "default_language", "accent_color", "logo_url",
            "moderate_ideas", "moderate_comments", "ideas_per_day", "votes_per_day",
            "comments_per_day",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        portal: IdeaPortal = self.instance
        for code in PORTAL_LANGUAGES:
            name = LANGUAGE_NAMES[code]
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title (%(lang)s)") % {"lang": name}, max_length=200, required=False,
                initial=(portal.title or {}).get(code, ""),
            )  # fmt: skip
            self.fields[f"intro_{code}"] = forms.CharField(
                label=_("Introduction (%(lang)s)") % {"lang": name}, max_length=2000,
                required=False, widget=forms.Textarea(attrs={"rows": 3}),
                initial=(portal.intro or {}).get(code, ""),
            )  # fmt: skip

    def texts(self, prefix: str) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"{prefix}_{code}"].strip()
            for code in PORTAL_LANGUAGES
            if self.cleaned_data.get(f"{prefix}_{code}", "").strip()
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(s.value, s.label) for s in SETTABLE_STATUSES],
    )
    reply = forms.CharField(
        label=_("Public reply"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the portal and emailed to every voter and the author."),
    )  # fmt: skip


class MergeForm(forms.Form):
    into = forms.IntegerField(
        label=_("Number of the idea to keep"), min_value=1,
        help_text=_(
            "This idea's votes and comments move there; someone who voted for both counts once."
        ),
    )  # fmt: skip


class LinkForm(forms.Form):
    themes: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Themes"), queryset=None, required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )  # fmt: skip
    initiative: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Initiative"), queryset=None, required=False, empty_label=_("None")
    )

    def __init__(self, *args: Any, themes: Any, initiatives: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = themes  # type: ignore[attr-defined]
        self.fields["initiative"].queryset = initiatives  # type: ignore[attr-defined]


class OfficialCommentForm(forms.Form):
    body = forms.CharField(
        label=_("Official reply"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )


class StaffIdeaForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Description"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip


STATUS_FILTERS = [
    ("", _("All on the portal")),
    ("moderation", _("Awaiting moderation")),
    *[(s.value, s.label) for s in IdeaStatus if s != IdeaStatus.PENDING],
]
