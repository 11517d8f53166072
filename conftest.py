"""Personas shared by every test: an organization with an owner, admin, analyst, agent and viewer,
and an outsider who belongs to another organization."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from closeloop.accounts.choices import Role
from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.services import organization_create
from closeloop.accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from closeloop.core.i18n import compile_catalogs

pytest_plugins = ["closeloop.api.fixtures", "tests.browser.fixtures"]

compile_catalogs()
# aiosmtpd logs each connection from its own thread, sometimes after pytest closed the stream.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Personas:
    org: Organization
    owner: User
    admin: User
    analyst: User
    agent: User
    viewer: User
    other_org: Organization
    outsider: User

    def client_for(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def membership(self, user: User) -> Membership:
        return Membership.objects.get(user=user, organization=self.org)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Personas hash several passwords; the default hasher would cost seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def personas(db: None) -> Personas:
    owner = UserFactory(email="owner@acme.test")
    org = organization_create(name="Acme Coffee", owner=owner, time_zone="Asia/Seoul")
    users = {}
    for role in (Role.ADMIN, Role.ANALYST, Role.AGENT, Role.VIEWER):
        user = UserFactory(email=f"{role}@acme.test")
        MembershipFactory(organization=org, user=user, role=role)
        users[role] = user
    outsider = UserFactory(email="outsider@other.test")
    other_org = organization_create(name="Other Shop", owner=outsider)
    return Personas(
        org=org,
        owner=owner,
        admin=users[Role.ADMIN],
        analyst=users[Role.ANALYST],
        agent=users[Role.AGENT],
        viewer=users[Role.VIEWER],
        other_org=other_org,
        outsider=outsider,
    )
