"""API schemas of comments, themes and theme impact.

No `from __future__ import annotations`: ninja evaluates annotations at import."""

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

from closeloop.text.models import Comment, CommentTheme, Theme

SentimentName = Literal["positive", "negative", "neutral", "mixed"]
SourceName = Literal["survey", "review", "ticket", "chat", "import", "api"]
ImportSourceName = Literal["review", "ticket", "chat", "import", "api"]


def _theme_name(theme: Theme, language: str) -> str:
    return theme.name_in(language or theme.organization.default_language)


class ThemeRef(Schema):
    """A theme a comment is about."""

    id: uuid.UUID
    key: str
    name: str = Field(description="The theme's name in the organization's default language.")
    source: str = Field(description='"model" (the engine) or "correction" (a person).')
    confidence: float


class CommentOut(Schema):
    """An open answer of a response, or an imported comment, with its enrichment."""

    id: uuid.UUID
    response: uuid.UUID | None = Field(description="The response, for a survey answer.")
    survey: uuid.UUID | None
    question_key: str
    contact: uuid.UUID | None
    text: str
    source: str
    source_ref: str
    answered_at: dt.datetime
    score: float | None = Field(description="The score given with the comment, on 0-10.")
    score_type: str
    language: str = Field(description='ISO 639-1 code; "" until enriched.')
    sentiment: str = Field(description='positive, negative, neutral or mixed; "" until enriched.')
    sentiment_score: float | None = Field(description="P(positive) - P(negative), -1..1.")
    sentiment_source: str
    enriched: bool
    themes: list[ThemeRef]
    created_at: dt.datetime

    @staticmethod
    def resolve_response(obj: Comment) -> Any:
        return obj.response_id

    @staticmethod
    def resolve_contact(obj: Comment) -> Any:
        return obj.contact_id

    @staticmethod
    def resolve_survey(obj: Comment) -> Any:
        return obj.survey_id

    @staticmethod
    def resolve_enriched(obj: Comment) -> bool:
        return obj.enriched_at is not None

    @staticmethod
    def resolve_themes(obj: Comment) -> list[dict[str, Any]]:
        links: list[CommentTheme] = list(obj.theme_links.all())
        language = obj.organization.default_language
        return [
            {
                "id": link.theme_id,
                "key": link.theme.key,
                "name": _theme_name(link.theme, language),
                "source": link.source,
                "confidence": round(link.confidence, 4),
            }
            for link in sorted(links, key=lambda x: (-x.confidence, x.theme.key))
        ]


class CommentIn(Schema):
    """A comment from another source: a review, a support ticket, a chat transcript."""

    text: str = Field(min_length=1, max_length=20000)
    score: float | None = Field(
        None, ge=0, le=10, description="A 0-10 likelihood-to-recommend score given with it."
    )
    language: str = Field("", max_length=16, description="ISO 639-1 code, if known.")
    source: ImportSourceName = "api"
    source_ref: str = Field(
        "",
        max_length=200,
        description="Its id in the source (a review or ticket id): sending it again does not "
        "import it twice.",
    )
    time: dt.datetime | None = Field(None, description="When it was written (default: now).")
    contact: uuid.UUID | None = Field(None, description="A contact id of the organization.")
    email: str | None = Field(
        None,
        max_length=254,
        description="Or the contact's email (a new contact is created when unknown).",
    )

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Give the comment's text.")
        return value

    @field_validator("time")
    @classmethod
    def _time_has_zone(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("Give the time with its offset, e.g. 2025-05-01T09:30:00+09:00.")
        return value


class CommentPatch(Schema):
    """A correction: the sentiment, and/or the full set of themes (fields left out stay)."""

    sentiment: SentimentName | None = None
    themes: list[uuid.UUID] | None = Field(
        None, description="Every theme the comment is about (ids); [] for none."
    )


class ThemeOut(Schema):
    """A theme: its names, keywords and examples per language."""

    id: uuid.UUID
    key: str
    name: str = Field(description="The name in the organization's default language.")
    names: dict[str, str]
    descriptions: dict[str, str]
    keywords: dict[str, list[str]]
    examples: dict[str, list[str]]
    status: str
    is_default: bool
    merged_into: uuid.UUID | None
    created_at: dt.datetime

    @staticmethod
    def resolve_name(obj: Theme) -> str:
        return _theme_name(obj, "")

    @staticmethod
    def resolve_merged_into(obj: Theme) -> Any:
        return obj.merged_into_id


class EstimateOut(Schema):
    """An NPS with its sample size and 95% margin of error (null when hidden or empty)."""

    value: float | None
    n: int
    margin_of_error: float | None
    promoters: int
    passives: int
    detractors: int


class ThemeImpactOut(Schema):
    """A theme's figures in the period: mentions, sentiment, and its effect on NPS."""

    theme: ThemeOut
    mentions: int
    sentiment: dict[str, int]
    nps_with_theme: EstimateOut | None
    nps_without_theme: EstimateOut | None
    difference: float | None = Field(description="NPS with the theme minus without it.")
    difference_margin: float | None = Field(description="The difference's 95% margin.")
    exceeds_noise: bool
    promoters_lost: float | None = Field(
        description="Mentioners x (others' promoter share - theirs): promoters the theme costs."
    )
    nps_effect: float | None = Field(
        description="Share of mentioners x NPS gap: points the theme takes off overall NPS."
    )
    hidden: bool = Field(description="A group is under the minimum group size: figures hidden.")
    sentence: str


class ImpactQuery(Schema):
    days: int = Field(90, ge=0, le=3650, description="The last N days (0: all time).")
    survey: uuid.UUID | None = Field(None, description="Only comments of this survey.")
