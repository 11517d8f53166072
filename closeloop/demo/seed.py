"""The demo organizations, built through the same services the app uses.

`seed_demo()` runs each step in SEED_STEPS. A step is keyed by fixed slugs and emails and does
nothing when its data is already there, so running the demo twice duplicates nothing. Later
features add their own step (surveys, responses, cases, ...) to SEED_STEPS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from closeloop.accounts.choices import ApiKeyScope, Role
from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.accounts.services import (
    api_key_create,
    invitation_accept,
    invitation_create,
    organization_create,
    team_set_members,
)
from closeloop.demo.advocacy import seed_demo_advocacy
from closeloop.demo.automation import seed_demo_automation
from closeloop.demo.campaigns import seed_demo_campaigns
from closeloop.demo.cases import seed_demo_cases
from closeloop.demo.contacts import seed_demo_contacts
from closeloop.demo.events import seed_demo_events
from closeloop.demo.journey import seed_demo_journey
from closeloop.demo.seed_alerts import seed_demo_alerts
from closeloop.demo.seed_analytics import seed_demo_analytics
from closeloop.demo.seed_dashboards import seed_demo_dashboards
from closeloop.demo.widgets import seed_demo_widgets
from closeloop.initiatives.demo_announcements import seed_demo_announcements
from closeloop.initiatives.demo_ideas import seed_demo_ideas
from closeloop.initiatives.demo_impact import seed_demo_impact
from closeloop.initiatives.demo_initiatives import seed_demo_initiatives
from closeloop.initiatives.demo_review import seed_demo_review
from closeloop.text.demo import seed_demo_text

DEMO_PASSWORD = "closeloop-demo"
OWNER_EMAIL = "demo@closeloop.local"
SEOUL_SLUG = "demo"
BANGKOK_SLUG = "demo-bkk"


@dataclass(frozen=True)
class Person:
    """One demo login."""

    email: str
    full_name: str
    language: str
    role: Role  # role in Seoul Bean Roasters
    teams: tuple[str, ...] = ()  # team slugs (default teams)
    leads: tuple[str, ...] = ()  # team slugs this person leads


PEOPLE: tuple[Person, ...] = (
    Person(OWNER_EMAIL, "Demo Owner", "", Role.OWNER, ("customer-experience",)),
    Person(
        "minji.kim@closeloop.local", "김민지", "ko", Role.ADMIN,
        ("customer-experience", "branding"), ("customer-experience",),
    ),
    Person(
        "somchai.prasert@closeloop.local", "สมชาย ประเสริฐ (Somchai Prasert)", "th", Role.ANALYST,
        ("customer-experience", "tech"), ("tech",),
    ),
    Person(
        "jiwoo.park@closeloop.local", "Jiwoo Park", "ko", Role.AGENT,
        ("support", "customer-experience"), ("support",),
    ),
    Person(
        "nattaya.srisuk@closeloop.local", "ณัฐญา ศรีสุข (Nattaya Srisuk)", "th", Role.AGENT,
        ("client-success", "sales"), ("client-success",),
    ),
    Person(
        "emma.clarke@closeloop.local", "Emma Clarke", "en", Role.VIEWER,
        ("marketing", "customer-experience"), ("marketing",),
    ),
    Person(
        "joonho.lee@closeloop.local", "이준호 (Lee Joon-ho)", "ko", Role.ANALYST,
        ("product", "ui-design", "customer-experience"), ("product", "ui-design"),
    ),
)  # fmt: skip

BANGKOK_OWNER = Person(
    "kittipong.w@closeloop.local", "กิตติพงษ์ วงศ์สกุล (Kittipong Wongsakul)", "th", Role.OWNER
)
PENDING_INVITE_EMAIL = "new.barista@closeloop.local"


def _user(person: Person) -> User:
    """The person's login, created on first use. Demo logins share a short, known password,
    so this bypasses the password policy that user_create enforces."""
    user = User.objects.filter(email=person.email).first()
    if user is None:
        user = User.objects.create_user(
            person.email, DEMO_PASSWORD, full_name=person.full_name, language=person.language
        )
    return user


def _join(org: Organization, user: User, role: str, invited_by: User) -> Membership:
    """Add a member the way the app does: an invitation, accepted."""
    existing = Membership.objects.filter(organization=org, user=user).first()
    if existing is not None:
        return existing
    _invitation, token = invitation_create(
        organization=org, email=user.email, role=role, invited_by=invited_by
    )
    return invitation_accept(token=token, user=user)


def _create_org(
    *, slug: str, name: str, owner: User, time_zone: str, language: str
) -> Organization:
    org = organization_create(
        name=name, owner=owner, time_zone=time_zone, default_language=language
    )
    if org.slug != slug:
        # organization_create derives the slug from the name; the demo's links use fixed ones.
        Organization.objects.filter(pk=org.pk).update(slug=slug)
        org.slug = slug
    return org


def seed_people() -> None:
    """Every demo login."""
    for person in (*PEOPLE, BANGKOK_OWNER):
        _user(person)


def seed_seoul() -> None:
    """Seoul Bean Roasters: a member in every role, teams with leads, a pending invitation and
    an API key for a BI dashboard."""
    if Organization.objects.filter(slug=SEOUL_SLUG).exists():
        return
    owner = _user(PEOPLE[0])
    org = _create_org(
        slug=SEOUL_SLUG,
        name="Seoul Bean Roasters",
        owner=owner,
        time_zone="Asia/Seoul",
        language="en",
    )
    memberships: dict[str, Membership] = {
        OWNER_EMAIL: Membership.objects.get(organization=org, user=owner)
    }
    for person in PEOPLE[1:]:
        memberships[person.email] = _join(org, _user(person), person.role, owner)
    for team in Team.objects.filter(organization=org):
        members = [memberships[p.email] for p in PEOPLE if team.slug in p.teams]
        leads = [memberships[p.email] for p in PEOPLE if team.slug in p.leads]
        if members:
            team_set_members(team=team, memberships=members, leads=leads, actor=owner)
    invitation_create(
        organization=org, email=PENDING_INVITE_EMAIL, role=Role.AGENT, invited_by=owner
    )
    api_key_create(organization=org, name="BI dashboard", scope=ApiKeyScope.READ, created_by=owner)
    api_key_create(
        organization=org, name="Point of sale events", scope=ApiKeyScope.WRITE, created_by=owner
    )


def seed_bangkok() -> None:
    """Bangkok Noodle Bar: a second organization where the demo owner is an admin, so the
    organization switcher has two entries."""
    if Organization.objects.filter(slug=BANGKOK_SLUG).exists():
        return
    owner = _user(BANGKOK_OWNER)
    org = _create_org(
        slug=BANGKOK_SLUG,
        name="Bangkok Noodle Bar",
        owner=owner,
        time_zone="Asia/Bangkok",
        language="th",
    )
    demo = _join(org, _user(PEOPLE[0]), Role.ADMIN, owner)
    nattaya = _join(org, _user(PEOPLE[4]), Role.AGENT, owner)
    own = Membership.objects.get(organization=org, user=owner)
    support = Team.objects.get(organization=org, slug="support")
    team_set_members(team=support, memberships=[own, nattaya], leads=[nattaya], actor=owner)
    cx = Team.objects.get(organization=org, slug="customer-experience")
    team_set_members(team=cx, memberships=[own, demo], leads=[own], actor=owner)
    api_key_create(organization=org, name="BI dashboard", scope=ApiKeyScope.READ, created_by=owner)


SEED_STEPS: list[Callable[[], None]] = [
    seed_people,
    seed_seoul,
    seed_bangkok,
    seed_demo_contacts,
    seed_demo_journey,
    seed_demo_widgets,
    seed_demo_events,
    seed_demo_campaigns,
    seed_demo_automation,
    seed_demo_advocacy,
    seed_demo_cases,
    seed_demo_analytics,
    seed_demo_dashboards,
    seed_demo_alerts,
    seed_demo_text,
    seed_demo_initiatives,
    seed_demo_impact,
    seed_demo_ideas,
    seed_demo_announcements,
    seed_demo_review,
]


def seed_demo() -> None:
    """Create the demo data; safe to run again (each step skips what already exists)."""
    for step in SEED_STEPS:
        with transaction.atomic():
            step()


def demo_logins() -> list[tuple[str, str]]:
    """(email, role) for each demo login in Seoul Bean Roasters, the owner first."""
    return [(p.email, f"{p.role.label} — {p.full_name}") for p in PEOPLE]
