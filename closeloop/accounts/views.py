"""Pages for accounts: sign-up, log-in, profile, organizations, members, teams, API keys, audit."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from closeloop.accounts import selectors, services
from closeloop.accounts.access import access_object, org_view
from closeloop.accounts.choices import Role
from closeloop.accounts.emails import send_invitation_email
from closeloop.accounts.forms import (
    ApiKeyCreateForm,
    AuditFilterForm,
    InvitationSignupForm,
    InviteForm,
    LocalizedPasswordResetForm,
    LoginForm,
    MemberEditForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
    ProfileForm,
    SignupForm,
    TeamCreateForm,
    TeamEditForm,
)
from closeloop.accounts.models import ApiKey, Invitation, Membership, Organization, Team, User
from closeloop.accounts.roles import GRANTABLE, MATRIX, Perm
from closeloop.core.errors import DomainError
from closeloop.core.selectors import activity_list

AUDIT_PAGE_SIZE = 50


# --- small helpers ---------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _membership(request: HttpRequest) -> Membership:
    return cast(Membership, request.membership)  # type: ignore[attr-defined]


def _form_error(form: Form, error: DomainError) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _grantable(membership: Membership) -> frozenset[Role]:
    return GRANTABLE.get(Role(membership.role), frozenset())


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
        )


# --- entry points ----------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Send a visitor to log in, and a member to the organization they last used."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    memberships = list(selectors.user_memberships(user=_user(request)))
    if not memberships:
        return redirect("accounts:org_create")
    current = request.session.get("current_org")
    slugs = [m.organization.slug for m in memberships]
    slug = current if current in slugs else slugs[0]
    return redirect("accounts:org_home", org_slug=slug)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})


@never_cache
def signup_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect("accounts:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, org = services.signup(
                email=data["email"],
                password=data["password"],
                organization_name=data["organization_name"],
                full_name=data["full_name"],
                language=data["language"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            request.session["current_org"] = org.slug
            messages.success(request, _("Welcome to closeloop. Your organization is ready."))
            response = redirect("accounts:org_home", org_slug=org.slug)
            if user.language:
                _set_language_cookie(response, user.language)
            return response
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        language = getattr(form.get_user(), "language", "")
        if language:
            _set_language_cookie(response, language)
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, _("You are logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LocalizedPasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "accounts/email/password_reset_email.txt"
    html_email_template_name = "accounts/email/password_reset_email.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = {"base_url": settings.BASE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


# --- invitations -----------------------------------------------------------------------------


@never_cache
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Join an organization from an emailed link: one click if logged in, else log in or sign up."""
    try:
        invitation = services.invitation_lookup(token=token)
    except DomainError as exc:
        status = 404 if exc.code == "invalid_invitation" else 410
        return render(request, "accounts/invitation_invalid.html", {"error": exc}, status=status)

    form = InvitationSignupForm(
        request.POST if request.method == "POST" and not request.user.is_authenticated else None,
        initial={"email": invitation.email},
    )
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                membership = services.invitation_accept(token=token, user=_user(request))
            elif form.is_valid():
                user, membership = services.invitation_signup(
                    token=token,
                    password=form.cleaned_data["password"],
                    full_name=form.cleaned_data["full_name"],
                )
                auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            else:
                membership = None
        except DomainError as exc:
            if exc.code.endswith("_invitation"):
                status = 404 if exc.code == "invalid_invitation" else 410
                return render(
                    request, "accounts/invitation_invalid.html", {"error": exc}, status=status
                )
            _form_error(form, exc)
            membership = None
        if membership is not None:
            org = membership.organization
            request.session["current_org"] = org.slug
            messages.success(
                request,
                _("You joined %(org)s as %(role)s.")
                % {"org": org.name, "role": membership.get_role_display()},
            )
            return redirect("accounts:org_home", org_slug=org.slug)

    login_url = reverse("accounts:login") + "?next=" + request.path
    signed_in_as_other = (
        request.user.is_authenticated and _user(request).email.lower() != invitation.email.lower()
    )
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "login_url": login_url,
            "signed_in_as_other": signed_in_as_other,
        },
    )


