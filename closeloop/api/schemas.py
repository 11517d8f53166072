"""Schemas shared by every endpoint: the problem+json error body (for the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class FieldProblem(Schema):
    """One input at fault."""

    field: str = Field(description='Dotted path to the input, e.g. "body.name" or "cursor".')
    message: str


class Problem(Schema):
    """An RFC 9457 problem detail, sent as application/problem+json."""

    type: str = Field(description='A URN naming the kind of problem, or "about:blank".')
    title: str
    status: int
    detail: str
    field: str | None = Field(None, description="The first input at fault, if any.")
    errors: list[FieldProblem] | None = None


def with_errors(ok: dict[int, Any], *codes: int) -> dict[int, Any]:
    """A `response=` mapping documenting the success schema(s) and these problem statuses."""
    mapping: dict[int, Any] = dict(ok)
    for code in (401, *codes):
        mapping[code] = Problem
    return mapping
