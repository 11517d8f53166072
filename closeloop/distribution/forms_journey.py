"""Forms of the journey pages: a touchpoint, and a listening post (survey + channel)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Organization
from closeloop.distribution.choices import ListeningChannel
from closeloop.surveys.models import Survey


class TouchpointForm(forms.Form):
    """Name and description of a touchpoint."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happens for the customer at this moment (optional)."),
    )


class ListeningPostForm(forms.Form):
    """A survey listening at a touchpoint through one channel."""

    survey = forms.ModelChoiceField(
        label=_("Survey"), queryset=Survey.objects.none(), empty_label=None
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=ListeningChannel.choices,
        initial=ListeningChannel.QR,
        help_text=_(
            "Web link and QR code give you a link and a printable code for this touchpoint."
        ),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["survey"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Survey.objects.filter(organization=organization).order_by("name")
