"""{{placeholders}} in titles, subjects and bodies: scores, the first comment, the contact, the
survey, links to the response and the case. Unknown names render empty."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape as html_escape
from django.utils.translation import gettext as _

from closeloop.automation.context import EventContext
from closeloop.surveys.questions import nps_category

if TYPE_CHECKING:
    from closeloop.automation.models import Rule

PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")

# Shown in the builder's help.
PLACEHOLDERS = (
    "nps",
    "csat",
    "ces",
    "rating",
    "score",
    "nps_category",
    "first_comment",
    "contact.name",
    "contact.first_name",
    "contact.last_name",
    "contact.email",
    "survey.name",
    "touchpoint",
    "language",
    "channel",
    "response.url",
    "case.title",
    "case.number",
    "case.url",
    "case.team",
    "case.priority",
    "rule.name",
    "org.name",
    "answer.<question key>",
)


def _fmt(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _absolute(name: str, *args: Any) -> str:
    try:
        return settings.BASE_URL.rstrip("/") + reverse(name, args=args)
    except NoReverseMatch:
        return ""


def case_url(ctx: EventContext, case: Any) -> str:
    if case is None:
        return ""
    return _absolute("cases:detail", ctx.organization.slug, case.pk)


def values(ctx: EventContext, *, rule: Rule | None = None, case: Any = None) -> dict[str, str]:
    """Every placeholder's value for this event."""
    case = case if case is not None else ctx.case
    out: dict[str, str] = {}
    for metric in ("nps", "csat", "ces", "rating"):
        s = ctx.score(metric)
        out[metric] = _fmt(s.value) if s else ""
    first = ctx.score()
    out["score"] = _fmt(first.value) if first else ""
    nps = ctx.score("nps")
    out["nps_category"] = nps_category(nps.value) if nps else ""
    out["first_comment"] = out["comment"] = ctx.first_comment
    contact = ctx.contact
    if contact is not None and contact.erased_at is None:
        out["contact.name"] = contact.full_name or contact.email or _("a customer")
        out["contact.first_name"] = contact.first_name
        out["contact.last_name"] = contact.last_name
        out["contact.email"] = contact.email or ""
    else:
        out["contact.name"] = _("an anonymous respondent")
    if ctx.response is not None:
        out["survey.name"] = ctx.response.survey.name
        out["touchpoint"] = ctx.touchpoint_label()
        out["channel"] = ctx.response.channel
        out["response.url"] = _absolute("responses:detail", ctx.organization.slug, ctx.response.pk)
    out["language"] = ctx.language
    out["org.name"] = ctx.organization.name
    if rule is not None:
        out["rule.name"] = rule.name
    if case is not None:
        out["case.title"] = str(getattr(case, "title", ""))
        out["case.url"] = case_url(ctx, case)
        team = getattr(case, "team", None)
        out["case.team"] = team.name if team is not None else ""
        out["case.priority"] = str(getattr(case, "priority", ""))
        out["case.number"] = str(getattr(case, "number", "") or "")
    return out


def render(
    template: str,
    ctx: EventContext,
    *,
    rule: Rule | None = None,
    case: Any = None,
    escape: bool = False,
    known: dict[str, str] | None = None,
) -> str:
    """The template with every {{name}} replaced (HTML-escaped values with `escape`)."""
    table = known if known is not None else values(ctx, rule=rule, case=case)

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("answer."):
            value = ctx.display(name.split(".", 1)[1])
        else:
            value = table.get(name, "")
        return html_escape(value) if escape else value

    return PLACEHOLDER_RE.sub(one, template or "")


def render_title(template: str, ctx: EventContext, **kwargs: Any) -> str:
    """A one-line title: placeholders filled, whitespace folded, a dangling ':' removed."""
    text = " ".join(render(template, ctx, **kwargs).split())
    return text.rstrip(" :-\u2013\u2014,")[:200]
