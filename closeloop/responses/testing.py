"""Survey definitions and helpers for tests and the submit benchmark: publish, then answer."""

from __future__ import annotations

import re
from typing import Any

from closeloop.accounts.models import Organization
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create, survey_publish


def _t(en: str, ko: str) -> dict[str, str]:
    return {"en": en, "ko": ko}


def feedback_definition() -> dict[str, Any]:
    """Three pages with logic, in English and Korean: promoters jump to a praise page."""
    return {
        "default_language": "en",
        "languages": ["en", "ko"],
        "title": _t("Tell us how we did", "저희 서비스는 어떠셨나요?"),
        "hidden_fields": [{"key": "source"}],
        "pages": [
            {
                "key": "score",
                "questions": [
                    {
                        "key": "q1",
                        "type": "nps",
                        "required": True,
                        "title": _t(
                            "How likely are you to recommend us?",
                            "저희를 추천하실 가능성은 얼마나 되나요?",
                        ),
                        "low_label": _t("Not at all likely", "전혀 추천하지 않음"),
                        "high_label": _t("Extremely likely", "적극 추천함"),
                    },
                    {
                        "key": "name",
                        "type": "short_text",
                        "title": _t("Your first name", "이름"),
                        "help": _t("Optional.", "선택 사항입니다."),
                    },
                ],
                "jumps": [{"if": {"field": "answer.q1", "op": "gte", "value": 9}, "to": "praise"}],
            },
            {
                "key": "improve",
                "questions": [
                    {
                        "key": "q2",
                        "type": "multiple_choice",
                        "required": True,
                        "title": _t("What should we improve?", "무엇을 개선해야 할까요?"),
                        "choices": [
                            {"key": "speed", "label": _t("Speed", "속도")},
                            {"key": "price", "label": _t("Price", "가격")},
                            {"key": "staff", "label": _t("Staff", "직원")},
                        ],
                    },
                    {
                        "key": "q3",
                        "type": "long_text",
                        "title": _t(
                            "Anything else, {{answer.name|friend}}?",
                            "{{answer.name|고객}}님, 더 하실 말씀이 있나요?",
                        ),
                    },
                ],
                "next": "ending:thanks",
            },
            {
                "key": "praise",
                "questions": [
                    {
                        "key": "q4",
                        "type": "single_choice",
                        "required": True,
                        "title": _t("What did you like most?", "무엇이 가장 좋으셨나요?"),
                        "choices": [
                            {"key": "coffee", "label": _t("Coffee", "커피")},
                            {"key": "service", "label": _t("Service", "서비스")},
                        ],
                        "allow_other": True,
                        "other_label": _t("Something else", "기타"),
                    }
                ],
            },
        ],
        "endings": [
            {
                "key": "promoter",
                "show_if": {"field": "answer.q1", "op": "gte", "value": 9},
                "title": _t("Thank you!", "감사합니다!"),
                "message": _t("Glad you like us.", "좋게 봐주셔서 기쁩니다."),
                "button": {
                    "label": _t("Write a review", "리뷰 쓰기"),
                    "url": "https://example.com/review",
                },
            },
            {
                "key": "thanks",
                "title": _t("Thanks for your feedback", "의견 감사합니다"),
                "message": _t("We read every answer.", "모든 의견을 읽습니다."),
            },
        ],
    }


def five_question_definition() -> dict[str, Any]:
    """Five questions, one per page (NPS, CSAT, single and multiple choice, a comment)."""
    choices = [{"key": k, "label": {"en": k.title()}} for k in ("speed", "price", "staff")]
    questions: list[dict[str, Any]] = [
        {
            "key": "q1",
            "type": "nps",
            "required": True,
            "title": {"en": "How likely are you to recommend us to a friend or colleague?"},
        },
        {
            "key": "q2",
            "type": "csat",
            "required": True,
            "title": {"en": "How satisfied are you with your last visit?"},
        },
        {
            "key": "q3",
            "type": "single_choice",
            "title": {"en": "What matters most to you?"},
            "choices": choices,
        },
        {
            "key": "q4",
            "type": "multiple_choice",
            "title": {"en": "What could we improve?"},
            "choices": choices,
        },
        {"key": "q5", "type": "long_text", "title": {"en": "Anything else you want to tell us?"}},
    ]
    return {
        "default_language": "en",
        "languages": ["en"],
        "title": {"en": "Your visit"},
        "pages": [{"key": f"p{i + 1}", "questions": [q]} for i, q in enumerate(questions)],
        "endings": [{"key": "thanks", "title": {"en": "Thank you!"}, "message": {"en": "Bye."}}],
    }


