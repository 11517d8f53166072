"""Forms of the initiative pages; they check the shape of the input, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Organization, Team, User
from closeloop.initiatives.choices import TargetMetric


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ThemeChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    language = "en"

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_in(self.language))


class InitiativeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What will change, and why customers will notice."),
    )
    owner_team = forms.ModelChoiceField(
        label=_("Owner team"), queryset=Team.objects.none(), required=False
    )
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    contributors = forms.ModelMultipleChoiceField(
        label=_("Contributing teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    target_metric = forms.ChoiceField(
        label=_("Target metric"), choices=TargetMetric.choices, initial=TargetMetric.NPS
    )
    target_survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("All surveys"),
    )
    target_touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("Every touchpoint"),
    )
    target_segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("All customers"),
    )
    target_theme = ThemeChoiceField(
        label=_("Theme"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("No theme"),
        help_text=_("For a theme share target: the theme whose share of comments should fall."),
    )
    expected_change = forms.FloatField(
        label=_("Expected change"),
        required=False,
        help_text=_(
            "In the metric's points: +5 means NPS up 5 points; -3 means the theme's share down "
            "3 points."
        ),
    )
    before_days = forms.IntegerField(
        label=_("Days before shipping to compare"), min_value=7, max_value=365, initial=60
    )
    after_days = forms.IntegerField(
        label=_("Days after shipping to compare"), min_value=7, max_value=365, initial=60
    )
    # Links carried from "create from ..." (ids, comma separated); the service checks them.
    origin = forms.CharField(required=False, widget=forms.HiddenInput)
    link_themes = forms.CharField(required=False, widget=forms.HiddenInput)
    link_root_causes = forms.CharField(required=False, widget=forms.HiddenInput)
    link_cases = forms.CharField(required=False, widget=forms.HiddenInput)
    link_contacts = forms.CharField(required=False, widget=forms.HiddenInput)
    link_ideas = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, organization: Organization, language: str = "en", **kwargs: Any
    ) -> None:
        from closeloop.contacts.models import Segment
        from closeloop.distribution.models import Touchpoint
        from closeloop.surveys.models import Survey
        from closeloop.text.choices import ThemeStatus
        from closeloop.text.models import Theme

        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(organization=organization).order_by("name")
        fields: dict[str, Any] = self.fields
        fields["owner_team"].queryset = teams
        fields["contributors"].queryset = teams
        fields["owner"].queryset = User.objects.filter(
            memberships__organization=organization
        ).order_by("full_name", "email")
        fields["target_survey"].queryset = Survey.objects.filter(organization=organization)
        fields["target_touchpoint"].queryset = Touchpoint.objects.filter(
            organization=organization
        ).order_by("name")
        fields["target_segment"].queryset = Segment.objects.filter(
            organization=organization
        ).order_by("name")
        fields["target_theme"].queryset = Theme.objects.filter(
            organization=organization, status=ThemeStatus.ACTIVE
        )
        fields["target_theme"].language = language


class TransitionForm(forms.Form):
    status = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=300, required=False)


class LinkForm(forms.Form):
    kind = forms.CharField(max_length=20)
    ids = forms.CharField(max_length=4000, required=False)
    id = forms.CharField(max_length=64, required=False)
