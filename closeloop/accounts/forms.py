"""Forms for the accounts pages; they validate input, services do the work."""

from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.choices import ApiKeyScope, Role
from closeloop.accounts.models import Membership, Organization, Team
from closeloop.core.verbs import verb_label


def language_choices() -> list[tuple[str, Any]]:
    """The interface languages, led by "Automatic" (follow the browser)."""
    return [("", _("Automatic (browser)")), *settings.LANGUAGES]


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def role_choices(roles: frozenset[Role] | set[Role]) -> list[tuple[str, Any]]:
    """Roles in the matrix order (owner first), limited to those given."""
    return [(value, label) for value, label in Role.choices if Role(value) in roles]


if TYPE_CHECKING:
    _MembershipMultipleChoice = forms.ModelMultipleChoiceField[Membership]
else:
    _MembershipMultipleChoice = forms.ModelMultipleChoiceField


class MembershipChoiceField(_MembershipMultipleChoice):
    """Members shown by name and email."""

    def label_from_instance(self, obj: Any) -> str:
        user = obj.user
        if user.full_name:
            return f"{user.full_name} ({user.email})"
        return str(user.email)


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    full_name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password."),
    )
    password_confirm = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    organization_name = forms.CharField(
        label=_("Organization name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password, confirm = cleaned.get("password"), cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return cleaned


class InvitationSignupForm(forms.Form):
    """Create an account for the invited email address (shown, not editable)."""

    email = forms.EmailField(label=_("Email"), disabled=True, required=False)
    full_name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password."),
    )
    password_confirm = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password, confirm = cleaned.get("password"), cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return cleaned


class LoginForm(AuthenticationForm):
    """Log in with an email address."""

    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("That email and password do not match an account."),
        "inactive": _("This account is inactive."),
    }


class LocalizedPasswordResetForm(PasswordResetForm):
    """Django's reset form, writing each email in the recipient's chosen language."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name=html_email_template_name,
            )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=language_choices,
        required=False,
        help_text=_("Automatic follows your browser's language."),
    )


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(label=_("Organization name"), max_length=200)


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=timezone_choices,
        help_text=_("Reports and times on every page use this time zone."),
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=settings.LANGUAGES,
        help_text=_("Used for invitations and for members who have not chosen a language."),
    )

    @classmethod
    def for_organization(cls, org: Organization, data: Any = None) -> OrganizationSettingsForm:
        initial = {
            "name": org.name,
            "time_zone": org.time_zone,
            "default_language": org.default_language,
        }
        return cls(data=data, initial=initial)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, grantable: frozenset[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = role_choices(grantable)
        if Role.VIEWER in grantable:
            role_field.initial = Role.VIEWER


class MemberEditForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        grantable: frozenset[Role],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial",
            {"role": membership.role, "teams": list(membership.teams.all())},
        )
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = role_choices(grantable | {Role(membership.role)})
        self.grantable = grantable
        self.current_role = membership.role
        teams_field = self.fields["teams"]
        assert isinstance(teams_field, forms.ModelMultipleChoiceField)
        teams_field.queryset = Team.objects.filter(organization_id=membership.organization_id)

    def clean_role(self) -> str:
        role = str(self.cleaned_data["role"])
        if role != self.current_role and Role(role) not in self.grantable:
            raise forms.ValidationError(_("You cannot give this role."))
        return role


class TeamCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_advocacy_team = forms.BooleanField(
        label=_("Customer advocacy team"),
        required=False,
        help_text=_(
            "Members from every department who meet to review feedback: they see the advocacy "
            "review and get its digest before each meeting."
        ),
    )


class TeamEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_advocacy_team = forms.BooleanField(
        label=_("Customer advocacy team"),
        required=False,
        help_text=_(
            "Members from every department who meet to review feedback: they see the advocacy "
            "review and get its digest before each meeting."
        ),
    )
    members = MembershipChoiceField(
        label=_("Members"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    leads = MembershipChoiceField(
        label=_("Team leads"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leads are notified on escalations; a lead is always a member."),
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        if "initial" not in kwargs:
            links = team.teammember_set.all()
            kwargs["initial"] = {
                "name": team.name,
                "description": team.description,
                "is_advocacy_team": team.is_advocacy_team,
                "members": [link.membership_id for link in links],
                "leads": [link.membership_id for link in links if link.is_lead],
            }
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.filter(organization_id=team.organization_id)
            .select_related("user")
            .order_by("user__email")
        )
        for name in ("members", "leads"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = members


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=120, help_text=_("Where the key is used, e.g. “Shop backend”.")
    )
    scope = forms.ChoiceField(
        label=_("Scope"), choices=ApiKeyScope.choices, initial=ApiKeyScope.READ
    )


class AuditFilterForm(forms.Form):
    verb = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args: Any, verbs: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["verb"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All actions")), *((v, verb_label(v)) for v in verbs)]
