"""API schemas for responses."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from closeloop.responses.models import Response

Key = Annotated[str, StringConstraints(max_length=100)]


class ResponseIn(Schema):
    """A completed response: answers keyed by question key."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[Annotated[str, StringConstraints(max_length=64)], Any] = Field(
        description=(
            "Answers keyed by question key, shaped as each type expects: a number for "
            'nps/csat/ces/rating/number, a choice key (or {"choice", "other"}) for '
            "single_choice/dropdown, a list of keys for multiple_choice, {row: column} for "
            "matrix, the keys in order for ranking, true/false for consent, text otherwise."
        ),
        max_length=200,
    )
    language: Annotated[str, StringConstraints(max_length=10)] | None = None
    hidden: dict[Annotated[str, StringConstraints(max_length=50)], str | int | float | bool] = (
        Field(default_factory=dict, max_length=50)
    )
    contact_id: uuid.UUID | None = None
    completed_at: dt.datetime | None = Field(
        None, description="When it was answered (for historical data); defaults to now."
    )
    historical: bool = Field(
        False,
        description="Imported from another tool: stored and analysed, but no follow-up runs.",
    )
    idempotency_key: Key | None = Field(
        None, description="Sending the same key again returns the response created the first time."
    )


class ResponseOut(Schema):
    """A response with its answers."""

    id: uuid.UUID
    survey_id: uuid.UUID
    version: int
    status: str
    channel: str
    language: str
    contact_id: uuid.UUID | None
    answers: dict[str, Any]
    hidden: dict[str, Any]
    historical: bool
    started_at: dt.datetime
    completed_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_version(obj: Response) -> int:
        return obj.version.number


class SurveyPageDoc(Schema):
    """Where the public survey page lives and what it accepts (HTML forms, not JSON)."""

    page: str
    one_click: str
    methods: list[str]
    notes: list[str]
