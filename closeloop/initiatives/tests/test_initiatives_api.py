"""The initiatives API with bearer keys: create, read, patch fields and links, transition,
problem+json naming the field at fault, read keys only read, other org 404, pagination."""

from __future__ import annotations

import importlib.util
import uuid

from closeloop.api.testing import ApiClient
from closeloop.core.models import Activity
from closeloop.initiatives.models import Idea, Initiative
from closeloop.initiatives.tests.factories_initiatives import a_team, a_theme, make_initiative
from conftest import Personas

PROBLEM = "application/problem+json"


def test_create_read_and_list(personas: Personas, writer: ApiClient, reader: ApiClient) -> None:
    theme = a_theme(personas.org)
    team = a_team(personas.org)
    idea = Idea.objects.create(organization=personas.org, number=1, title="Oat milk",
                               status="open", vote_count=7)  # fmt: skip
    created = writer.post("/initiatives", {
        "title": "Two-day delivery", "owner_team": str(team.pk), "owner": "agent@acme.test",
        "due_date": "2031-01-31", "target_metric": "nps", "expected_change": 5,
        "themes": [str(theme.pk)], "ideas": [str(idea.pk)], "target_theme": str(theme.pk),
    })  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == 1 and body["status"] == "proposed"
    assert body["owner"] == "agent@acme.test" and body["owner_team_name"] == team.name
    assert [t["id"] for t in body["themes"]] == [str(theme.pk)]
    assert body["ideas"] == [{"id": str(idea.pk), "number": 1, "title": "Oat milk",
                              "status": "open", "vote_count": 7}]  # fmt: skip
    assert body["votes"] == 7 and body["impact"] is None
    assert body["allowed_statuses"] == ["planned", "in_progress", "dropped"]
    activity = Activity.objects.get(verb="initiative.created")
    assert activity.actor_label == "API key write"
    read = reader.get(f"/initiatives/{body['id']}")
    assert read.status_code == 200 and read.json()["title"] == "Two-day delivery"
    listed = reader.get("/initiatives", {"status": "proposed", "team": str(team.pk)})
    assert [i["id"] for i in listed.json()["items"]] == [body["id"]]
    assert reader.get("/initiatives", {"status": "planned"}).json()["items"] == []


def test_list_is_cursor_paginated(personas: Personas, reader: ApiClient) -> None:
    for n in range(3):
        make_initiative(personas.org, title=f"Initiative {n}")
    first = reader.get("/initiatives", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = reader.get("/initiatives", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None


def test_patch_fields_and_links(personas: Personas, writer: ApiClient) -> None:
    initiative = make_initiative(personas.org)
    theme = a_theme(personas.org)
    product = a_team(personas.org, "product")
    patched = writer.patch(f"/initiatives/{initiative.pk}", {
        "title": "Renamed", "themes": [str(theme.pk)], "contributors": [str(product.pk)],
        "expected_change": -3.5,
    })  # fmt: skip
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert body["title"] == "Renamed" and body["expected_change"] == -3.5
    assert body["contributors"] == [str(product.pk)]
    assert [t["id"] for t in body["themes"]] == [str(theme.pk)]
    cleared = writer.patch(f"/initiatives/{initiative.pk}", {"themes": []}).json()
    assert cleared["themes"] == [] and cleared["title"] == "Renamed"


def test_transition(personas: Personas, writer: ApiClient) -> None:
    initiative = make_initiative(personas.org)
    path = f"/initiatives/{initiative.pk}/transition"
    for status in ("planned", "in_progress", "shipped"):
        response = writer.post(path, {"status": status})
        assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "shipped" and body["shipped_at"]
    if importlib.util.find_spec("closeloop.initiatives.impact") is not None:
        assert isinstance(body["impact"], dict)  # the before/after figures, once shipped
    refused = writer.post(path, {"status": "proposed"})
    assert refused.status_code == 400 and refused["Content-Type"].startswith(PROBLEM)
    assert refused.json()["field"] == "status"
    back = writer.post(path, {"status": "in_progress"}).json()
    dropped = writer.post(path, {"status": "dropped"})
    assert dropped.status_code == 400 and dropped.json()["field"] == "reason"
    assert back["shipped_at"] is None
    ok = writer.post(path, {"status": "dropped", "reason": "Replaced by I-2"}).json()
    assert ok["status"] == "dropped" and ok["dropped_reason"] == "Replaced by I-2"


def test_bad_fields_are_named(personas: Personas, writer: ApiClient) -> None:
    bad_metric = writer.post("/initiatives", {"title": "x", "target_metric": "revenue"})
    assert bad_metric.status_code == 422 and bad_metric["Content-Type"].startswith(PROBLEM)
    assert bad_metric.json()["field"] == "body.target_metric"
    missing = writer.post("/initiatives", {"title": "x", "themes": [str(uuid.uuid4())]})
    assert missing.status_code == 400 and missing.json()["field"] == "themes"
    other_theme = a_theme(personas.other_org)
    foreign = writer.post("/initiatives", {"title": "x", "themes": [str(other_theme.pk)]})
    assert foreign.status_code == 400 and foreign.json()["field"] == "themes"
    owner = writer.post("/initiatives", {"title": "x", "owner": "outsider@other.test"})
    assert owner.status_code == 400 and owner.json()["field"] == "owner"
    share = writer.post("/initiatives", {"title": "x", "target_metric": "theme_share"})
    assert share.status_code == 400 and share.json()["field"] == "target_theme"
    bad_status = writer.post(
        f"/initiatives/{make_initiative(personas.org).pk}/transition", {"status": "done"}
    )
    assert bad_status.status_code == 422 and bad_status.json()["field"] == "body.status"
    assert Initiative.objects.filter(title="x").count() == 0


def test_read_key_cannot_write(personas: Personas, reader: ApiClient) -> None:
    initiative = make_initiative(personas.org)
    assert reader.post("/initiatives", {"title": "x"}).status_code == 403
    assert reader.patch(f"/initiatives/{initiative.pk}", {"title": "y"}).status_code == 403
    moved = reader.post(f"/initiatives/{initiative.pk}/transition", {"status": "planned"})
    assert moved.status_code == 403
    initiative.refresh_from_db()
    assert initiative.status == "proposed" and initiative.title != "y"


def test_other_organization_gets_404(personas: Personas, other_writer: ApiClient) -> None:
    initiative = make_initiative(personas.org)
    assert other_writer.get(f"/initiatives/{initiative.pk}").status_code == 404
    patched = other_writer.patch(f"/initiatives/{initiative.pk}", {"title": "stolen"})
    assert patched.status_code == 404
    moved = other_writer.post(f"/initiatives/{initiative.pk}/transition", {"status": "planned"})
    assert moved.status_code == 404
    assert other_writer.get("/initiatives").json()["items"] == []
    initiative.refresh_from_db()
    assert initiative.title != "stolen" and initiative.status == "proposed"