# --- profile and language --------------------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(
        request.POST or None, initial={"full_name": user.full_name, "language": user.language}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(
                user=user,
                full_name=form.cleaned_data["full_name"],
                language=form.cleaned_data["language"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            response = redirect("accounts:profile")
            _set_language_cookie(response, user.language)
            return response
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (cookie, and the user's setting when logged in)."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request, reverse("accounts:home")))
    if language and language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        services.user_update(user=_user(request), language=language)
    _set_language_cookie(response, language)
    return response


# --- organizations ---------------------------------------------------------------------------


@login_required
def org_create_view(request: HttpRequest) -> HttpResponse:
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _user(request)
        try:
            org = services.organization_create(
                name=form.cleaned_data["name"],
                owner=user,
                default_language=user.language or request.LANGUAGE_CODE or "en",
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session["current_org"] = org.slug
            messages.success(request, _("%(org)s is ready.") % {"org": org.name})
            return redirect("accounts:org_home", org_slug=org.slug)
    return render(request, "accounts/org_create.html", {"form": form})


@org_view()
def org_home(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    teams = (
        Team.objects.filter(organization=org)
        .annotate(member_count=Count("members"))
        .order_by("name")
    )
    context = {
        "member_count": Membership.objects.filter(organization=org).count(),
        "pending_invitations": selectors.invitation_list_pending(organization=org).count(),
        "teams": teams,
        "activities": activity_list(organization=org)[:10],
    }
    # The home page leads with the CX overview: how customers feel, and the loop.
    from closeloop.analytics.views_dashboards import overview_panel

    context.update(overview_panel(request, org))
    return render(request, "accounts/org_home.html", context)


@org_view(read=Perm.MANAGE_ORG)
def org_settings(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = OrganizationSettingsForm.for_organization(
        org, data=request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(
                organization=org,
                actor=_user(request),
                name=form.cleaned_data["name"],
                time_zone=form.cleaned_data["time_zone"],
                default_language=form.cleaned_data["default_language"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Organization settings saved."))
            return redirect("accounts:org_settings", org_slug=org.slug)
    return render(request, "accounts/org_settings.html", {"form": form})


# --- members and invitations -----------------------------------------------------------------


@org_view(read=Perm.VIEW, write=Perm.MANAGE_MEMBERS)
def members(request: HttpRequest) -> HttpResponse:
    org, me = _org(request), _membership(request)
    grantable = _grantable(me)
    form = InviteForm(request.POST or None, grantable=grantable)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = services.invitation_create(
                organization=org,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=_user(request),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            send_invitation_email(invitation=invitation, token=token)
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("accounts:members", org_slug=org.slug)
    memberships = selectors.member_list(organization=org)
    rows = [
        {
            "membership": m,
            "editable": Role(m.role) in grantable,
        }
        for m in memberships
    ]
    context = {
        "rows": rows,
        "invitations": selectors.invitation_list_pending(organization=org),
        "form": form,
        "can_manage": Perm.MANAGE_MEMBERS.value in _perms(me),
    }
    return render(request, "accounts/members.html", context)


def _perms(membership: Membership) -> set[str]:
    return {p.value for p in MATRIX[Role(membership.role)]}


def _check_may_touch(actor: Membership, target: Membership) -> None:
    """An admin cannot change or remove an owner; nobody may touch a role above what they grant."""
    if Role(target.role) not in _grantable(actor):
        raise PermissionDenied


@org_view(read=Perm.MANAGE_MEMBERS, write=Perm.MANAGE_MEMBERS)
def member_edit(request: HttpRequest, membership_id: str) -> HttpResponse:
    org, me = _org(request), _membership(request)
    target = access_object(
        Membership.objects.select_related("user", "organization"),
        organization=org,
        pk=membership_id,
    )
    _check_may_touch(me, target)
    form = MemberEditForm(request.POST or None, membership=target, grantable=_grantable(me))
    if request.method == "POST" and form.is_valid():
        actor = _user(request)
        try:
            if form.cleaned_data["role"] != target.role:
                services.membership_set_role(
                    membership=target, role=form.cleaned_data["role"], actor=actor
                )
            services.membership_set_teams(
                membership=target, teams=list(form.cleaned_data["teams"]), actor=actor
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(name)s was updated.") % {"name": target.user})
            return redirect("accounts:members", org_slug=org.slug)
    return render(request, "accounts/member_edit.html", {"form": form, "target": target})


@org_view(read=Perm.MANAGE_MEMBERS, write=Perm.MANAGE_MEMBERS)
@require_POST
def member_remove(request: HttpRequest, membership_id: str) -> HttpResponse:
    org, me = _org(request), _membership(request)
    target = access_object(
        Membership.objects.select_related("user", "organization"),
        organization=org,
        pk=membership_id,
    )
    _check_may_touch(me, target)
    try:
        services.membership_remove(membership=target, actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:members", org_slug=org.slug)
    if target.pk == me.pk:
        request.session.pop("current_org", None)
        messages.success(request, _("You left %(org)s.") % {"org": org.name})
        return redirect("accounts:home")
    messages.success(request, _("%(name)s was removed.") % {"name": target.user})
    return redirect("accounts:members", org_slug=org.slug)


@org_view(read=Perm.MANAGE_MEMBERS, write=Perm.MANAGE_MEMBERS)
@require_POST
def invitation_revoke_view(request: HttpRequest, invitation_id: str) -> HttpResponse:
    org = _org(request)
    invitation = access_object(Invitation.objects.all(), organization=org, pk=invitation_id)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        services.invitation_revoke(invitation=invitation, actor=_user(request))
        messages.success(
            request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email}
        )
    return redirect("accounts:members", org_slug=org.slug)


# --- teams -----------------------------------------------------------------------------------


@org_view(read=Perm.VIEW, write=Perm.MANAGE_TEAMS)
def teams(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                organization=org,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=_user(request),
                is_advocacy_team=form.cleaned_data["is_advocacy_team"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("accounts:team_edit", org_slug=org.slug, team_id=team.pk)
    context = {
        "teams": selectors.team_list(organization=org).order_by("name"),
        "form": form,
        "can_manage": Perm.MANAGE_TEAMS.value in _perms(_membership(request)),
    }
    return render(request, "accounts/teams.html", context)


@org_view(read=Perm.VIEW, write=Perm.MANAGE_TEAMS)
def team_edit(request: HttpRequest, team_id: str) -> HttpResponse:
    org = _org(request)
    team = access_object(Team.objects.all(), organization=org, pk=team_id)
    form = TeamEditForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        leads = list(data["leads"])
        members_chosen = list(data["members"])
        chosen_ids = {m.pk for m in members_chosen}
        members_chosen += [m for m in leads if m.pk not in chosen_ids]
        actor = _user(request)
        try:
            services.team_update(
                team=team,
                name=data["name"],
                description=data["description"],
                actor=actor,
                is_advocacy_team=data["is_advocacy_team"],
            )
            services.team_set_members(
                team=team, memberships=members_chosen, leads=leads, actor=actor
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
            return redirect("accounts:teams", org_slug=org.slug)
    links = team.teammember_set.select_related("membership__user").order_by(
        "-is_lead", "membership__user__email"
    )
    context = {
        "team": team,
        "form": form,
        "links": links,
        "can_manage": Perm.MANAGE_TEAMS.value in _perms(_membership(request)),
    }
    return render(request, "accounts/team_edit.html", context)


@org_view(read=Perm.MANAGE_TEAMS, write=Perm.MANAGE_TEAMS)
def team_delete_view(request: HttpRequest, team_id: str) -> HttpResponse:
    org = _org(request)
    team = access_object(Team.objects.all(), organization=org, pk=team_id)
    if request.method == "POST":
        name = team.name
        services.team_delete(team=team, actor=_user(request))
        messages.success(request, _("Team %(name)s deleted.") % {"name": name})
        return redirect("accounts:teams", org_slug=org.slug)
    return render(request, "accounts/team_delete.html", {"team": team})


# --- API keys --------------------------------------------------------------------------------


@org_view(read=Perm.MANAGE_API_KEYS, write=Perm.MANAGE_API_KEYS)
@never_cache
def api_keys(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = services.api_key_create(
                organization=org,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                created_by=_user(request),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            # The secret is rendered once, never stored in the session or a redirect.
            response = render(
                request, "accounts/api_key_created.html", {"key": key, "secret": secret}
            )
            response["Cache-Control"] = "no-store"
            return response
    context = {"keys": selectors.api_key_list(organization=org), "form": form}
    return render(request, "accounts/api_keys.html", context)


@org_view(read=Perm.MANAGE_API_KEYS, write=Perm.MANAGE_API_KEYS)
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id: str) -> HttpResponse:
    org = _org(request)
    key = access_object(ApiKey.objects.all(), organization=org, pk=key_id)
    services.api_key_revoke(api_key=key, actor=_user(request))
    messages.success(request, _("API key %(name)s was revoked.") % {"name": key.name})
    return redirect("accounts:api_keys", org_slug=org.slug)


# --- audit log -------------------------------------------------------------------------------


@org_view(read=Perm.VIEW_AUDIT)
def audit(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    verbs = sorted(
        set(activity_list(organization=org).order_by().values_list("verb", flat=True).distinct())
    )
    form = AuditFilterForm(request.GET or None, verbs=verbs)
    verb = form.cleaned_data["verb"] if form.is_valid() else ""
    paginator = Paginator(activity_list(organization=org, verb=verb or None), AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = urlencode({"verb": verb}) + "&" if verb else ""
    context = {"form": form, "page": page, "verb": verb, "query": query}
    return render(request, "accounts/audit.html", context)
