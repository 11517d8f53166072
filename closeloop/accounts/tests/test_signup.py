"""Sign-up, the home redirect, health check, and creating another organization."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from closeloop.accounts.choices import Role
from closeloop.accounts.models import Membership, Organization, User

pytestmark = pytest.mark.django_db


GOOD = {
    "email": "new@shop.test",
    "full_name": "Nina New",
    "password": "long-enough-and-unusual-42",
    "password_confirm": "long-enough-and-unusual-42",
    "organization_name": "Nina's Bakery",
    "language": "",
}


def test_signup_creates_owner_and_logs_in(client: Client) -> None:
    response = client.post(reverse("accounts:signup"), GOOD, follow=True)

    user = User.objects.get(email="new@shop.test")
    org = Organization.objects.get(name="Nina's Bakery")
    assert Membership.objects.get(user=user, organization=org).role == Role.OWNER
    assert response.redirect_chain[-1][0] == reverse("accounts:org_home", args=[org.slug])
    assert response.context["user"] == user
    assert "Nina&#x27;s Bakery" in response.content.decode()


def test_signup_with_taken_email_shows_error_and_creates_nothing(client: Client, personas) -> None:
    orgs_before = Organization.objects.count()
    response = client.post(reverse("accounts:signup"), {**GOOD, "email": "OWNER@acme.test"})

    assert response.status_code == 200
    assert "An account with this email already exists." in response.context["form"].errors["email"]
    assert Organization.objects.count() == orgs_before
    assert not response.wsgi_request.user.is_authenticated


def test_signup_with_weak_password_shows_error_and_creates_nothing(client: Client) -> None:
    data = {**GOOD, "password": "12345678", "password_confirm": "12345678"}
    response = client.post(reverse("accounts:signup"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert 'id="id_password_error"' in response.content.decode()
    assert not User.objects.filter(email="new@shop.test").exists()
    assert not Organization.objects.exists()


def test_signup_passwords_must_match(client: Client) -> None:
    response = client.post(
        reverse("accounts:signup"), {**GOOD, "password_confirm": "different-1234"}
    )

    assert "password_confirm" in response.context["form"].errors
    assert not User.objects.exists()


def test_home_redirects_by_state(client: Client, personas) -> None:
    assert client.get("/").url == reverse("accounts:login")

    client.force_login(personas.owner)
    assert client.get("/").url == reverse("accounts:org_home", args=[personas.org.slug])

    loner = User.objects.create_user("loner@x.test", "long-enough-and-unusual-42")
    client.force_login(loner)
    assert client.get("/").url == reverse("accounts:org_create")


def test_healthz_needs_no_login(client: Client) -> None:
    response = client.get(reverse("accounts:healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_user_creates_second_org_and_switches(personas) -> None:
    client = personas.client_for(personas.agent)
    response = client.post(reverse("accounts:org_create"), {"name": "Side Project"}, follow=True)

    side = Organization.objects.get(name="Side Project")
    assert Membership.objects.get(user=personas.agent, organization=side).role == Role.OWNER
    page = response.content.decode()
    switcher = page.split('data-testid="org-switcher"')[1].split("</details>")[0]
    assert "Acme Coffee" in switcher and "Side Project" in switcher

    # Visiting an org makes it the current one for "/".
    client.get(reverse("accounts:org_home", args=[personas.org.slug]))
    assert client.get("/").url == reverse("accounts:org_home", args=[personas.org.slug])
    client.get(reverse("accounts:org_home", args=[side.slug]))
    assert client.get("/").url == reverse("accounts:org_home", args=[side.slug])


def test_org_home_shows_overview(personas) -> None:
    client = personas.client_for(personas.viewer)
    response = client.get(reverse("accounts:org_home", args=[personas.org.slug]))

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["member_count"] == 5
    assert "Customer experience" in page
    assert "organization.created" in page
    assert reverse("accounts:members", args=[personas.org.slug]) in page


def test_org_settings_owner_only(personas) -> None:
    url = reverse("accounts:org_settings", args=[personas.org.slug])
    assert personas.client_for(personas.admin).get(url).status_code == 403
    assert personas.client_for(personas.outsider).get(url).status_code == 404

    client = personas.client_for(personas.owner)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"name": "Acme Coffee Co", "time_zone": "Asia/Bangkok", "default_language": "th"}
    )
    assert response.status_code == 302
    personas.org.refresh_from_db()
    assert (personas.org.name, personas.org.time_zone, personas.org.default_language) == (
        "Acme Coffee Co",
        "Asia/Bangkok",
        "th",
    )
    bad = client.post(url, {"name": "X", "time_zone": "Mars/Base", "default_language": "en"})
    assert "time_zone" in bad.context["form"].errors
