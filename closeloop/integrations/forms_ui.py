"""Forms for the webhook pages; the services validate, these collect."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.integrations.webhooks import WEBHOOK_EVENTS


class WebhookEndpointForm(forms.Form):
    """An endpoint: where to POST, which events, on or off."""

    url = forms.URLField(
        label=_("URL"),
        max_length=1000,
        assume_scheme="https",
        help_text=_("closeloop POSTs signed JSON here (Standard Webhooks)."),
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WEBHOOK_EVENTS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only the events ticked here are sent."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
