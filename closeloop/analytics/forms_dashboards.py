"""Forms of the dashboard pages: the page filters, a dashboard's name, a widget's settings (built
from the widget kind's pydantic schema), and the share panel."""

from __future__ import annotations

import typing
import uuid
from typing import Any, Literal, get_args, get_origin

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel

from closeloop.accounts.models import Organization
from closeloop.analytics.dashboards import schemas
from closeloop.analytics.models import DashboardVisibility, WidgetKind
from closeloop.contacts.models import AttributeDefinition, Segment
from closeloop.distribution.models import Touchpoint
from closeloop.responses.choices import Channel
from closeloop.surveys.models import Survey

ANY: list[tuple[str, Any]] = [("", _("All"))]


def _surveys(organization: Organization) -> list[tuple[str, Any]]:
    rows = Survey.objects.filter(organization=organization).order_by("name")
    return [(str(pk), name) for pk, name in rows.values_list("pk", "name")]


class PageFilterForm(forms.Form):
    """The filters above a dashboard: they apply to every widget of the page."""

    period = forms.ChoiceField(label=_("Period"), choices=list(schemas.PERIOD_LABELS.items()))
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    survey = forms.ChoiceField(label=_("Survey"), required=False)
    touchpoint = forms.ChoiceField(label=_("Touchpoint"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=ANY + Channel.choices)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=ANY + list(settings.LANGUAGES)
    )
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    basis = forms.ChoiceField(
        label=_("Count"), required=False, choices=list(schemas.BASIS_LABELS.items())
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        choice = typing.cast(forms.ChoiceField, self.fields["survey"])
        choice.choices = ANY + _surveys(organization)
        touchpoints = Touchpoint.objects.filter(organization=organization).order_by(
            "position", "name"
        )
        choice = typing.cast(forms.ChoiceField, self.fields["touchpoint"])
        choice.choices = ANY + [(str(pk), n) for pk, n in touchpoints.values_list("pk", "name")]
        segments = Segment.objects.filter(organization=organization).order_by("name")
        choice = typing.cast(forms.ChoiceField, self.fields["segment"])
        choice.choices = ANY + [(str(pk), n) for pk, n in segments.values_list("pk", "name")]

    @classmethod
    def initial_for(cls, filters: schemas.PageFilters) -> dict[str, Any]:
        data = filters.model_dump()
        return {
            k: ("" if v is None else str(v) if isinstance(v, uuid.UUID) else v)
            for k, v in data.items()
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                self.filters = schemas.PageFilters.model_validate(
                    {k: v for k, v in data.items() if v not in ("", None)}
                )
            except ValueError as exc:
                raise forms.ValidationError(_first_message(exc)) from None
        return data


def _first_message(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        items = errors()
        if items:
            return str(items[0].get("msg", exc)).removeprefix("Value error, ")
    return str(exc)


class DashboardForm(forms.Form):
    """A dashboard's name and (custom dashboards) who among the members may see it."""

    name = forms.CharField(label=_("Name"), max_length=200)
    visibility = forms.ChoiceField(
        label=_("Who can see it"),
        choices=DashboardVisibility.choices,
        initial=DashboardVisibility.MEMBERS,
        widget=forms.RadioSelect,
    )


class WidgetAddForm(forms.Form):
    """Add a widget: its kind and an optional title (settings come next)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=WidgetKind.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for a title that says what the widget shows."),
    )


class ShareLinkForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=120,
        required=False,
        help_text=_("Who the link is for, e.g. “Screen in the Gangnam store”."),
    )


FIELD_LABELS: dict[str, Any] = {
    "metric": _("Metric"),
    "figure": _("Show"),
    "compare": _("Compare with the previous period"),
    "interval": _("Interval"),
    "by": _("Break down by"),
    "attribute": _("Contact attribute"),
    "question": _("Question key"),
    "survey": _("Survey"),
    "limit": _("How many"),
    "band": _("Scores"),
    "contains": _("Containing any of these words"),
    "tags": _("With any of these tags"),
    "team_inbox": _("Only feedback routed to this dashboard's team"),
    "target": _("Explain"),
    "team_only": _("Only the cases of this dashboard's team"),
}
FIELD_HELP: dict[str, Any] = {
    "contains": _("Separate words with commas; empty shows every comment."),
    "tags": _("Tags set by automation rules, separated by commas."),
    "question": _("The key of a choice question, e.g. q3 (for “Choice shares”)."),
}
CHOICE_LABELS: dict[str, dict[str, Any]] = {
    "metric": {**schemas.METRIC_LABELS, "choice": _("Choice shares")},
    "target": schemas.METRIC_LABELS,
    "figure": schemas.FIGURE_LABELS,
    "interval": schemas.INTERVAL_LABELS,
    "by": schemas.BREAKDOWN_LABELS,
    "band": schemas.BAND_LABELS,
}


class WidgetConfigForm(forms.Form):
    """A widget's title and settings; the fields come from its kind's pydantic schema."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)

    def __init__(self, *args: Any, kind: str, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        model: type[BaseModel] = schemas.CONFIG_MODELS[kind]
        for name, info in model.model_fields.items():
            self.fields[name] = _field_for(name, info.annotation, organization)

    @classmethod
    def initial_for(cls, title: str, config: BaseModel) -> dict[str, Any]:
        initial: dict[str, Any] = {"title": title}
        for name, value in config.model_dump(mode="json").items():
            initial[name] = ", ".join(value) if isinstance(value, list) else value
        return initial

    def config(self) -> dict[str, Any]:
        """The settings as the schema expects them (validated by the service)."""
        data = dict(self.cleaned_data)
        data.pop("title", None)
        out: dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(self.fields[name], _WordsField):
                out[name] = value
            elif value in ("", None) and not isinstance(self.fields[name], forms.BooleanField):
                continue
            else:
                out[name] = value
        return out


class _WordsField(forms.CharField):
    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [w.strip() for w in text.replace("、", ",").split(",") if w.strip()]


def _field_for(name: str, annotation: Any, organization: Organization) -> forms.Field:
    label = FIELD_LABELS.get(name, name)
    help_text = FIELD_HELP.get(name, "")
    args = get_args(annotation)
    if annotation is bool:
        return forms.BooleanField(label=label, required=False, help_text=help_text)
    if annotation is int:
        return forms.IntegerField(label=label, min_value=1, max_value=50, help_text=help_text)
    if get_origin(annotation) is Literal:
        labels = CHOICE_LABELS.get(name, {})
        return forms.ChoiceField(
            label=label,
            choices=[(v, labels.get(v, v)) for v in args],
            help_text=help_text,
        )
    if name == "survey":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", _("The page's survey")), *_surveys(organization)],
            help_text=help_text,
        )
    if get_origin(annotation) is list:
        return _WordsField(label=label, required=False, help_text=help_text)
    if name == "attribute":
        keys = AttributeDefinition.objects.filter(organization=organization).order_by("key")
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "—")] + [(k, lbl) for k, lbl in keys.values_list("key", "label")],
            help_text=help_text,
        )
    return forms.CharField(label=label, required=False, max_length=64, help_text=help_text)
