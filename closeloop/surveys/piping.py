"""Piping: put a contact attribute, an earlier answer or a hidden field into survey text.

`{{contact.first_name}}`, `{{answer.q1}}`, `{{hidden.source}}`; an optional fallback follows a
bar: `{{hidden.brand|us}}`. Unknown or empty references render as the fallback (or nothing), and
everything is HTML-escaped, both the author's text and the values put into it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition

TOKEN_RE = re.compile(
    r"\{\{\s*(?P<ns>answer|hidden|contact)\.(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"(?:\|(?P<fallback>[^{}]*))?\}\}"
)
ANY_TOKEN_RE = re.compile(r"\{\{(.*?)\}\}")


@dataclass(frozen=True)
class Reference:
    """One `{{namespace.key|fallback}}` token."""

    namespace: str
    key: str
    fallback: str


@dataclass(frozen=True)
class PipingContext:
    """What piped text may draw on: normalized answers, hidden fields and contact attributes."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    hidden: Mapping[str, Any] = field(default_factory=dict)
    contact: Mapping[str, Any] = field(default_factory=dict)
    definition: SurveyDefinition | None = None


def references(text: str) -> list[Reference]:
    """The piping references in a text, in order."""
    return [
        Reference(m.group("ns"), m.group("key"), (m.group("fallback") or "").strip())
        for m in TOKEN_RE.finditer(text)
    ]


def malformed_tokens(text: str) -> list[str]:
    """`{{...}}` tokens that are not a valid reference (for definition validation)."""
    return [m.group(0) for m in ANY_TOKEN_RE.finditer(text) if not TOKEN_RE.fullmatch(m.group(0))]


def _value(ref: Reference, context: PipingContext, language: str | None) -> str:
    if ref.namespace == "hidden":
        raw = context.hidden.get(ref.key)
        return "" if raw is None else str(raw)
    if ref.namespace == "contact":
        raw = context.contact.get(ref.key)
        return "" if raw is None else str(raw)
    value = context.answers.get(ref.key)
    if value is None or context.definition is None:
        return ""
    question = context.definition.question(ref.key)
    if question is None:
        return ""
    from closeloop.surveys.questions import QUESTION_TYPES

    lang = language or context.definition.default_language
    return QUESTION_TYPES[question.type].display(question, value, lang, context.definition)


def render_plain(text: str, context: PipingContext, language: str | None = None) -> str:
    """The text with references replaced, not escaped (for plain-text email bodies)."""

    def replace(match: re.Match[str]) -> str:
        ref = Reference(
            match.group("ns"), match.group("key"), (match.group("fallback") or "").strip()
        )
        return _value(ref, context, language).strip() or ref.fallback

    return TOKEN_RE.sub(replace, text)


def render(text: str, context: PipingContext, language: str | None = None) -> SafeString:
    """The text with references replaced, HTML-escaped and safe to put in a page."""
    parts: list[str] = []
    position = 0
    for match in TOKEN_RE.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        ref = Reference(
            match.group("ns"), match.group("key"), (match.group("fallback") or "").strip()
        )
        parts.append(html.escape(_value(ref, context, language).strip() or ref.fallback))
        position = match.end()
    parts.append(html.escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped
