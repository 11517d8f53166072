"""Response exports through the API and the worker, opened as an analyst would: CSV with the csv
module, XLSX with openpyxl, SPSS with pyreadstat; Korean and Thai labels and values."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from closeloop.analytics.exports import selectors, services
from closeloop.analytics.exports.columns import spss_names
from closeloop.analytics.models import Export
from closeloop.analytics.tests.exports_factories import (
    KOREAN_NPS,
    THAI_COMMENT,
    answer,
    full_response,
    make_survey,
    publish_second_version,
    touchpoint,
)
from closeloop.core.worker import run_ready_tasks
from closeloop.responses.models import Response

if TYPE_CHECKING:
    from closeloop.api.testing import ApiClient
    from closeloop.surveys.models import Survey
    from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def export_file(writer: ApiClient, survey: Survey, fmt: str, **filters: Any) -> bytes:
    """Ask for an export, let the worker build it, follow the status URL, download the file."""
    asked = writer.post("/exports", {"survey": str(survey.pk), "format": fmt, **filters})
    assert asked.status_code == 202, asked.content
    body = asked.json()
    assert body["status"] == "queued"
    assert asked["Location"] == body["status_url"]
    run_ready_tasks()
    status = writer.get(urlsplit(body["status_url"]).path)
    assert status.status_code == 200
    done = status.json()
    assert done["status"] == "done", done["error"]
    assert done["progress"]["done"] == done["progress"]["total"]
    assert done["progress"]["percent"] == 100
    download = writer.get(urlsplit(done["download_url"]).path)
    assert download.status_code == 200
    assert f".{fmt}" in download["Content-Disposition"]
    content = b"".join(download.streaming_content)
    assert len(content) == done["size"]
    return content


def csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_has_labelled_columns_and_korean_and_thai_values(
    personas: Personas, writer: ApiClient
) -> None:
    survey = make_survey(personas.org)
    full = full_response(survey)
    answer(survey, {"nps": 3}, language="ko", channel="link")
    answer(survey, {"nps": 10}, partial=True)  # partial: left out by default
    Response.objects.filter(pk=full.pk).update(metadata={"user_agent": "Mozilla/5.0"})

    rows = csv_rows(export_file(writer, survey, "csv"))

    assert len(rows) == 2
    first = rows[0]
    assert first["Response ID"] == str(full.pk)
    assert first["Contact ID"] == str(full.contact_id)
    assert first["Channel"] == "Email"
    assert first["Touchpoint"] == touchpoint(personas.org).name
    assert first["Language"] == "th"
    assert first["Status"] == "Complete"
    # the organization's time zone (Asia/Seoul, UTC+9), named in the header
    assert first["Completed (Asia/Seoul)"] == "2024-05-01 12:30:00"
    assert first["Hidden field: store"] == "สาขาสยาม"
    assert first["Metadata: user_agent"] == "Mozilla/5.0"
    assert first[KOREAN_NPS] == "9"
    assert first["무엇을 드셨나요?"] == "기타"
    assert first["무엇을 드셨나요?: 기타 (text)"] == "ชาไทย"
    assert first["무엇을 개선해야 할까요?: 속도"] == "1"
    assert first["무엇을 개선해야 할까요?: 가격"] == "0"
    assert first["무엇을 개선해야 할까요?: 직원"] == "1"
    assert first["평가해 주세요: 맛"] == "좋음"
    assert first["평가해 주세요: 매장"] == "나쁨"
    assert first["순서대로 정렬하세요: 가 (rank)"] == "3"
    assert first["순서대로 정렬하세요: 나 (rank)"] == "1"
    assert first["동의"] == "1"
    assert first["방문일"] == "2024-05-01"
    assert first["지출 금액"] == "12.5"
    assert first["이메일"] == "minji@example.com"
    assert first["의견"] == THAI_COMMENT
    assert "감사합니다" not in first  # a statement takes no answer
    second = rows[1]
    assert second[KOREAN_NPS] == "3"
    assert second["무엇을 개선해야 할까요?: 속도"] == ""  # not answered is not "not selected"
    assert second["Channel"] == "Web link"


def test_csv_neutralises_text_that_a_spreadsheet_would_run(
    personas: Personas, writer: ApiClient
) -> None:
    survey = make_survey(personas.org)
    answer(survey, {"nps": 5, "comment": '=HYPERLINK("http://evil")'})
    rows = csv_rows(export_file(writer, survey, "csv"))
    assert rows[0]["의견"] == '\'=HYPERLINK("http://evil")'


def test_xlsx_has_a_sheet_per_version_with_labels_keys_and_dates(
    personas: Personas, writer: ApiClient
) -> None:
    survey = make_survey(personas.org)
    full_response(survey)
    publish_second_version(survey)
    answer(survey, {"nps": 8, "why": "맛있어요"}, when=dt.datetime(2024, 6, 2, tzinfo=dt.UTC))

    book = load_workbook(io.BytesIO(export_file(writer, survey, "xlsx")))

    assert book.sheetnames == ["Version 2", "Version 1", "Legend", "About"]
    v1, v2 = book["Version 1"], book["Version 2"]
    assert v1.freeze_panes == "A3" and v2.freeze_panes == "A3"
    labels = [c.value for c in v1[1]]
    keys = [c.value for c in v1[2]]
    assert KOREAN_NPS in labels
    assert keys[:2] == ["response_id", "contact_id"]
    assert "why" not in keys and "why" in [c.value for c in v2[2]]
    row = {key: cell.value for key, cell in zip(keys, v1[3], strict=True)}
    assert row["nps"] == 9
    assert row["visit"] == "기타"
    assert row["visit.other_text"] == "ชาไทย"
    assert row["improve.speed"] == 1 and row["improve.price"] == 0
    assert row["grid.taste"] == "좋음"
    assert row["comment"] == THAI_COMMENT
    assert row["completed_at"] == dt.datetime(2024, 5, 1, 12, 30)  # a date, not text
    assert row["day"] == dt.datetime(2024, 5, 1)
    assert row["hidden.store"] == "สาขาสยาม"
    assert v1.max_row == 3
    v2_keys = [c.value for c in v2[2]]
    v2_row = {key: cell.value for key, cell in zip(v2_keys, v2[3], strict=True)}
    assert v2_row["why"] == "맛있어요" and v2_row["nps"] == 8
    legend = {r[0].value: r for r in book["Legend"].iter_rows(min_row=2)}
    assert legend["visit"][1].value == "무엇을 드셨나요?"
    assert legend["visit"][3].value == "1 = 커피; 2 = 차; 3 = 기타"
    about = {r[0].value: r[1].value for r in book["About"].iter_rows()}
    assert about["Survey"] == survey.name
    assert about["Responses"] == "2"


def test_sav_has_variable_and_value_labels(
    personas: Personas, writer: ApiClient, tmp_path: Path
) -> None:
    import pyreadstat

    survey = make_survey(personas.org)
    full_response(survey)
    answer(survey, {"nps": 0, "visit": "tea"}, language="ko")

    path = tmp_path / "responses.sav"
    path.write_bytes(export_file(writer, survey, "sav"))
    frame, meta = pyreadstat.read_sav(str(path))

    names = list(frame.columns)
    assert "response_id" in names and "hidden_store" in names
    assert "visit_other_text" in names and "improve_speed" in names and "grid_taste" in names
    assert all(len(n.encode()) <= 64 and n[0].isalpha() for n in names)
    labels = meta.column_names_to_labels
    assert labels["nps"] == KOREAN_NPS
    assert labels["improve_speed"] == "무엇을 개선해야 할까요?: 속도"
    values = meta.variable_value_labels
    assert values["nps"][0.0] == "0 전혀 아님"
    assert values["nps"][10.0] == "10 매우 그렇다"
    assert values["nps"][5.0] == "5"
    assert values["visit"] == {1.0: "커피", 2.0: "차", 3.0: "기타"}
    assert values["grid_taste"] == {1.0: "나쁨", 2.0: "좋음"}
    assert values["channel"][2.0] == "Email"
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["nps"] == 9 and second["nps"] == 0
    assert first["visit"] == 3 and second["visit"] == 2
    assert first["visit_other_text"] == "ชาไทย"
    assert first["comment"] == THAI_COMMENT
    assert first["improve_speed"] == 1 and first["improve_price"] == 0
    assert math.isnan(second["improve_speed"])
    assert first["grid_taste"] == 2
    assert first["day"] == dt.date(2024, 5, 1)
    assert first["completed_at"] == dt.datetime(2024, 5, 1, 12, 30)
    assert meta.original_variable_types["nps"] == "F3.0"
    assert meta.variable_measure["nps"] == "ordinal"


def test_employee_survey_exports_leave_out_what_identifies_people(
    personas: Personas, writer: ApiClient, tmp_path: Path
) -> None:
    import pyreadstat

    survey = make_survey(personas.org, kind="employee")
    full_response(survey)

    rows = csv_rows(export_file(writer, survey, "csv"))
    header = set(rows[0])
    assert not {"Response ID", "Contact ID", "Hidden field: store", "이메일"} & header
    assert not [h for h in header if h.startswith("Metadata")]
    assert rows[0]["Completed (date, Asia/Seoul)"] == "2024-05-01"
    assert "minji@example.com" not in str(rows)
    assert rows[0][KOREAN_NPS] == "9"

    path = tmp_path / "employees.sav"
    path.write_bytes(export_file(writer, survey, "sav"))
    frame, _meta = pyreadstat.read_sav(str(path))
    assert not {"response_id", "contact_id", "hidden_store", "mail"} & set(frame.columns)

    book = load_workbook(io.BytesIO(export_file(writer, survey, "xlsx")))
    keys = [c.value for c in book["Version 1"][2]]
    assert "contact_id" not in keys and "mail" not in keys
    about = {r[0].value: r[1].value for r in book["About"].iter_rows()}
    assert "Employee survey" in about["Anonymity"]


def test_filters_pick_the_responses(personas: Personas, writer: ApiClient) -> None:
    survey = make_survey(personas.org)
    seoul = dt.timezone(dt.timedelta(hours=9))
    spot = touchpoint(personas.org)
    early = answer(
        survey, {"nps": 1}, when=dt.datetime(2024, 3, 31, 23, 59, tzinfo=seoul), language="th"
    )
    april_first = answer(
        survey, {"nps": 2}, when=dt.datetime(2024, 4, 1, 0, 0, tzinfo=seoul), language="ko"
    )
    at_spot = answer(
        survey, {"nps": 3}, when=dt.datetime(2024, 4, 30, 23, 0, tzinfo=seoul), at=spot,
        channel="email", language="th",
    )  # fmt: skip
    answer(survey, {"nps": 4}, when=dt.datetime(2024, 5, 1, 0, 0, tzinfo=seoul), language="th")
    partial = answer(survey, {"nps": 5}, partial=True, language="th")

    def ids(**filters: Any) -> set[str]:
        return {r["Response ID"] for r in csv_rows(export_file(writer, survey, "csv", **filters))}

    assert ids(**{"from": "2024-04-01", "to": "2024-04-30"}) == {
        str(april_first.pk),
        str(at_spot.pk),
    }
    assert ids(touchpoint=str(spot.pk)) == {str(at_spot.pk)}
    assert ids(channel="email") == {str(at_spot.pk)}
    assert ids(language="ko", to="2024-04-15") == {str(april_first.pk)}
    assert ids(status="partial") == {str(partial.pk)}
    assert str(partial.pk) in ids(status="all")
    assert str(early.pk) in ids(status="all")


def test_large_exports_are_read_in_chunks_with_progress(
    personas: Personas, writer: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = make_survey(personas.org)
    made = [answer(survey, {"nps": i % 11}) for i in range(23)]
    # Many responses share a creation time: the chunks must neither skip nor repeat them.
    same = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    Response.objects.filter(pk__in=[r.pk for r in made[5:17]]).update(created_at=same)
    monkeypatch.setattr(selectors, "CHUNK_SIZE", 4)
    saved: list[int] = []
    real_save = services.Progress.save

    def save(self: services.Progress) -> None:
        saved.append(self.done)
        real_save(self)

    monkeypatch.setattr(services, "PROGRESS_EVERY", 5)
    monkeypatch.setattr(services.Progress, "save", save)

    rows = csv_rows(export_file(writer, survey, "csv"))

    assert sorted(r["Response ID"] for r in rows) == sorted(str(r.pk) for r in made)
    assert saved == [5, 10, 15, 20]  # every 5 rows, not every row
    export = Export.objects.get(survey=survey)
    assert (export.progress_done, export.progress_total) == (23, 23)


def test_spss_names_are_valid_and_unique() -> None:
    keys = ["q1", "Q1", "_store", "by", "9lives", "a" * 70, "a" * 70, "grid.taste", "x.y_"]
    names = spss_names(keys)
    assert names[:5] == ["q1", "Q1_2", "store", "by_v", "v_9lives"]
    assert len(names[5]) == 64 and names[6] != names[5] and len(names[6]) <= 64
    assert names[7] == "grid_taste" and names[8] == "x_y"
    assert len({n.upper() for n in names}) == len(names)
