"""The review's API: GET /advocacy-review (the summary as JSON), GET and POST /decisions, with
problem+json naming the field at fault, scoped to the key's organization."""

from __future__ import annotations

import datetime as dt

import pytest

from closeloop.api.testing import ApiClient
from closeloop.initiatives.models import Decision
from closeloop.initiatives.tests.review_factories import World, theme, world
from closeloop.text.models import Theme
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(personas: Personas) -> World:
    return world(personas)


def test_the_summary_as_json(acme: World, reader: ApiClient) -> None:
    response = reader.get("/advocacy-review", {"days": 30})
    assert response.status_code == 200
    data = response.json()
    assert data["period"]["days"] == 30 and data["period"]["time_zone"] == "Asia/Seoul"
    first = data["themes_by_impact"][0]
    assert first["key"] == "delivery" and first["nps_with_theme"]["n"] == 10
    assert first["nps_with_theme"]["value"] == -100.0
    assert first["nps_with_theme"]["margin"] > 0 and first["promoters_lost"] == 7.4
    assert first["previous_mentions"] == 4 and first["has_initiative"] is True
    assert [t["key"] for t in data["themes_by_volume"]] == ["staff", "delivery", "billing"]
    assert data["cases_by_team"][0]["name"] == "Support"
    assert data["cases_by_team"][0]["breaching"] == 2
    assert data["root_causes"][0]["cases"] == 2
    assert data["recovered_customers"]["total"] == 2
    assert [i["title"] for i in data["initiatives"]] == [
        "Faster courier",
        "Proposal",
        "Shipped fix",
    ]
    assert data["nps"]["n"] == 37


def test_custom_dates_and_their_errors(acme: World, reader: ApiClient) -> None:
    january = reader.get("/advocacy-review", {"from": "2026-01-01", "to": "2026-01-31"})
    assert january.status_code == 200
    assert january.json()["period"]["from"] == "2026-01-01"
    assert january.json()["period"]["previous_to"] == "2025-12-31"
    wrong = reader.get("/advocacy-review", {"from": "2026-02-01", "to": "2026-01-01"})
    assert wrong.status_code == 400
    assert wrong["Content-Type"].startswith("application/problem+json")
    assert wrong.json()["field"] == "from"
    bad = reader.get("/advocacy-review", {"from": "yesterday"})
    assert bad.status_code == 422 and "from" in bad.json()["errors"][0]["field"]


def test_theme_names_in_a_language(acme: World, reader: ApiClient) -> None:
    data = reader.get("/advocacy-review", {"language": "th"}).json()
    assert data["themes_by_impact"][0]["name"] == "การจัดส่ง"


def test_record_and_list_decisions(acme: World, writer: ApiClient, reader: ApiClient) -> None:
    delivery = theme(acme.org, "delivery")
    assert acme.initiative is not None
    created = writer.post(
        "/decisions",
        {
            "theme": str(delivery.pk),
            "kind": "initiative",
            "text": "Start the courier initiative.",
            "meeting_on": "2026-03-03",
            "initiative": str(acme.initiative.pk),
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["theme"] == str(delivery.pk) and body["meeting_on"] == "2026-03-03"
    assert body["initiative"] == str(acme.initiative.pk)
    decision = Decision.objects.get(pk=body["id"])
    assert decision.meeting_on == dt.date(2026, 3, 3)
    writer.post("/decisions", {"kind": "watch", "text": "General note", "meeting_on": "2026-01-06"})
    listed = reader.get("/decisions").json()["items"]
    assert {d["text"] for d in listed} == {"Start the courier initiative.", "General note"}
    march = reader.get("/decisions", {"meeting_from": "2026-03-01"}).json()["items"]
    assert [d["text"] for d in march] == ["Start the courier initiative."]
    about = reader.get("/decisions", {"theme": str(delivery.pk)}).json()["items"]
    assert len(about) == 1
    # and the summary shows it as the theme's latest decision
    summary = reader.get("/advocacy-review").json()
    assert summary["themes_by_impact"][0]["latest_decision"]["text"] == (
        "Start the courier initiative."
    )


def test_decision_errors_name_the_field(
    personas: Personas, acme: World, writer: ApiClient, reader: ApiClient
) -> None:
    empty = writer.post("/decisions", {"kind": "watch", "text": "   "})
    assert empty.status_code == 400 and empty.json()["field"] == "text"
    kind = writer.post("/decisions", {"kind": "maybe", "text": "x"})
    assert kind.status_code == 422 and kind.json()["errors"][0]["field"] == "body.kind"
    theirs = Theme.objects.filter(organization=personas.other_org).first()
    assert theirs is not None
    other = writer.post("/decisions", {"kind": "watch", "text": "x", "theme": str(theirs.pk)})
    assert other.status_code == 404 and other.json()["field"] == "theme"
    assert other["Content-Type"].startswith("application/problem+json")
    read_only = reader.post("/decisions", {"kind": "watch", "text": "x"})
    assert read_only.status_code == 403
    assert not Decision.objects.exists()


def test_another_organizations_key_sees_its_own(acme: World, other_writer: ApiClient) -> None:
    from closeloop.initiatives.decisions import decision_record

    decision_record(organization=acme.org, kind="watch", text="Acme only")
    assert other_writer.get("/decisions").json()["items"] == []
    data = other_writer.get("/advocacy-review").json()
    assert data["themes_by_impact"] == [] and data["recovered_customers"]["total"] == 0
