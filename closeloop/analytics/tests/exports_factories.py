"""A Korean and Thai survey with every kind of answer, its responses, and a ready export."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

from closeloop.accounts.models import Organization
from closeloop.analytics.exports.services import export_create, export_run
from closeloop.analytics.models import Export
from closeloop.contacts.tests.factories import make_contact
from closeloop.distribution.models import Touchpoint
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.responses.testing import publish_survey
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_publish, survey_update_definition

KOREAN_NPS = "저희를 친구에게 추천하실 가능성은 얼마나 되나요?"
THAI_COMMENT = "กาแฟอร่อยมาก แต่รอนานไปหน่อย"


def _t(ko: str, th: str) -> dict[str, str]:
    return {"ko": ko, "th": th}


def _choices(*items: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"key": key, "label": _t(ko, th)} for key, ko, th in items]


def every_answer_definition() -> dict[str, Any]:
    """Korean by default, Thai too: a question of each answer type, and a hidden field."""
    questions: list[dict[str, Any]] = [
        {
            "key": "nps",
            "type": "nps",
            "required": True,
            "title": _t(KOREAN_NPS, "คุณจะแนะนำเราให้เพื่อนมากแค่ไหน"),
            "low_label": _t("전혀 아님", "ไม่เลย"),
            "high_label": _t("매우 그렇다", "แน่นอน"),
        },
        {
            "key": "visit",
            "type": "single_choice",
            "title": _t("무엇을 드셨나요?", "คุณทานอะไร"),
            "choices": _choices(("coffee", "커피", "กาแฟ"), ("tea", "차", "ชา")),
            "allow_other": True,
            "other_label": _t("기타", "อื่น ๆ"),
        },
        {
            "key": "improve",
            "type": "multiple_choice",
            "title": _t("무엇을 개선해야 할까요?", "เราควรปรับปรุงอะไร"),
            "choices": _choices(
                ("speed", "속도", "ความเร็ว"),
                ("price", "가격", "ราคา"),
                ("staff", "직원", "พนักงาน"),
            ),
        },
        {
            "key": "grid",
            "type": "matrix",
            "title": _t("평가해 주세요", "โปรดให้คะแนน"),
            "rows": _choices(("taste", "맛", "รสชาติ"), ("room", "매장", "ร้าน")),
            "columns": _choices(("bad", "나쁨", "แย่"), ("good", "좋음", "ดี")),
        },
        {
            "key": "rank",
            "type": "ranking",
            "title": _t("순서대로 정렬하세요", "เรียงลำดับ"),
            "choices": _choices(("a", "가", "ก"), ("b", "나", "ข"), ("c", "다", "ค")),
        },
        {
            "key": "ok",
            "type": "consent",
            "title": _t("동의", "ยินยอม"),
            "text": _t("인용해도 됩니다", "อ้างอิงได้"),
        },
        {"key": "day", "type": "date", "title": _t("방문일", "วันที่มา")},
        {"key": "spend", "type": "number", "title": _t("지출 금액", "ยอดใช้จ่าย")},
        {"key": "mail", "type": "email", "title": _t("이메일", "อีเมล")},
        {"key": "comment", "type": "long_text", "title": _t("의견", "ความคิดเห็น")},
        {"key": "note", "type": "statement", "title": _t("감사합니다", "ขอบคุณ")},
    ]
    return {
        "default_language": "ko",
        "languages": ["ko", "th"],
        "title": _t("방문 설문", "แบบสอบถาม"),
        "hidden_fields": [{"key": "store"}],
        "pages": [{"key": "all", "questions": questions}],
        "endings": [{"key": "end", "title": _t("끝", "จบ"), "message": _t("감사", "ขอบคุณ")}],
    }


FULL_ANSWERS: dict[str, Any] = {
    "nps": 9,
    "visit": {"choice": "other", "other": "ชาไทย"},
    "improve": ["speed", "staff"],
    "grid": {"taste": "good", "room": "bad"},
    "rank": ["b", "c", "a"],
    "ok": True,
    "day": "2024-05-01",
    "spend": 12.5,
    "mail": "minji@example.com",
    "comment": THAI_COMMENT,
}


def make_survey(organization: Organization, *, kind: str = "customer") -> Survey:
    return publish_survey(
        organization, every_answer_definition(), name="방문 설문 Visit", kind=kind
    )


def touchpoint(organization: Organization) -> Touchpoint:
    found = Touchpoint.objects.filter(organization=organization).first()
    if found is not None:
        return found
    return Touchpoint.objects.create(organization=organization, key="store", name="매장 Store")


def answer(
    survey: Survey,
    answers: dict[str, Any] | None = None,
    *,
    when: dt.datetime | None = None,
    partial: bool = False,
    at: Touchpoint | None = None,
    **fields: Any,
) -> Response:
    """A completed response (made partial if asked), at a touchpoint if given."""
    response = response_create_complete(
        survey=survey,
        answers=answers if answers is not None else {"nps": 7},
        completed_at=when,
        **fields,
    )
    changes: dict[str, Any] = {}
    if partial:
        changes.update(status="partial", completed_at=None)
    if at is not None:
        changes["touchpoint_id"] = at.pk
    if changes:
        Response.objects.filter(pk=response.pk).update(**changes)
        response.refresh_from_db()
    return response


def full_response(survey: Survey, **fields: Any) -> Response:
    contact = make_contact(survey.organization, email="minji@example.com", first_name="Minji")
    fields.setdefault("language", "th")
    return answer(
        survey,
        FULL_ANSWERS,
        channel="email",
        hidden={"store": "สาขาสยาม"},
        contact_id=contact.pk,
        when=dt.datetime(2024, 5, 1, 3, 30, tzinfo=dt.UTC),
        at=touchpoint(survey.organization),
        **fields,
    )


def publish_second_version(survey: Survey) -> None:
    """Version 2 adds a short question ("why") after the NPS."""
    definition = copy.deepcopy(every_answer_definition())
    definition["pages"][0]["questions"].insert(
        1, {"key": "why", "type": "short_text", "title": _t("이유는?", "เพราะอะไร")}
    )
    survey_update_definition(survey=survey, actor=None, definition=definition)
    survey_publish(survey=survey, actor=None)
    survey.refresh_from_db()


def isolation_export(organization: Organization) -> Export:
    """A ready CSV export of the organization (for the tenant-isolation walker)."""
    survey = make_survey(organization)
    answer(survey, {"nps": 10})
    export = export_create(organization=organization, survey=survey, format="csv")
    export_run(export_id=str(export.pk))
    export.refresh_from_db()
    return export


def read_file(export: Export) -> bytes:
    with export.file.open("rb") as handle:
        return handle.read()


def as_stream(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)