FIVE_ANSWERS: list[dict[str, str | list[str]]] = [
    {"q1": "9"},
    {"q2": "4"},
    {"q3": "speed"},
    {"q4": ["price", "staff"]},
    {"q5": "Great coffee, slow queue."},
]


def publish_survey(
    organization: Organization,
    definition: dict[str, Any],
    *,
    name: str = "Feedback",
    **settings: Any,
) -> Survey:
    """Create and publish a survey from a definition; extra keyword arguments set Survey fields."""
    survey = survey_create(organization=organization, actor=None, name=name, definition=definition)
    survey_publish(survey=survey, actor=None)
    if settings:
        for field, value in settings.items():
            setattr(survey, field, value)
        survey.save(update_fields=list(settings))
    survey.refresh_from_db()
    return survey


NONCE_RE = re.compile(r'name="_nonce" value="([^"]+)"')
PAGE_RE = re.compile(r'name="_page" value="([^"]+)"')


def form_state(html: str) -> tuple[str, str]:
    """(page key, nonce) of a rendered survey page."""
    page = PAGE_RE.search(html)
    nonce = NONCE_RE.search(html)
    if page is None or nonce is None:
        raise AssertionError("not a survey page with a form")
    return page.group(1), nonce.group(1)


def isolation_response(organization: Organization) -> Any:
    """A completed response of the organization (for the tenant-isolation walker)."""
    from closeloop.responses.services import response_create_complete

    survey = publish_survey(organization, five_question_definition(), name="Isolation responses")
    return response_create_complete(survey=survey, answers={"q1": 9, "q2": 4})


def every_type_definition() -> dict[str, Any]:
    """One page with a question of every type (to render and answer each form control)."""

    def en(text: str) -> dict[str, str]:
        return {"en": text}

    abc = [{"key": k, "label": en(k.upper())} for k in ("a", "b", "c")]
    questions: list[dict[str, Any]] = [
        {"key": "nps", "type": "nps", "title": en("NPS")},
        {"key": "csat", "type": "csat", "title": en("CSAT faces"), "style": "faces"},
        {"key": "stars", "type": "rating", "title": en("Stars"), "style": "stars"},
        {"key": "ces", "type": "ces", "title": en("Effort")},
        {"key": "one", "type": "single_choice", "title": en("One"), "choices": abc},
        {"key": "many", "type": "multiple_choice", "title": en("Many"), "choices": abc},
        {
            "key": "drop",
            "type": "dropdown",
            "title": en("Drop"),
            "choices": abc,
            "allow_other": True,
        },
        {"key": "short", "type": "short_text", "title": en("Short")},
        {"key": "long", "type": "long_text", "title": en("Long")},
        {"key": "num", "type": "number", "title": en("Number"), "min": 0, "max": 100},
        {"key": "mail", "type": "email", "title": en("Email")},
        {"key": "day", "type": "date", "title": en("Date")},
        {
            "key": "grid",
            "type": "matrix",
            "title": en("Grid"),
            "rows": [{"key": "r1", "label": en("Taste")}, {"key": "r2", "label": en("Price")}],
            "columns": [{"key": "bad", "label": en("Bad")}, {"key": "good", "label": en("Good")}],
        },
        {"key": "rank", "type": "ranking", "title": en("Rank"), "choices": abc},
        {"key": "ok", "type": "consent", "title": en("Consent"), "text": en("You may quote me")},
        {"key": "note", "type": "statement", "title": en("Thanks for your time.")},
    ]
    return {
        "default_language": "en",
        "languages": ["en"],
        "title": en("Every type"),
        "pages": [{"key": "all", "questions": questions}],
        "endings": [{"key": "end", "title": en("Done"), "message": en("Thanks.")}],
    }


EVERY_TYPE_FORM: dict[str, str | list[str]] = {
    "nps": "10",
    "csat": "5",
    "stars": "4",
    "ces": "6",
    "one": "b",
    "many": ["a", "c"],
    "drop": "other",
    "drop__other": "Something",
    "short": "Hi",
    "long": "Line one\nLine two",
    "num": "42.5",
    "mail": "kim@example.com",
    "day": "2024-05-01",
    "grid__r1": "good",
    "grid__r2": "bad",
    "rank__a": "3",
    "rank__b": "1",
    "rank__c": "2",
    "ok": "on",
}
