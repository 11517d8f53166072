"""Surveys with an open question, respondents answering on the public page, and comments
made through the real services, for the text tests."""

from __future__ import annotations

from typing import Any

from django.test import Client

from closeloop.accounts.models import Organization
from closeloop.core.worker import run_ready_tasks
from closeloop.responses.testing import form_state, publish_survey
from closeloop.surveys.models import Survey
from closeloop.text.models import Comment, Theme


def _t(en: str, ko: str, th: str) -> dict[str, str]:
    return {"en": en, "ko": ko, "th": th}


def comment_survey_definition() -> dict[str, Any]:
    """One page: NPS and a comment; English, Korean and Thai."""
    return {
        "default_language": "en",
        "languages": ["en", "ko", "th"],
        "title": _t("How did we do?", "어떠셨나요?", "เป็นอย่างไรบ้าง"),
        "pages": [
            {
                "key": "p1",
                "questions": [
                    {
                        "key": "nps",
                        "type": "nps",
                        "required": True,
                        "title": _t("Recommend us?", "추천하시겠어요?", "จะแนะนำเราไหม"),
                    },
                    {
                        "key": "why",
                        "type": "long_text",
                        "title": _t("Why?", "이유는요?", "เพราะอะไร"),
                    },
                    {
                        "key": "name",
                        "type": "short_text",
                        "title": _t("Your name", "이름", "ชื่อ"),
                    },
                ],
            }
        ],
        "endings": [
            {
                "key": "thanks",
                "title": _t("Thanks", "감사합니다", "ขอบคุณ"),
                "message": _t("We read every answer.", "모두 읽습니다.", "เราอ่านทุกคำตอบ"),
            }
        ],
    }


def comment_survey(organization: Organization) -> Survey:
    return publish_survey(organization, comment_survey_definition(), name="Comments")


def answer_on_the_page(
    survey: Survey, *, score: int, why: str, language: str = "en", name: str = ""
) -> None:
    """Answer the public survey page as a respondent's browser does."""
    client = Client()
    url = f"/s/{survey.public_token}/?lang={language}"
    page = client.get(url)
    assert page.status_code == 200
    key, nonce = form_state(page.content.decode())
    done = client.post(
        f"/s/{survey.public_token}/",
        {"_page": key, "_nonce": nonce, "nps": str(score), "why": why, "name": name},
    )
    assert done.status_code == 303, done.content.decode()[:500]


def work() -> None:
    """Run the background tasks until none is left (enrichment enqueues more)."""
    for _ in range(10):
        if not run_ready_tasks():
            return


def theme(organization: Organization, key: str) -> Theme:
    return Theme.objects.get(organization=organization, key=key)


def theme_keys(comment: Comment) -> set[str]:
    return {link.theme.key for link in comment.theme_links.select_related("theme")}
