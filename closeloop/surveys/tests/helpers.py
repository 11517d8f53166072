"""Small builders for survey definitions used by the tests."""

from __future__ import annotations

from typing import Any

from closeloop.surveys.schema import SurveyDefinition
from closeloop.surveys.serialization import definition_from_data


def t(text: str) -> dict[str, str]:
    return {"en": text}


def q(key: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "title": t(f"Question {key}"), **extra}


def choices(*keys: str) -> list[dict[str, Any]]:
    return [{"key": key, "label": t(key.upper())} for key in keys]


def ending(key: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "title": t("Thanks"), "message": t(f"Ending {key}"), **extra}


def data(
    pages: list[dict[str, Any]], endings: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "default_language": "en",
        "languages": ["en"],
        "title": t("Survey"),
        "pages": pages,
        "endings": endings if endings is not None else [ending("done")],
        **extra,
    }


def build(
    pages: list[dict[str, Any]], endings: list[dict[str, Any]] | None = None, **extra: Any
) -> SurveyDefinition:
    return definition_from_data(data(pages, endings, **extra))


def question_model(question: dict[str, Any]) -> Any:
    """A validated question model for a single-question survey."""
    defn = build([{"key": "p1", "questions": [question]}])
    return defn.pages[0].questions[0]
