"""Widgets and widget-ready surveys for tests (and the tenant-isolation walker)."""

from __future__ import annotations

from typing import Any

from closeloop.accounts.models import Organization
from closeloop.distribution.models import Widget
from closeloop.distribution.widget_services import widget_create
from closeloop.responses.testing import publish_survey
from closeloop.surveys.models import Survey


def nps_comment_definition() -> dict[str, Any]:
    """An NPS question and a comment, in English and Korean, with the brand's colour."""
    return {
        "default_language": "en",
        "languages": ["en", "ko"],
        "title": {"en": "Quick question", "ko": "간단한 질문"},
        "hidden_fields": [{"key": "page_url"}],
        "theme": {"primary_color": "#0F766E"},
        "pages": [
            {
                "key": "score",
                "questions": [
                    {
                        "key": "nps",
                        "type": "nps",
                        "required": True,
                        "title": {
                            "en": "How likely are you to recommend us to a friend?",
                            "ko": "친구에게 추천하실 가능성은 얼마나 되나요?",
                        },
                        "low_label": {"en": "Not likely", "ko": "전혀 아님"},
                        "high_label": {"en": "Very likely", "ko": "매우 그렇다"},
                    },
                    {
                        "key": "why",
                        "type": "long_text",
                        "title": {
                            "en": "What is the main reason?",
                            "ko": "주된 이유는 무엇인가요?",
                        },
                    },
                ],
            }
        ],
        "endings": [
            {
                "key": "thanks",
                "title": {"en": "Thank you!", "ko": "감사합니다!"},
                "message": {
                    "en": "Thanks, your answer helps us improve.",
                    "ko": "감사합니다. 더 나아지는 데 도움이 됩니다.",
                },
            }
        ],
    }


def widget_survey(organization: Organization, name: str = "Website NPS") -> Survey:
    """A published NPS + comment survey."""
    return publish_survey(organization, nps_comment_definition(), name=name)


def make_widget(organization: Organization, **fields: Any) -> Widget:
    """A widget for a fresh published survey; keyword arguments override the settings."""
    values: dict[str, Any] = {
        "name": "Site widget",
        "allowed_origins": ["https://shop.example.com"],
        "triggers": {},
    }
    values.update(fields)
    if "survey" not in values:
        values["survey"] = widget_survey(organization)
    return widget_create(organization=organization, actor=None, **values)


def isolation_widget(organization: Organization) -> Widget:
    """A widget of the organization (for the tenant-isolation walker)."""
    return make_widget(organization, name="Isolation widget")
