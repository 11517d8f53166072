"""The widget settings form (staff pages); checks are the services' own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Organization
from closeloop.core.errors import DomainError
from closeloop.distribution.choices import WidgetPlacement
from closeloop.distribution.models import Touchpoint, Widget
from closeloop.distribution.widget_selectors import published_surveys
from closeloop.distribution.widget_services import WidgetInvalid, clean_origins
from closeloop.surveys.models import Survey


class WidgetForm(forms.Form):
    """Name, survey, touchpoint, placement, allowed origins, triggers, activity, identity
    verification and rate limits."""

    name = forms.CharField(label=_("Name"), max_length=200)
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.none(),
        help_text=_(
            "A published survey. Questions the widget cannot show link to the survey page."
        ),
    )
    touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"), queryset=Touchpoint.objects.none(), required=False
    )
    placement = forms.ChoiceField(label=_("Placement"), choices=WidgetPlacement.choices)
    allowed_origins = forms.CharField(
        label=_("Allowed origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "The sites that may show the widget, one per line, as scheme://host[:port] "
            "(for example https://www.example.com). Other sites are refused."
        ),
    )
    url_pattern = forms.CharField(
        label=_("Only on pages matching"),
        required=False,
        max_length=500,
        help_text=_(
            "A path such as /checkout/* or a full address; * matches anything. Empty: every page."
        ),
    )
    min_seconds = forms.IntegerField(
        label=_("After this many seconds on the page"), required=False, min_value=1, max_value=3600
    )
    scroll_percent = forms.IntegerField(
        label=_("After scrolling this far down the page (%)"),
        required=False,
        min_value=1,
        max_value=100,
    )
    exit_intent = forms.BooleanField(
        label=_("When the visitor moves to leave the page (desktop)"), required=False
    )
    event = forms.CharField(
        label=_("When the page tracks this event"),
        required=False,
        max_length=100,
        help_text=_(
            "Your page calls closeloop('track', 'checkout_done'). The widget shows on the first "
            "trigger that fires; with none set it shows when the page loads."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    require_verified_identity = forms.BooleanField(
        label=_("Require verified identity"),
        required=False,
        help_text=_(
            "Visitors identified without a valid user_hash count as anonymous: no contact is "
            "created or linked."
        ),
    )
    rate_limit_per_ip = forms.IntegerField(
        label=_("Requests per minute per visitor"),
        min_value=1,
        max_value=100_000,
        initial=60,
        help_text=_("For each visitor's address. Showing the survey once takes 3 to 5 requests."),
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("Requests per minute in all"),
        min_value=1,
        max_value=100_000,
        initial=6000,
        help_text=_("The ceiling for every visitor together."),
    )

    def __init__(
        self, *args: Any, organization: Organization, widget: Widget | None = None, **kwargs: Any
    ) -> None:
        if widget is not None and "initial" not in kwargs:
            triggers = widget.triggers or {}
            kwargs["initial"] = {
                "name": widget.name,
                "survey": widget.survey_id,
                "touchpoint": widget.touchpoint_id,
                "placement": widget.placement,
                "allowed_origins": "\n".join(widget.allowed_origins or []),
                "is_active": widget.is_active,
                "require_verified_identity": widget.require_verified_identity,
                "rate_limit_per_ip": widget.rate_limit_per_ip,
                "rate_limit_per_minute": widget.rate_limit_per_minute,
                **{k: triggers.get(k) for k in ("url_pattern", "min_seconds", "scroll_percent")},
                "exit_intent": bool(triggers.get("exit_intent")),
                "event": triggers.get("event", ""),
            }
        super().__init__(*args, **kwargs)
        surveys = published_surveys(organization=organization)
        if widget is not None:
            surveys = Survey.objects.filter(
                Q(pk__in=surveys.values("pk")) | Q(pk=widget.survey_id)
            ).order_by("name")
        self.fields["survey"].queryset = surveys  # type: ignore[attr-defined]
        self.fields["touchpoint"].queryset = Touchpoint.objects.filter(  # type: ignore[attr-defined]
            organization=organization
        )

    def clean_allowed_origins(self) -> list[str]:
        lines = str(self.cleaned_data.get("allowed_origins") or "").splitlines()
        try:
            return clean_origins(lines)
        except WidgetInvalid as exc:
            raise forms.ValidationError(exc.message) from None

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as the services take them."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "survey": data["survey"],
            "touchpoint": data["touchpoint"],
            "placement": data["placement"],
            "allowed_origins": data["allowed_origins"],
            "triggers": {
                "url_pattern": data["url_pattern"],
                "min_seconds": data["min_seconds"],
                "scroll_percent": data["scroll_percent"],
                "exit_intent": data["exit_intent"],
                "event": data["event"],
            },
            "is_active": data["is_active"],
            "require_verified_identity": data["require_verified_identity"],
            "rate_limit_per_ip": data["rate_limit_per_ip"],
            "rate_limit_per_minute": data["rate_limit_per_minute"],
        }

    def add_service_error(self, error: DomainError) -> None:
        """Show a service's error next to its field (triggers.x -> x)."""
        name = (error.field or "").removeprefix("triggers.")
        self.add_error(name if name in self.fields else None, error.message)
