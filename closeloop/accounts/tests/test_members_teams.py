"""Members (roles, teams, removal) and teams (create, edit members and leads, delete)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from closeloop.accounts.choices import Role
from closeloop.accounts.models import Membership, Team, TeamMember

pytestmark = pytest.mark.django_db


def url(name: str, personas, *args: object) -> str:
    return reverse(f"accounts:{name}", args=[personas.org.slug, *args])


def test_members_page_lists_roles_and_teams(personas) -> None:
    support = Team.objects.get(organization=personas.org, slug="support")
    TeamMember.objects.create(team=support, membership=personas.membership(personas.agent))

    response = personas.client_for(personas.viewer).get(url("members", personas))
    page = response.content.decode()
    assert response.status_code == 200
    for email in ("owner@acme.test", "admin@acme.test", "agent@acme.test", "viewer@acme.test"):
        assert email in page
    assert "Support" in page
    assert "Send invitation" not in page  # a viewer only reads
    assert (
        "Send invitation"
        in personas.client_for(personas.admin).get(url("members", personas)).content.decode()
    )


def test_outsider_gets_404_and_viewer_403_on_writes(personas) -> None:
    target = personas.membership(personas.agent)
    outsider = personas.client_for(personas.outsider)
    viewer = personas.client_for(personas.viewer)
    for name, args in [
        ("members", ()),
        ("member_edit", (target.pk,)),
        ("member_remove", (target.pk,)),
        ("teams", ()),
        ("api_keys", ()),
        ("audit", ()),
    ]:
        assert outsider.get(url(name, personas, *args)).status_code == 404
        assert outsider.post(url(name, personas, *args)).status_code == 404
        assert viewer.post(url(name, personas, *args)).status_code == 403
    assert Membership.objects.filter(pk=target.pk).exists()


def test_admin_changes_role_and_teams(personas) -> None:
    target = personas.membership(personas.agent)
    support = Team.objects.get(organization=personas.org, slug="support")
    product = Team.objects.get(organization=personas.org, slug="product")
    client = personas.client_for(personas.admin)

    page = client.get(url("member_edit", personas, target.pk)).content.decode()
    assert 'value="owner"' not in page  # an admin cannot grant owner
    response = client.post(
        url("member_edit", personas, target.pk),
        {"role": Role.ANALYST, "teams": [str(support.pk), str(product.pk)]},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.ANALYST
    assert set(target.teams.all()) == {support, product}

    client.post(
        url("member_edit", personas, target.pk), {"role": Role.ANALYST, "teams": [str(support.pk)]}
    )
    assert list(target.teams.all()) == [support]


def test_admin_cannot_make_an_owner_or_touch_one(personas) -> None:
    client = personas.client_for(personas.admin)
    target = personas.membership(personas.viewer)
    response = client.post(url("member_edit", personas, target.pk), {"role": Role.OWNER})
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    target.refresh_from_db()
    assert target.role == Role.VIEWER

    owner = personas.membership(personas.owner)
    assert client.get(url("member_edit", personas, owner.pk)).status_code == 403
    assert (
        client.post(url("member_edit", personas, owner.pk), {"role": Role.VIEWER}).status_code
        == 403
    )
    assert client.post(url("member_remove", personas, owner.pk)).status_code == 403
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_last_owner_cannot_step_down(personas) -> None:
    client = personas.client_for(personas.owner)
    me = personas.membership(personas.owner)
    response = client.post(url("member_edit", personas, me.pk), {"role": Role.ADMIN})
    assert "at least one owner" in response.content.decode()
    me.refresh_from_db()
    assert me.role == Role.OWNER


def test_remove_member(personas) -> None:
    target = personas.membership(personas.agent)
    client = personas.client_for(personas.admin)
    assert client.get(url("member_remove", personas, target.pk)).status_code == 405
    response = client.post(url("member_remove", personas, target.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_other_orgs_member_is_404(personas) -> None:
    foreign = Membership.objects.get(user=personas.outsider)
    client = personas.client_for(personas.owner)
    assert client.get(url("member_edit", personas, foreign.pk)).status_code == 404
    assert client.post(url("member_remove", personas, foreign.pk)).status_code == 404


def test_teams_create_edit_members_and_delete(personas) -> None:
    client = personas.client_for(personas.admin)
    response = client.post(url("teams", personas), {"name": "Logistics", "description": "Shipping"})
    team = Team.objects.get(organization=personas.org, name="Logistics")
    assert response.url == url("team_edit", personas, team.pk)

    agent, analyst = personas.membership(personas.agent), personas.membership(personas.analyst)
    response = client.post(
        url("team_edit", personas, team.pk),
        {
            "name": "Logistics and delivery",
            "description": "Shipping",
            "members": [str(agent.pk)],
            "leads": [str(analyst.pk)],  # a lead is always a member
        },
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Logistics and delivery"
    links = {link.membership_id: link.is_lead for link in TeamMember.objects.filter(team=team)}
    assert links == {agent.pk: False, analyst.pk: True}

    listing = client.get(url("teams", personas)).content.decode()
    assert "Logistics and delivery" in listing and personas.agent.display_name in listing

    assert client.get(url("team_delete", personas, team.pk)).status_code == 200
    assert client.post(url("team_delete", personas, team.pk)).status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()
    assert Membership.objects.filter(pk=agent.pk).exists()


def test_duplicate_team_name_shows_error(personas) -> None:
    client = personas.client_for(personas.owner)
    response = client.post(url("teams", personas), {"name": "support"})
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["name"][0]


def test_viewer_cannot_create_team(personas) -> None:
    client = personas.client_for(personas.viewer)
    assert client.get(url("teams", personas)).status_code == 200
    assert client.post(url("teams", personas), {"name": "Shadow"}).status_code == 403
    assert not Team.objects.filter(name="Shadow").exists()
    team = Team.objects.get(organization=personas.org, slug="support")
    assert "Delete team" not in client.get(url("team_edit", personas, team.pk)).content.decode()
    assert client.post(url("team_delete", personas, team.pk)).status_code == 403


def test_other_orgs_team_is_404(personas) -> None:
    foreign = Team.objects.filter(organization=personas.other_org).first()
    client = personas.client_for(personas.owner)
    assert client.get(url("team_edit", personas, foreign.pk)).status_code == 404
    assert client.post(url("team_delete", personas, foreign.pk)).status_code == 404
    assert Team.objects.filter(pk=foreign.pk).exists()
