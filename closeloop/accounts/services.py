"""Writes for accounts: organizations, members, teams, invitations and API keys."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from closeloop.accounts.choices import DEFAULT_TEAMS, ApiKeyScope, Role
from closeloop.accounts.models import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    Team,
    TeamMember,
    User,
)
from closeloop.accounts.setup import run_org_setups
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.services import activity_record
from closeloop.lib.tokens import hash_token, new_token

API_KEY_PREFIX = "cl_"


def _unique_org_slug(name: str) -> str:
    base = slugify(name, allow_unicode=False)[:50] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def user_create(*, email: str, password: str, full_name: str = "", language: str = "") -> User:
    """Create a login; the email must be new and the password strong enough."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError(_("An account with this email already exists."), field="email")
    candidate = User(email=email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None
    return User.objects.create_user(email, password, full_name=full_name, language=language)


@transaction.atomic
def organization_create(
    *, name: str, owner: User, time_zone: str | None = None, default_language: str = "en"
) -> Organization:
    """Create an organization with its owner and the default teams."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the organization a name."), field="name")
    org = Organization.objects.create(
        name=name,
        slug=_unique_org_slug(name),
        time_zone=time_zone or settings.TIME_ZONE,
        default_language=default_language,
    )
    membership = Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    # Default team names are data the org can rename, written in the org's own language.
    with translation.override(default_language):
        for slug, label in DEFAULT_TEAMS:
            Team.objects.create(organization=org, slug=slug, name=str(label))
    run_org_setups(org)
    activity_record(organization=org, actor=owner, verb="organization.created", target=org)
    activity_record(
        organization=org,
        actor=owner,
        verb="member.added",
        target=membership,
        data={"role": Role.OWNER},
    )
    return org


@transaction.atomic
def signup(
    *, email: str, password: str, organization_name: str, full_name: str = "", language: str = ""
) -> tuple[User, Organization]:
    """Sign up: a new user who owns a new organization."""
    if not organization_name.strip():
        raise DomainError(_("Give the organization a name."), field="organization_name")
    user = user_create(email=email, password=password, full_name=full_name, language=language)
    org = organization_create(name=organization_name, owner=user, default_language=language or "en")
    return user, org


def organization_update(
    *, organization: Organization, actor: User, name: str, time_zone: str, default_language: str
) -> Organization:
    organization.name = name.strip() or organization.name
    organization.time_zone = time_zone
    organization.default_language = default_language
    organization.save(update_fields=["name", "time_zone", "default_language", "updated_at"])
    activity_record(
        organization=organization, actor=actor, verb="organization.updated", target=organization
    )
    return organization


def membership_set_role(*, membership: Membership, role: str, actor: User) -> Membership:
    """Change a member's role; the last owner cannot be demoted."""
    if membership.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.filter(organization=membership.organization, role=Role.OWNER)
        if owners.count() <= 1:
            raise DomainError(_("The organization must keep at least one owner."), field="role")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    activity_record(
        organization=membership.organization,
        actor=actor,
        verb="member.role_changed",
        target=membership,
        data={"from": old, "to": role},
    )
    return membership


def membership_remove(*, membership: Membership, actor: User) -> None:
    if membership.role == Role.OWNER:
        owners = Membership.objects.filter(organization=membership.organization, role=Role.OWNER)
        if owners.count() <= 1:
            raise DomainError(_("The organization must keep at least one owner."))
    activity_record(
        organization=membership.organization, actor=actor, verb="member.removed", target=membership
    )
    membership.delete()


def team_create(
    *,
    organization: Organization,
    name: str,
    actor: User | None,
    description: str = "",
    api_key: ApiKey | None = None,
    is_advocacy_team: bool = False,
) -> Team:
    """Create a team; its name must be new in the organization."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the team a name."), field="name")
    if Team.objects.filter(organization=organization, name__iexact=name).exists():
        raise ConflictError(_("A team with this name already exists."), field="name")
    base = slugify(name)[:50] or "team"
    slug, n = base, 1
    while Team.objects.filter(organization=organization, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    team = Team.objects.create(
        organization=organization,
        name=name,
        slug=slug,
        description=description,
        is_advocacy_team=is_advocacy_team,
    )
    activity_record(
        organization=organization, actor=actor, api_key=api_key, verb="team.created", target=team
    )
    return team


def team_update(
    *,
    team: Team,
    name: str,
    description: str,
    actor: User | None,
    api_key: ApiKey | None = None,
    is_advocacy_team: bool | None = None,
) -> Team:
    """Rename a team or change its description (or its advocacy flag, when given); the name
    stays unique."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the team a name."), field="name")
    clash = Team.objects.filter(organization=team.organization, name__iexact=name).exclude(
        pk=team.pk
    )
    if clash.exists():
        raise ConflictError(_("A team with this name already exists."), field="name")
    team.name, team.description = name, description
    if is_advocacy_team is not None:
        team.is_advocacy_team = is_advocacy_team
    team.save(update_fields=["name", "description", "is_advocacy_team", "updated_at"])
    activity_record(
        organization=team.organization,
        actor=actor,
        api_key=api_key,
        verb="team.updated",
        target=team,
    )
    return team


