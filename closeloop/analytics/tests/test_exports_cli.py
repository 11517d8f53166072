"""`closeloop export responses`: a progress line, then the file saved where asked."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook

from closeloop import cli
from closeloop.analytics.models import Export
from closeloop.analytics.tests.exports_factories import KOREAN_NPS, answer, make_survey

if TYPE_CHECKING:
    from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_export_responses_shows_progress_and_saves_the_file(
    personas: Personas, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    survey = make_survey(personas.org)
    for score in (10, 9, 4):
        answer(survey, {"nps": score}, language="th")
    answer(survey, {"nps": 1}, language="ko")
    target = tmp_path / "out.csv"

    code = cli.main(
        ["export", "responses", "--org", personas.org.slug, "--survey", str(survey.pk),
         "--format", "csv", "--language", "th", "--output", str(target)]
    )  # fmt: skip

    out = capsys.readouterr().out
    assert code == 0, out
    assert "No worker is running: doing the work here." in out
    assert "Ready: 3/3 (100%)" in out
    assert f"Saved {target}" in out
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [r[KOREAN_NPS] for r in rows] == ["10", "9", "4"]


def test_export_to_a_folder_uses_the_export_name(
    personas: Personas, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    survey = make_survey(personas.org)
    answer(survey, {"nps": 8})
    code = cli.main(
        ["export", "responses", "--org", personas.org.slug, "--survey", str(survey.pk),
         "--format", "xlsx", "--from", "2020-01-01", "--output", str(tmp_path)]
    )  # fmt: skip
    assert code == 0
    export = Export.objects.get()
    saved = tmp_path / export.file_name
    assert saved.name.endswith(".xlsx") and "방문-설문-visit" in saved.name
    book = load_workbook(saved)
    assert book.sheetnames[0] == "Version 1"
    capsys.readouterr()


def test_export_names_what_is_wrong(personas: Personas, capsys: pytest.CaptureFixture[str]) -> None:
    survey = make_survey(personas.org)
    base = ["export", "responses", "--org", personas.org.slug, "--format", "sav"]
    assert cli.main([*base, "--survey", "not-a-uuid"]) == 1
    assert "no survey" in capsys.readouterr().err
    assert cli.main([*base, "--survey", str(survey.pk), "--from", "2024-13-01"]) == 1
    assert "YYYY-MM-DD. (--from)" in capsys.readouterr().err
    assert cli.main([*base, "--survey", str(survey.pk), "--channel", "fax"]) == 1
    assert "(--channel)" in capsys.readouterr().err
    other = make_survey(personas.other_org)
    assert cli.main([*base, "--survey", str(other.pk)]) == 1
    assert not Export.objects.exists()
