"""The responses API: create completed responses, list and read them."""

from __future__ import annotations

from typing import Any

from closeloop.api.testing import ApiClient
from closeloop.responses.models import Response
from closeloop.surveys.models import Survey


def test_create_list_and_read(survey: Survey, writer: ApiClient, reader: ApiClient) -> None:
    created = writer.post(
        f"/surveys/{survey.pk}/responses",
        {"answers": {"q1": 10, "q4": {"choice": "other", "other": "Music"}}, "language": "ko"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "complete" and body["language"] == "ko" and body["version"] == 1
    assert body["channel"] == "api"
    response = Response.objects.get(pk=body["id"])
    assert response.facts.get(question_key="q4").text == "Music"
    listed = reader.get(f"/surveys/{survey.pk}/responses", {"status": "complete"})
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]
    detail = reader.get(f"/responses/{body['id']}")
    assert detail.status_code == 200 and detail.json()["answers"]["q1"] == 10


def test_validation_error_names_the_answer(survey: Survey, writer: ApiClient) -> None:
    bad = writer.post(f"/surveys/{survey.pk}/responses", {"answers": {"q1": 11}})
    assert bad.status_code == 422
    assert bad["Content-Type"].startswith("application/problem+json")
    problem = bad.json()
    assert problem["field"] == "answers.q1"
    # q1 is out of range and the required q2 on the path it leads to is missing.
    assert {e["field"] for e in problem["errors"]} == {"answers.q1", "answers.q2"}
    assert not Response.objects.exists()


def test_idempotency_key_and_historical(survey: Survey, writer: ApiClient) -> None:
    payload: dict[str, Any] = {
        "answers": {"q1": 3, "q2": ["speed"]},
        "idempotency_key": "ticket-42",
        "historical": True,
        "completed_at": "2024-03-01T10:00:00+09:00",
    }
    first = writer.post(f"/surveys/{survey.pk}/responses", payload)
    again = writer.post(f"/surveys/{survey.pk}/responses", payload)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["historical"] is True and first.json()["channel"] == "import"
    assert first.json()["completed_at"].startswith("2024-03-01T10:00:00")
    assert Response.objects.count() == 1


def test_filters_and_pagination(survey: Survey, writer: ApiClient, reader: ApiClient) -> None:
    for score, when in ((1, "2024-01-10"), (2, "2024-02-10"), (3, "2024-03-10")):
        writer.post(
            f"/surveys/{survey.pk}/responses",
            {
                "answers": {"q1": score, "q2": ["price"]},
                "historical": True,
                "completed_at": f"{when}T00:00:00Z",
            },
        )
    feb = reader.get(
        f"/surveys/{survey.pk}/responses",
        {"from": "2024-02-01T00:00:00Z", "to": "2024-03-01T00:00:00Z"},
    )
    assert [i["answers"]["q1"] for i in feb.json()["items"]] == [2]
    page1 = reader.get(f"/surveys/{survey.pk}/responses", {"limit": 2}).json()
    page2 = reader.get(
        f"/surveys/{survey.pk}/responses", {"limit": 2, "cursor": page1["next_cursor"]}
    ).json()
    assert len(page1["items"]) == 2 and len(page2["items"]) == 1 and page2["next_cursor"] is None


def test_other_organization_and_read_key(
    survey: Survey, reader: ApiClient, other_writer: ApiClient
) -> None:
    assert (
        other_writer.post(f"/surveys/{survey.pk}/responses", {"answers": {"q1": 1}}).status_code
        == 404
    )
    assert other_writer.get(f"/surveys/{survey.pk}/responses").status_code == 404
    forbidden = reader.post(f"/surveys/{survey.pk}/responses", {"answers": {"q1": 1}})
    assert forbidden.status_code == 403


def test_public_page_is_documented(reader: ApiClient) -> None:
    doc = reader.get("/openapi.json").json()
    operation = doc["paths"]["/api/v1/survey-page"]["get"]
    assert "/s/{token}/" in operation["description"] and "nps=9" in operation["description"]
    assert reader.get("/survey-page").json()["page"].endswith("/s/{token}/")
