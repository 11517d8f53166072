"""Metric exports: the engine's result per group (value, n, margin, counts) as CSV or XLSX, with
the same numbers as GET /api/v1/metrics and small groups hidden the same way."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from closeloop.analytics.models import Export
from closeloop.analytics.tests.exports_factories import answer, make_survey
from closeloop.core.worker import run_ready_tasks

if TYPE_CHECKING:
    from closeloop.api.testing import ApiClient
    from closeloop.surveys.models import Survey
    from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _scores(survey: Survey, *, lonely: bool = True) -> None:
    for score in (9, 10, 10, 8, 3):  # NPS 40
        answer(survey, {"nps": score}, channel="email")
    for score in (10, 10, 10, 10, 7, 0):  # NPS 50
        answer(survey, {"nps": score}, channel="link")
    for score in (10, 9, 9, 9, 8, 8, 1):
        answer(survey, {"nps": score}, channel="widget")
    if lonely:
        answer(survey, {"nps": 0}, channel="qr")  # alone in its group: hidden


def _download(client: ApiClient, body: dict[str, Any]) -> bytes:
    asked = client.post("/exports", body)
    assert asked.status_code == 202, asked.content
    run_ready_tasks()
    done = client.get(urlsplit(asked.json()["status_url"]).path).json()
    assert done["status"] == "done", done["error"]
    file = client.get(urlsplit(done["download_url"]).path)
    return b"".join(file.streaming_content)


def _num(text: str) -> float | None:
    return float(text) if text else None


def test_metric_csv_has_the_numbers_of_the_metrics_api(
    personas: Personas, writer: ApiClient
) -> None:
    survey = make_survey(personas.org)
    _scores(survey)
    query = {"metric": "nps", "survey": str(survey.pk), "group_by": "channel"}

    content = _download(writer, {"kind": "metrics", "format": "csv", **query})
    rows = {r["Key"]: r for r in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))}
    api = writer.get("/metrics", query).json()

    link = rows["link"]
    assert link["Group"] == "Web link"
    assert link["Value (points)"] == "50"  # (4 promoters - 1 detractor) / 6
    assert link["n"] == "6"
    assert link["Count: Promoters"] == "4"
    assert link["Count: Passives"] == "1"
    assert link["Count: Detractors"] == "1"
    assert link["Hidden (fewer than the minimum group size)"] == "0"
    qr = rows["qr"]
    assert qr["Hidden (fewer than the minimum group size)"] == "1"
    assert qr["n"] == ""  # its size is withheld too
    assert qr["Value (points)"] == "" and qr["Count: Detractors"] == ""
    # The email group (5) is hidden too, or the qr one would follow by subtraction.
    assert rows["email"]["Hidden (fewer than the minimum group size)"] == "1"
    # hidden, shown and the numbers are the engine's, as GET /metrics gives them
    for group in [*api["groups"], api["total"]]:
        row = rows[group["key"]]
        assert row["Hidden (fewer than the minimum group size)"] == str(int(group["hidden"]))
        assert row["n"] == ("" if group["n"] is None else str(group["n"]))
        assert _num(row["Value (points)"]) == pytest.approx(group["value"])
        assert _num(row["Margin of error (95%)"]) == pytest.approx(group["margin_of_error"])
        assert _num(row["Interval, low (95%)"]) == pytest.approx(group["low"])
        assert _num(row["Interval, high (95%)"]) == pytest.approx(group["high"])
    assert Export.objects.get().kind == "metrics"


def test_metric_xlsx_and_refused_formats(personas: Personas, writer: ApiClient) -> None:
    survey = make_survey(personas.org)
    _scores(survey)
    body = {"kind": "metrics", "metric": "nps", "survey": str(survey.pk)}
    book = load_workbook(io.BytesIO(_download(writer, {**body, "format": "xlsx"})))
    assert book.sheetnames == ["Metric", "Legend", "About"]
    sheet = book["Metric"]
    keys = [c.value for c in sheet[2]]
    total = {k: c.value for k, c in zip(keys, sheet[3], strict=True)}
    assert total["key"] == "total" and total["n"] == 19
    assert total["value"] == pytest.approx(100 * (11 - 4) / 19)
    about = {r[0].value: r[1].value for r in book["About"].iter_rows()}
    assert about["Metric"] == "nps" and about["Unit"] == "points"

    refused = writer.post("/exports", {**body, "format": "sav"})
    assert refused.status_code == 400 and refused.json()["field"] == "format"
    unknown = writer.post("/exports", {**body, "metric": "happiness", "format": "csv"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "metric"
    grouped = writer.post("/exports", {**body, "group_by": "colour", "format": "csv"})
    assert grouped.status_code == 400 and grouped.json()["field"] == "group_by"
    missing = writer.post("/exports", {"kind": "metrics", "format": "csv"})
    assert missing.status_code == 400 and missing.json()["field"] == "metric"


def test_metric_export_from_the_page(personas: Personas) -> None:
    survey = make_survey(personas.org)
    _scores(survey)
    client = personas.client_for(personas.analyst)
    url = f"/o/{personas.org.slug}/analytics/exports/"
    started = client.post(
        url,
        {"kind": "metrics", "m-metric": "nps", "m-survey": str(survey.pk),
         "m-group_by": "month", "m-format": "csv"},
    )  # fmt: skip
    assert started.status_code == 302
    export = Export.objects.get()
    assert export.filters["group_by"] == "month"
    run_ready_tasks()
    download = client.get(f"{url}{export.pk}/download/")
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["Key"] == "total" and rows[-1]["n"] == "19"
    bad = client.post(
        url,
        {"kind": "metrics", "m-metric": "nps", "m-group_by": "none", "m-format": "csv",
         "m-date_from": "2024-02-01", "m-date_to": "2024-01-01"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert bad.context["metric_form"].errors["date_to"]
