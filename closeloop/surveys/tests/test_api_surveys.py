"""Surveys through the REST API alone, as an integrator uses it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from closeloop.api.testing import ApiClient
from closeloop.core.models import Activity
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create
from closeloop.surveys.templates_library import TEMPLATE_IDS
from closeloop.surveys.tests.helpers import data, q


def definition() -> dict[str, Any]:
    return data([{"key": "p1", "questions": [q("q1", "nps"), q("q2", "long_text")]}])


def test_integrator_flow_template_publish_link(personas, writer: ApiClient, settings) -> None:
    settings.BASE_URL = "https://cx.example.com"
    response = writer.post("/surveys", {"name": "Checkout NPS", "template": "nps"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft"
    assert created["current_version"] is None
    assert created["draft_version"] == 1
    assert created["definition"]["pages"][0]["questions"][0]["type"] == "nps"

    response = writer.post(f"/surveys/{created['id']}/publish")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"

    survey = writer.get(f"/surveys/{created['id']}").json()
    assert survey["current_version"] == 1
    assert survey["draft_version"] is None
    token = Survey.objects.get(pk=created["id"]).public_token
    assert survey["anonymous_link"] == f"https://cx.example.com/s/{token}/"
    verbs = set(
        Activity.objects.filter(organization=personas.org, actor_label="API key write").values_list(
            "verb", flat=True
        )
    )
    assert {"survey.created", "survey.published"} <= verbs


def test_create_from_definition_edit_and_versions(writer: ApiClient) -> None:
    created = writer.post("/surveys", {"name": "Custom", "definition": definition()}).json()
    survey_id = created["id"]
    writer.post(f"/surveys/{survey_id}/publish")

    changed = definition()
    changed["pages"][0]["questions"][1]["title"] = {"en": "Anything else?"}
    response = writer.patch(
        f"/surveys/{survey_id}",
        {"name": "Custom v2", "definition": changed, "response_limit": 50},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Custom v2"
    assert body["response_limit"] == 50
    assert body["current_version"] == 1
    assert body["draft_version"] == 2
    assert body["definition"]["pages"][0]["questions"][1]["title"] == {"en": "Anything else?"}

    assert (
        writer.patch(f"/surveys/{survey_id}", {"response_limit": None}).json()["response_limit"]
        is None
    )

    versions = writer.get(f"/surveys/{survey_id}/versions").json()
    assert [(v["number"], v["status"]) for v in versions["items"]] == [
        (1, "published"),
        (2, "draft"),
    ]


def test_invalid_definition_is_422_with_paths(writer: ApiClient) -> None:
    broken = definition()
    broken["pages"][0]["questions"][1]["key"] = "Not A Key"
    response = writer.post("/surveys", {"name": "Broken", "definition": broken})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == "definition.pages[0].questions[1].key"
    assert body["errors"][0]["field"] == "definition.pages[0].questions[1].key"


def test_patch_invalid_definition_changes_nothing(writer: ApiClient) -> None:
    survey_id = writer.post("/surveys", {"name": "Keep"}).json()["id"]
    broken = definition()
    del broken["endings"]
    response = writer.patch(f"/surveys/{survey_id}", {"name": "Renamed", "definition": broken})
    assert response.status_code == 422
    assert response.json()["field"] == "definition.endings"
    assert writer.get(f"/surveys/{survey_id}").json()["name"] == "Keep"


def test_unknown_template_names_template(writer: ApiClient) -> None:
    response = writer.post("/surveys", {"name": "X", "template": "no-such"})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["field"] == "template"


def test_publish_with_missing_translation_is_422_naming_path(writer: ApiClient) -> None:
    defn = definition()
    defn["languages"] = ["en", "th"]
    response = writer.post("/surveys", {"name": "Half translated", "definition": defn})
    assert response.status_code == 201
    response = writer.post(f"/surveys/{response.json()['id']}/publish")
    assert response.status_code == 422
    assert response.json()["field"] == "definition.title"


def test_close_reopen_and_conflicts(writer: ApiClient) -> None:
    survey_id = writer.post("/surveys", {"name": "Season"}).json()["id"]
    assert writer.post(f"/surveys/{survey_id}/close").status_code == 409
    writer.post(f"/surveys/{survey_id}/publish")
    assert writer.post(f"/surveys/{survey_id}/publish").status_code == 409
    assert writer.post(f"/surveys/{survey_id}/close").json()["status"] == "closed"
    assert writer.post(f"/surveys/{survey_id}/reopen").json()["status"] == "active"


def test_list_paginated_and_filtered(personas, writer: ApiClient, reader: ApiClient) -> None:
    for n in range(3):
        writer.post("/surveys", {"name": f"Survey {n}"})
    survey_create(organization=personas.other_org, actor=None, name="Not ours")
    active_id = reader.get("/surveys", {"limit": 1}).json()["items"][0]["id"]
    writer.post(f"/surveys/{active_id}/publish")

    first = reader.get("/surveys", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = reader.get("/surveys", {"limit": 2, "cursor": first["next_cursor"]}).json()
    names = [s["name"] for s in first["items"] + second["items"]]
    assert names == ["Survey 0", "Survey 1", "Survey 2"]
    assert "definition" not in first["items"][0]

    active = reader.get("/surveys", {"status": "active"}).json()["items"]
    assert [s["id"] for s in active] == [active_id]
    assert active[0]["current_version"] == 1


def test_other_orgs_survey_is_404(personas, writer: ApiClient, other_writer: ApiClient) -> None:
    survey_id = writer.post("/surveys", {"name": "Ours"}).json()["id"]
    for method, path in [
        ("GET", f"/surveys/{survey_id}"),
        ("PATCH", f"/surveys/{survey_id}"),
        ("POST", f"/surveys/{survey_id}/publish"),
        ("GET", f"/surveys/{survey_id}/versions"),
        ("GET", f"/surveys/{survey_id}/export"),
    ]:
        response = other_writer.request(method, path, {"name": "Theirs"})
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"].startswith("application/problem+json")
    assert writer.get(f"/surveys/{survey_id}").json()["name"] == "Ours"


def test_read_key_cannot_write(reader: ApiClient, writer: ApiClient) -> None:
    response = reader.post("/surveys", {"name": "Nope", "template": "nps"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    survey_id = writer.post("/surveys", {"name": "Mine"}).json()["id"]
    assert reader.post(f"/surveys/{survey_id}/publish").status_code == 403
    assert reader.get(f"/surveys/{survey_id}").status_code == 200


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_and_import_round_trip(writer: ApiClient, fmt: str) -> None:
    survey_id = writer.post("/surveys", {"name": "Ease", "template": "product_ease"}).json()["id"]
    response = writer.get(f"/surveys/{survey_id}/export", {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/json" if fmt == "json" else "application/yaml"
    )
    text = response.content.decode()
    document = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    assert document["name"] == "Ease"

    response = writer.post("/surveys/import", {"format": fmt, "content": text, "name": "Copy"})
    assert response.status_code == 201, response.content
    copy = response.json()
    assert copy["name"] == "Copy"
    assert copy["id"] != survey_id
    again = writer.get(f"/surveys/{copy['id']}/export", {"format": fmt}).content.decode()
    assert again == text.replace("name: Ease", "name: Copy").replace(
        '"name": "Ease"', '"name": "Copy"'
    )


def test_import_as_new_draft_and_export_a_version(writer: ApiClient) -> None:
    survey_id = writer.post("/surveys", {"name": "Evolving", "definition": definition()}).json()[
        "id"
    ]
    writer.post(f"/surveys/{survey_id}/publish")
    changed = definition()
    changed["pages"][0]["questions"].append(q("q3", "email"))
    response = writer.post(
        "/surveys/import",
        {"format": "json", "content": json.dumps(changed), "survey_id": survey_id},
    )
    assert response.status_code == 200, response.content
    assert response.json()["draft_version"] == 2
    v1 = json.loads(writer.get(f"/surveys/{survey_id}/export", {"version": 1}).content)
    assert len(v1["definition"]["pages"][0]["questions"]) == 2
    assert writer.get(f"/surveys/{survey_id}/export", {"version": 5}).status_code == 404


def test_import_broken_yaml_names_the_line(writer: ApiClient) -> None:
    content = "closeloop_survey: 1\nname: x\ndefinition:\n  title: [unclosed\n"
    response = writer.post("/surveys/import", {"format": "yaml", "content": content})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "content"
    assert body["errors"][0]["line"] >= 4


def test_templates(reader: ApiClient) -> None:
    response = reader.get("/templates")
    assert response.status_code == 200
    templates = response.json()
    assert [t["id"] for t in templates] == list(TEMPLATE_IDS)
    nps = templates[0]
    assert set(nps["languages"]) == {"en", "ko", "th"}
    assert set(nps["name"]) == {"en", "ko", "th"}
    assert nps["kind"] == "customer"