def team_delete(*, team: Team, actor: User | None, api_key: ApiKey | None = None) -> None:
    """Delete a team; its members stay in the organization."""
    activity_record(
        organization=team.organization,
        actor=actor,
        api_key=api_key,
        verb="team.deleted",
        target=team,
    )
    team.delete()


def team_set_members(
    *,
    team: Team,
    memberships: list[Membership],
    leads: list[Membership] | None = None,
    actor: User | None,
) -> Team:
    """Replace a team's members (all from the team's organization)."""
    lead_ids = {m.pk for m in leads or []}
    for m in memberships:
        if m.organization_id != team.organization_id:
            raise DomainError(_("Members must belong to this organization."), field="members")
    with transaction.atomic():
        TeamMember.objects.filter(team=team).delete()
        TeamMember.objects.bulk_create(
            TeamMember(team=team, membership=m, is_lead=m.pk in lead_ids) for m in memberships
        )
    activity_record(
        organization=team.organization,
        actor=actor,
        verb="team.members_changed",
        target=team,
        data={"members": [m.user.email for m in memberships]},
    )
    return team


def invitation_create(
    *, organization: Organization, email: str, role: str, invited_by: User
) -> tuple[Invitation, str]:
    """Invite someone by email; returns the invitation and its one-time token (sent by email)."""
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ConflictError(_("This person is already a member."), field="email")
    token = new_token()
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    activity_record(
        organization=organization,
        actor=invited_by,
        verb="invitation.created",
        target=invitation,
        data={"role": role},
    )
    return invitation, token


def invitation_lookup(*, token: str) -> Invitation:
    """The invitation behind a link, if it can still be used."""
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise DomainError(_("This invitation link is not valid."), code="invalid_invitation")
    if invitation.accepted_at is not None:
        raise DomainError(_("This invitation has already been used."), code="used_invitation")
    if invitation.expires_at <= timezone.now():
        raise DomainError(
            _("This invitation has expired. Ask for a new one."), code="expired_invitation"
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Accept an invitation: the link works once; the user joins with the invited role."""
    invitation = invitation_lookup(token=token)
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=user
    )
    if not claimed:
        raise DomainError(_("This invitation has already been used."), code="used_invitation")
    membership, created = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    if created:
        activity_record(
            organization=invitation.organization,
            actor=user,
            verb="member.joined",
            target=membership,
            data={"role": invitation.role},
        )
    return membership


def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    activity_record(
        organization=invitation.organization,
        actor=actor,
        verb="invitation.revoked",
        target=invitation,
    )
    return invitation


def api_key_create(
    *, organization: Organization, name: str, scope: str, created_by: User | None
) -> tuple[ApiKey, str]:
    """Create an API key; the full key is returned once and only its hash is kept."""
    if scope not in ApiKeyScope.values:
        raise DomainError(_("Scope must be read or write."), field="scope")
    secret = new_token(API_KEY_PREFIX)
    key = ApiKey.objects.create(
        organization=organization,
        name=name.strip() or _("API key"),
        prefix=secret[:10],
        key_hash=hash_token(secret),
        scope=scope,
        created_by=created_by,
    )
    activity_record(
        organization=organization,
        actor=created_by,
        verb="api_key.created",
        target=key,
        data={"scope": scope},
    )
    return key, secret


def api_key_revoke(*, api_key: ApiKey, actor: User | None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        activity_record(
            organization=api_key.organization, actor=actor, verb="api_key.revoked", target=api_key
        )
    return api_key


def api_key_authenticate(*, secret: str) -> ApiKey | None:
    """The active key matching a bearer secret, with its last use recorded."""
    key = (
        ApiKey.objects.select_related("organization")
        .filter(key_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
    return key


def user_update(*, user: User, full_name: str | None = None, language: str | None = None) -> User:
    """Change a user's own profile: display name and interface language ("" follows the browser)."""
    fields = ["full_name", "language"]
    if full_name is not None:
        user.full_name = full_name.strip()
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise DomainError(_("Choose one of the offered languages."), field="language")
        user.language = language
    user.save(update_fields=fields)
    return user


@transaction.atomic
def membership_set_teams(*, membership: Membership, teams: list[Team], actor: User) -> Membership:
    """Put a member in exactly these teams of the organization (lead flags kept where they stay)."""
    for team in teams:
        if team.organization_id != membership.organization_id:
            raise DomainError(_("Teams must belong to this organization."), field="teams")
    keep = {t.pk for t in teams}
    TeamMember.objects.filter(membership=membership).exclude(team_id__in=keep).delete()
    present = set(
        TeamMember.objects.filter(membership=membership).values_list("team_id", flat=True)
    )
    TeamMember.objects.bulk_create(
        TeamMember(team=t, membership=membership) for t in teams if t.pk not in present
    )
    activity_record(
        organization=membership.organization,
        actor=actor,
        verb="member.teams_changed",
        target=membership,
        data={"teams": sorted(t.name for t in teams)},
    )
    return membership


@transaction.atomic
def invitation_signup(
    *, token: str, password: str, full_name: str = "", language: str = ""
) -> tuple[User, Membership]:
    """Create an account for the invited email and accept the invitation, all or nothing."""
    invitation = invitation_lookup(token=token)
    user = user_create(
        email=invitation.email, password=password, full_name=full_name, language=language
    )
    membership = invitation_accept(token=token, user=user)
    return user, membership
