"""API schemas for surveys: create, change, read, versions, import and templates."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.selectors import (
    survey_draft_number,
    survey_latest_version,
    survey_public_url,
)

SurveyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TemplateId = Annotated[str, StringConstraints(max_length=60)]
Language = Annotated[str, StringConstraints(max_length=10)]


class SurveyIn(Schema):
    """A new survey: a name and a template id or a full definition (neither gives a blank one)."""

    model_config = ConfigDict(extra="forbid")

    name: SurveyName
    template: TemplateId | None = Field(
        None, description='A template id from GET /templates, e.g. "nps".'
    )
    definition: dict[str, Any] | None = Field(
        None, description="A full survey definition (the document that export produces)."
    )
    language: Language | None = Field(
        None, description="With a template: keep only this language (en, ko or th)."
    )
    kind: Literal["customer", "employee"] | None = None


class SurveyPatch(Schema):
    """Changes to a survey; fields left out stay as they are. A definition goes to the draft."""

    model_config = ConfigDict(extra="forbid")

    name: SurveyName | None = None
    single_response_per_browser: bool | None = None
    response_limit: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Most responses the anonymous link accepts; null removes the limit."
    )
    definition: dict[str, Any] | None = Field(
        None,
        description="A new definition, stored in the draft (a published version is never changed).",
    )


class SurveySummaryOut(Schema):
    """A survey as listed."""

    id: uuid.UUID
    name: str
    kind: str
    status: str
    template_id: str
    current_version: int | None = Field(description="The published version respondents see.")
    draft_version: int | None = Field(description="The version being edited, if any.")
    anonymous_link: str = Field(description="The survey's public link, for anyone to answer.")
    single_response_per_browser: bool
    response_limit: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_current_version(obj: Survey) -> int | None:
        return obj.current_version.number if obj.current_version is not None else None

    @staticmethod
    def resolve_draft_version(obj: Survey) -> int | None:
        return survey_draft_number(obj)

    @staticmethod
    def resolve_anonymous_link(obj: Survey) -> str:
        return survey_public_url(obj)


class SurveyOut(SurveySummaryOut):
    """A survey with the definition of its draft (or, without one, its current version)."""

    definition: dict[str, Any]

    @staticmethod
    def resolve_definition(obj: Survey) -> dict[str, Any]:
        definition: dict[str, Any] = survey_latest_version(obj).definition
        return definition


class VersionOut(Schema):
    """One version of a survey; published versions are frozen."""

    number: int
    status: Literal["draft", "published"]
    created_at: dt.datetime
    published_at: dt.datetime | None

    @staticmethod
    def resolve_status(obj: SurveyVersion) -> str:
        return "draft" if obj.is_draft else "published"


class SurveyImportIn(Schema):
    """A survey document as exported (or a bare definition), as JSON or YAML text."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "yaml"]
    content: Annotated[str, StringConstraints(min_length=1, max_length=2_000_000)]
    name: SurveyName | None = Field(None, description="Overrides the name in the document.")
    survey_id: uuid.UUID | None = Field(
        None, description="Import as a new draft of this survey instead of creating one."
    )


class TemplateOut(Schema):
    """A ready-made survey to start from."""

    id: str
    kind: str
    name: dict[str, str] = Field(description="The name in each language.")
    description: dict[str, str] = Field(description="The description in each language.")
    languages: list[str]
