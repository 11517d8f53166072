"""The ideas API: list, create, read, change, status, merge, votes; problem+json; scopes;
another organization's ideas are 404."""

from __future__ import annotations

import pytest

from closeloop.api.testing import ApiClient
from closeloop.initiatives.ideas import limits, services
from closeloop.initiatives.models import IdeaVote
from closeloop.initiatives.tests.ideas_helpers import emails_to, open_portal
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_create_list_read_patch(personas: Personas, writer: ApiClient, reader: ApiClient) -> None:
    open_portal(personas.org)
    created = writer.post("/ideas", {"title": "Oat milk", "body": "Please"})
    assert created.status_code == 201, created.content
    idea = created.json()
    assert idea["status"] == "open" and idea["number"] == 1 and idea["portal_url"].endswith("/1/")
    assert reader.get(f"/ideas/{idea['id']}").json()["title"] == "Oat milk"
    listed = reader.get("/ideas", {"limit": 1})
    assert listed.json()["items"][0]["id"] == idea["id"] and listed.json()["next_cursor"] is None
    patched = writer.patch(f"/ideas/{idea['id']}", {"title": "Oat milk option"})
    assert patched.json()["title"] == "Oat milk option"
    assert reader.post("/ideas", {"title": "x"}).status_code == 403  # read keys only read


def test_problem_json_names_the_field(personas: Personas, writer: ApiClient) -> None:
    bad = writer.post("/ideas", {"title": ""})
    assert bad.status_code == 422 and bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["field"] == "body.title"
    idea = writer.post("/ideas", {"title": "Oat milk"}).json()
    wrong = writer.post(f"/ideas/{idea['id']}/status", {"status": "merged"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "status"


def test_status_votes_and_merge(personas: Personas, writer: ApiClient, reader: ApiClient) -> None:
    open_portal(personas.org)
    a = writer.post("/ideas", {"title": "Oat milk"}).json()
    b = writer.post("/ideas", {"title": "Plant milk"}).json()
    first = writer.post(
        f"/ideas/{a['id']}/votes", {"email": "hana@example.kr", "name": "Hana", "language": "ko"}
    )
    assert first.status_code == 201 and first.json()["email"] == "hana@example.kr"
    assert writer.post(f"/ideas/{a['id']}/votes", {"email": "hana@example.kr"}).status_code == 200
    writer.post(f"/ideas/{b['id']}/votes", {"email": "hana@example.kr"})
    writer.post(f"/ideas/{b['id']}/votes", {"email": "joe@example.com"})
    votes = reader.get(f"/ideas/{a['id']}/votes").json()["items"]
    assert [v["email"] for v in votes] == ["hana@example.kr"]
    merged = writer.post(f"/ideas/{b['id']}/merge", {"into": a["id"]})
    assert merged.status_code == 200 and merged.json()["vote_count"] == 2
    status = writer.post(f"/ideas/{a['id']}/status", {"status": "shipped", "reply": "Done!"})
    assert status.status_code == 200 and status.json()["notified"] == 2
    assert any("Done!" in d.payload["text"] for d in emails_to("joe@example.com"))
    vote_id = votes[0]["id"]
    assert writer.delete(f"/ideas/{a['id']}/votes/{vote_id}").status_code == 204
    assert IdeaVote.objects.filter(idea_id=a["id"]).count() == 1


def test_vote_limit_is_429(personas: Personas, writer: ApiClient) -> None:
    open_portal(personas.org, votes_per_day=1)
    a = writer.post("/ideas", {"title": "A"}).json()
    b = writer.post("/ideas", {"title": "B"}).json()
    assert writer.post(f"/ideas/{a['id']}/votes", {"email": "x@example.com"}).status_code == 201
    limited = writer.post(f"/ideas/{b['id']}/votes", {"email": "x@example.com"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "as many times as allowed today" in limited.json()["detail"]
    assert limits.RateLimited.status == 429


def test_other_org_is_404(personas: Personas, writer: ApiClient, other_writer: ApiClient) -> None:
    idea = writer.post("/ideas", {"title": "Oat milk"}).json()
    assert other_writer.get(f"/ideas/{idea['id']}").status_code == 404
    assert (
        other_writer.post(f"/ideas/{idea['id']}/status", {"status": "planned"}).status_code == 404
    )
    assert (
        other_writer.post(f"/ideas/{idea['id']}/votes", {"email": "a@example.com"}).status_code
        == 404
    )
    assert other_writer.get("/ideas").json()["items"] == []
    mine = other_writer.post("/ideas", {"title": "Theirs"}).json()
    assert writer.post(f"/ideas/{idea['id']}/merge", {"into": mine["id"]}).status_code == 404
    assert services.portal_get(organization=personas.org).organization == personas.org
