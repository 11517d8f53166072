"""The exports API: asking needs a write key, errors name the field, another organization's export
is 404, and the file answers 409 until it is ready and 410 once it has expired."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from closeloop.analytics.models import Export
from closeloop.analytics.tests.exports_factories import answer, make_survey
from closeloop.core.models import Activity
from closeloop.core.worker import run_ready_tasks

if TYPE_CHECKING:
    from closeloop.api.testing import ApiClient
    from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _problem(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.get("field") == field
    return body


def test_asking_for_an_export_needs_a_write_key(personas: Personas, reader: ApiClient) -> None:
    survey = make_survey(personas.org)
    response = reader.post("/exports", {"survey": str(survey.pk), "format": "csv"})
    _problem(response, 403, None)
    assert not Export.objects.exists()


def test_bad_requests_name_the_field(
    personas: Personas, writer: ApiClient, other_writer: ApiClient
) -> None:
    survey = make_survey(personas.org)
    other = make_survey(personas.other_org)
    ours = str(survey.pk)

    _problem(writer.post("/exports", {"survey": ours}), 422, "body.format")
    _problem(writer.post("/exports", {"survey": ours, "format": "pdf"}), 422, "body.format")
    _problem(writer.post("/exports", {"format": "csv"}), 400, "survey")
    _problem(writer.post("/exports", {"survey": str(other.pk), "format": "csv"}), 404, "survey")
    _problem(other_writer.post("/exports", {"survey": ours, "format": "csv"}), 404, "survey")
    body = _problem(
        writer.post(
            "/exports", {"survey": ours, "format": "csv", "from": "2024-05-02", "to": "2024-05-01"}
        ),
        400,
        "to",
    )
    assert "before" in body["detail"]
    _problem(writer.post("/exports", {"survey": ours, "format": "csv", "from": "May"}), 422,
             "body.from")  # fmt: skip
    _problem(writer.post("/exports", {"survey": ours, "format": "csv", "channel": "fax"}), 400,
             "channel")  # fmt: skip
    foreign_spot = personas.other_org  # a touchpoint of another organization is unknown here
    from closeloop.analytics.tests.exports_factories import touchpoint

    spot = touchpoint(foreign_spot)
    _problem(
        writer.post("/exports", {"survey": ours, "format": "csv", "touchpoint": str(spot.pk)}),
        400,
        "touchpoint",
    )
    _problem(writer.post("/exports", {"survey": ours, "format": "csv", "zip": True}), 422,
             "body.zip")  # fmt: skip
    assert not Export.objects.exists()


def test_status_progress_and_download(
    personas: Personas, writer: ApiClient, reader: ApiClient
) -> None:
    survey = make_survey(personas.org)
    for score in (9, 10, 3):
        answer(survey, {"nps": score})

    asked = writer.post("/exports", {"survey": str(survey.pk), "format": "xlsx"})
    assert asked.status_code == 202
    export_id = asked.json()["id"]
    queued = reader.get(f"/exports/{export_id}").json()
    assert queued["status"] == "queued" and queued["download_url"] is None
    _problem(reader.get(f"/exports/{export_id}/file"), 409, None)

    run_ready_tasks()

    done = reader.get(f"/exports/{export_id}").json()
    assert done["status"] == "done"
    assert done["progress"] == {"done": 3, "total": 3, "percent": 100}
    assert done["file_name"].endswith(".xlsx")
    assert done["survey"] == str(survey.pk)
    assert done["filters"] == {"status": "complete"}
    expires = dt.datetime.fromisoformat(done["expires_at"])
    assert expires - dt.datetime.fromisoformat(done["finished_at"]) == dt.timedelta(days=7)
    file = reader.get(f"/exports/{export_id}/file")
    assert file.status_code == 200
    assert file["Content-Type"].startswith("application/vnd.openxmlformats")
    listed = reader.get("/exports").json()
    assert [item["id"] for item in listed["items"]] == [export_id]
    verbs = set(Activity.objects.filter(organization=personas.org).values_list("verb", flat=True))
    assert {"export.requested", "export.finished", "export.downloaded"} <= verbs


def test_another_organizations_export_is_not_found(
    personas: Personas, writer: ApiClient, other_writer: ApiClient
) -> None:
    survey = make_survey(personas.org)
    answer(survey)
    export_id = writer.post("/exports", {"survey": str(survey.pk), "format": "csv"}).json()["id"]
    run_ready_tasks()
    _problem(other_writer.get(f"/exports/{export_id}"), 404, None)
    _problem(other_writer.get(f"/exports/{export_id}/file"), 404, None)
    assert other_writer.get("/exports").json()["items"] == []


def test_expired_exports_are_gone(personas: Personas, writer: ApiClient) -> None:
    from closeloop.analytics.tasks_exports import expire_exports
    from closeloop.core.periodic import REGISTRY

    assert REGISTRY["analytics.exports_expire"].task is expire_exports
    survey = make_survey(personas.org)
    answer(survey)
    export_id = writer.post("/exports", {"survey": str(survey.pk), "format": "sav"}).json()["id"]
    run_ready_tasks()
    export = Export.objects.get(pk=export_id)
    stored = Path(export.file.path)
    assert stored.exists()

    Export.objects.filter(pk=export_id).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    _problem(writer.get(f"/exports/{export_id}/file"), 410, None)  # before the cleanup ran
    assert writer.get(f"/exports/{export_id}").json()["download_url"] is None
    expire_exports.enqueue()
    run_ready_tasks()

    assert not stored.exists()
    body = writer.get(f"/exports/{export_id}").json()
    assert body["status"] == "expired" and body["download_url"] is None
    _problem(writer.get(f"/exports/{export_id}/file"), 410, None)


def test_a_broken_survey_version_fails_the_export_with_a_reason(
    personas: Personas, writer: ApiClient
) -> None:
    survey = make_survey(personas.org)
    answer(survey)
    assert survey.current_version is not None
    type(survey.current_version).objects.filter(pk=survey.current_version.pk).update(
        definition={"pages": "broken"}
    )
    export_id = writer.post("/exports", {"survey": str(survey.pk), "format": "csv"}).json()["id"]
    run_ready_tasks()
    body = writer.get(f"/exports/{export_id}").json()
    assert body["status"] == "failed"
    assert "validation error" in body["error"]
    assert body["download_url"] is None
    assert Activity.objects.filter(verb="export.failed").exists()
