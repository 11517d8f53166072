"""Teams and members through the API: CRUD, errors naming the field, cursor pagination."""

from __future__ import annotations

import uuid

from closeloop.accounts.models import Team
from closeloop.accounts.services import team_create, team_set_members
from closeloop.api.testing import ApiClient
from closeloop.core.models import Activity


def _all_pages(client: ApiClient, path: str, limit: int) -> tuple[list[dict], int]:
    seen: list[dict] = []
    pages = 0
    cursor = None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(path, params)
        assert response.status_code == 200, response.content
        body = response.json()
        pages += 1
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def test_list_teams_of_own_org_only(personas, reader: ApiClient) -> None:
    team_create(organization=personas.other_org, name="Secret squad", actor=None)
    body = reader.get("/teams").json()
    names = {t["name"] for t in body["items"]}
    assert "Support" in names
    assert "Secret squad" not in names
    assert body["next_cursor"] is None
    assert set(body["items"][0]) == {
        "id",
        "name",
        "slug",
        "description",
        "member_count",
        "inbox_tags",
    }


def test_member_count(personas, reader: ApiClient) -> None:
    team = Team.objects.get(organization=personas.org, slug="support")
    team_set_members(
        team=team,
        memberships=[personas.membership(personas.agent), personas.membership(personas.viewer)],
        actor=None,
    )
    body = reader.get(f"/teams/{team.id}").json()
    assert body["member_count"] == 2


def test_create_read_update_delete(personas, writer: ApiClient, keys) -> None:
    response = writer.post("/teams", {"name": "Growth", "description": "New markets"})
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Growth"
    assert created["slug"] == "growth"
    assert created["member_count"] == 0
    team_id = created["id"]

    assert writer.get(f"/teams/{team_id}").json() == created

    response = writer.patch(f"/teams/{team_id}", {"description": "Asia first"})
    assert response.status_code == 200
    assert response.json()["name"] == "Growth"
    assert response.json()["description"] == "Asia first"

    response = writer.patch(f"/teams/{team_id}", {"name": "Expansion"})
    assert response.json()["name"] == "Expansion"
    assert response.json()["description"] == "Asia first"

    response = writer.delete(f"/teams/{team_id}")
    assert response.status_code == 204
    assert writer.get(f"/teams/{team_id}").status_code == 404

    verbs = list(
        Activity.objects.filter(organization=personas.org, verb__startswith="team.")
        .order_by("id")
        .values_list("verb", "actor_label")
    )
    assert verbs == [
        ("team.created", "API key write"),
        ("team.updated", "API key write"),
        ("team.updated", "API key write"),
        ("team.deleted", "API key write"),
    ]


def test_duplicate_name_is_409_naming_name(writer: ApiClient) -> None:
    response = writer.post("/teams", {"name": "support"})  # "Support" exists, any case
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == "name"
    assert body["status"] == 409


def test_rename_to_existing_name_is_409(writer: ApiClient) -> None:
    team_id = writer.post("/teams", {"name": "Growth"}).json()["id"]
    response = writer.patch(f"/teams/{team_id}", {"name": "Sales"})
    assert response.status_code == 409
    assert response.json()["field"] == "name"


def test_missing_name_is_422_naming_field(writer: ApiClient) -> None:
    response = writer.post("/teams", {"description": "no name"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "body.name"
    assert body["errors"][0]["field"] == "body.name"


def test_blank_or_long_name_is_422(writer: ApiClient) -> None:
    assert writer.post("/teams", {"name": "   "}).json()["field"] == "body.name"
    assert writer.post("/teams", {"name": "x" * 121}).json()["field"] == "body.name"


def test_unknown_field_is_422(writer: ApiClient) -> None:
    response = writer.post("/teams", {"name": "Growth", "colour": "red"})
    assert response.status_code == 422
    assert response.json()["field"] == "body.colour"


def test_bad_team_id_is_422_naming_path(writer: ApiClient) -> None:
    response = writer.get("/teams/not-a-uuid")
    assert response.status_code in (404, 422)
    assert response["Content-Type"].startswith("application/problem+json")


def test_other_orgs_team_is_404(personas, reader: ApiClient, writer: ApiClient) -> None:
    theirs = team_create(organization=personas.other_org, name="Secret squad", actor=None)
    for response in (
        reader.get(f"/teams/{theirs.id}"),
        writer.patch(f"/teams/{theirs.id}", {"name": "Mine now"}),
        writer.delete(f"/teams/{theirs.id}"),
        reader.get(f"/teams/{uuid.uuid4()}"),
    ):
        assert response.status_code == 404
        assert "Secret" not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.name == "Secret squad"


def test_pagination_over_120_teams(personas, reader: ApiClient) -> None:
    for i in range(120):
        team_create(organization=personas.org, name=f"Squad {i:03}", actor=None)
    expected = set(Team.objects.filter(organization=personas.org).values_list("id", flat=True))
    assert len(expected) == 129  # with the nine default teams

    seen, pages = _all_pages(reader, "/teams", limit=25)
    ids = [t["id"] for t in seen]
    assert len(ids) == len(set(ids)) == 129
    assert set(ids) == {str(pk) for pk in expected}
    assert pages == 6

    first = reader.get("/teams").json()
    assert len(first["items"]) == 50  # settings.API_PAGE_SIZE


def test_limit_bounds(reader: ApiClient) -> None:
    assert reader.get("/teams", {"limit": 0}).json()["field"] == "query.limit"
    assert reader.get("/teams", {"limit": 201}).status_code == 422
    assert len(reader.get("/teams", {"limit": 200}).json()["items"]) == 9


def test_bad_cursor_is_400_naming_cursor(reader: ApiClient) -> None:
    for cursor in ("garbage!!", "bm90IGpzb24", "eyJ0IjoiMjAyNCJ9"):
        response = reader.get("/teams", {"cursor": cursor})
        assert response.status_code == 400, cursor
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["field"] == "cursor"


def test_members_list(personas, reader: ApiClient) -> None:
    support = Team.objects.get(organization=personas.org, slug="support")
    team_set_members(team=support, memberships=[personas.membership(personas.agent)], actor=None)
    seen, _ = _all_pages(reader, "/members", limit=2)
    by_email = {m["email"]: m for m in seen}
    assert set(by_email) == {
        "owner@acme.test",
        "admin@acme.test",
        "analyst@acme.test",
        "agent@acme.test",
        "viewer@acme.test",
    }
    agent = by_email["agent@acme.test"]
    assert agent["role"] == "agent"
    assert agent["id"] == str(personas.membership(personas.agent).id)
    assert [t["name"] for t in agent["teams"]] == ["Support"]
    assert by_email["viewer@acme.test"]["teams"] == []
    assert "outsider@other.test" not in by_email
