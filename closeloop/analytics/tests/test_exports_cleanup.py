"""Export files do not outlive what they hold: erasing a contact (GDPR) expires and deletes the
finished exports of the surveys they answered, and deleting a survey deletes its export files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction

from closeloop.analytics.exports.services import (
    export_create,
    export_metrics_create,
    export_transition,
)
from closeloop.analytics.models import Export, ExportStatus
from closeloop.analytics.tests.exports_factories import answer, make_survey, read_file
from closeloop.contacts.tests.factories import make_contact
from closeloop.core.models import Activity
from closeloop.core.worker import run_ready_tasks
from closeloop.surveys.models import Survey

if TYPE_CHECKING:
    from closeloop.api.testing import ApiClient
    from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _ready(writer: ApiClient, body: dict[str, Any]) -> Export:
    response = writer.post("/exports", body)
    assert response.status_code == 202, response.content
    run_ready_tasks()
    export = Export.objects.get(pk=response.json()["id"])
    assert export.status == ExportStatus.DONE and Path(export.file.path).exists()
    return export


def test_erasing_a_contact_deletes_the_export_files_that_could_hold_them(
    personas: Personas, writer: ApiClient
) -> None:
    org = personas.org
    answered, other = make_survey(org), make_survey(org)
    contact = make_contact(org, email="minji@example.com", first_name="Minji")
    answer(answered, {"nps": 3, "comment": "Minji here, slow coffee"}, contact_id=contact.pk)
    answer(answered, {"nps": 9})
    answer(other, {"nps": 10})

    holds_her = _ready(writer, {"survey": str(answered.pk), "format": "csv"})
    assert b"minji" in read_file(holds_her).lower()
    her_sav = _ready(writer, {"survey": str(answered.pk), "format": "sav"})
    not_hers = _ready(writer, {"survey": str(other.pk), "format": "xlsx"})
    figures = _ready(
        writer, {"kind": "metrics", "metric": "nps", "survey": str(answered.pk), "format": "csv"}
    )
    # an export being built from her survey when she is erased
    building = export_create(organization=org, survey=answered, format="csv")
    assert export_transition(export=building, to=ExportStatus.RUNNING)
    gone = [Path(holds_her.file.path), Path(her_sav.file.path)]

    client = personas.client_for(personas.owner)
    erased = client.post(f"/o/{org.slug}/contacts/{contact.pk}/erase/", {"confirm": "erase"})
    assert erased.status_code == 302

    for export, path in zip((holds_her, her_sav), gone, strict=True):
        assert not path.exists()
        export.refresh_from_db()
        assert export.status == ExportStatus.EXPIRED and not export.file
        assert writer.get(f"/exports/{export.pk}/file").status_code == 410
        entry = Activity.objects.get(verb="export.expired", object_id=str(export.pk))
        assert entry.data["reason"] == "contact_erased" and entry.actor is None
    building.refresh_from_db()
    assert building.status == ExportStatus.FAILED and "erased" in building.error
    # what could not hold her stays: another survey's export, and aggregate figures
    for export in (not_hers, figures):
        export.refresh_from_db()
        assert export.status == ExportStatus.DONE and Path(export.file.path).exists()
        assert writer.get(f"/exports/{export.pk}/file").status_code == 200

    # a new export of her survey has her answer, anonymous
    fresh = _ready(writer, {"survey": str(answered.pk), "format": "csv"})
    content = read_file(fresh).decode("utf-8-sig")
    assert "slow coffee" in content
    assert "minji" not in content.lower() and str(contact.pk) not in content

    # erasing someone who answered nothing touches no export
    nobody = make_contact(org, email="nobody@example.com")
    assert writer.delete(f"/contacts/{nobody.pk}").status_code == 204
    fresh.refresh_from_db()
    assert fresh.status == ExportStatus.DONE and Path(fresh.file.path).exists()


def test_deleting_a_survey_deletes_its_export_files(personas: Personas) -> None:
    # (a survey with responses cannot be deleted: its versions are protected)
    survey, kept = make_survey(personas.org), make_survey(personas.org)
    answer(kept, {"nps": 8})
    export_create(organization=personas.org, survey=survey, format="xlsx")
    export_metrics_create(
        organization=personas.org,
        query={"metric": "nps", "surveys": [str(survey.pk)]},
        format="csv",
    )
    export_create(organization=personas.org, survey=kept, format="csv")
    run_ready_tasks()
    files = {e.survey_id: Path(e.file.path) for e in Export.objects.all()}
    paths = [Path(e.file.path) for e in Export.objects.filter(survey=survey)]
    assert len(paths) == 2 and all(p.exists() for p in paths)

    # a deletion that is rolled back keeps the files
    with pytest.raises(RuntimeError), transaction.atomic():
        Survey.objects.get(pk=survey.pk).delete()
        raise RuntimeError
    assert all(p.exists() for p in paths)

    Survey.objects.get(pk=survey.pk).delete()
    assert Export.objects.count() == 1
    assert not any(p.exists() for p in paths)
    assert files[kept.pk].exists()
