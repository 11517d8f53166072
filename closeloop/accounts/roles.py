"""The permission matrix: which role may do what. docs/permissions.md mirrors this table."""

from __future__ import annotations

from enum import StrEnum

from closeloop.accounts.choices import Role


class Perm(StrEnum):
    VIEW = "view"  # dashboards, responses, cases, surveys: read-only
    MANAGE_ORG = "manage_org"  # organization name, time zone, deletion
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove members
    MANAGE_TEAMS = "manage_teams"  # create, rename, delete teams and their members
    MANAGE_API_KEYS = "manage_api_keys"
    VIEW_AUDIT = "view_audit"
    EDIT_SURVEYS = "edit_surveys"  # surveys, templates, distribution, dashboards
    WORK_CASES = "work_cases"  # cases: reply, assign, resolve
    EXPORT = "export"
    VIEW_ADVOCATES = "view_advocates"  # the promoter pool: names, emails, verbatims


_ALL = frozenset(Perm)

MATRIX: dict[Role, frozenset[Perm]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL - {Perm.MANAGE_ORG},
    # Marketing members are usually analysts: they browse promoters for testimonials.
    Role.ANALYST: frozenset({Perm.VIEW, Perm.EDIT_SURVEYS, Perm.EXPORT, Perm.VIEW_ADVOCATES}),
    Role.AGENT: frozenset({Perm.VIEW, Perm.WORK_CASES}),
    Role.VIEWER: frozenset({Perm.VIEW}),
}

# Which roles a member of a given role may grant to others.
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.OWNER: frozenset(Role),
    Role.ADMIN: frozenset({Role.ADMIN, Role.ANALYST, Role.AGENT, Role.VIEWER}),
}


def has_perm(role: str, perm: Perm) -> bool:
    return perm in MATRIX.get(Role(role), frozenset())
