"""Reads for website widgets: the staff list, one widget, and the config the script renders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.accounts.access import access_object
from closeloop.distribution.frequency import effective_policy
from closeloop.distribution.models import Widget
from closeloop.surveys.choices import SurveyStatus
from closeloop.surveys.piping import PipingContext, render_plain
from closeloop.surveys.schema import SurveyDefinition, is_rtl
from closeloop.surveys.selectors import survey_definition

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.contacts.models import Contact
    from closeloop.surveys.models import Survey

# Question types the widget renders itself; any other type sends the visitor to the survey page.
# dropdown is shown as a list of options and email as a one-line field: same answers, same checks.
WIDGET_TYPES = frozenset(
    {
        "nps",
        "csat",
        "ces",
        "rating",
        "single_choice",
        "dropdown",
        "multiple_choice",
        "short_text",
        "long_text",
        "email",
        "consent",
        "statement",
    }
)
SCALE_BOUNDS = {"nps": (0, 10), "ces": (1, 7)}


def widget_list(*, organization: Organization) -> QuerySet[Widget]:
    """The organization's widgets by name, with their survey and touchpoint."""
    return Widget.objects.filter(organization=organization).select_related("survey", "touchpoint")


def access_widget(*, organization: Organization, pk: Any) -> Widget:
    """One widget of the organization by id, or 404 (also for another organization's)."""
    return access_object(widget_list(organization=organization), organization=organization, pk=pk)


def widget_by_key(*, key: str) -> Widget | None:
    """The widget a public key names (active or not), or None."""
    if not key.startswith("wk_") or len(key) > 40:
        return None
    return (
        Widget.objects.select_related("organization", "survey", "survey__current_version")
        .filter(public_key=key)
        .first()
    )


def widget_is_live(widget: Widget) -> bool:
    """Whether the widget may show now: active, and its survey open and published."""
    survey = widget.survey
    version = survey.current_version
    return (
        widget.is_active
        and survey.status == SurveyStatus.ACTIVE
        and version is not None
        and version.published_at is not None
    )


def published_surveys(*, organization: Organization) -> QuerySet[Survey]:
    """Surveys a widget may show: open and published."""
    from closeloop.surveys.models import Survey

    return Survey.objects.filter(
        organization=organization,
        status=SurveyStatus.ACTIVE,
        current_version__published_at__isnull=False,
    ).order_by("name")


def widget_language(definition: SurveyDefinition, *candidates: str | None) -> str:
    """The first candidate the survey speaks (an exact code, else its primary subtag)."""
    for candidate in candidates:
        if not candidate:
            continue
        code = candidate.strip().lower().replace("_", "-")
        for option in (code, code.split("-")[0]):
            if option in definition.languages:
                return option
    return definition.default_language


def _text(definition: SurveyDefinition, text: dict[str, str] | None, language: str) -> str:
    # The widget shows text as text; piping tokens fall back to their default wording.
    raw = definition.localize(text, language)
    return render_plain(raw, PipingContext(definition=definition), language) if raw else ""


def _question(definition: SurveyDefinition, question: Any, language: str) -> dict[str, Any]:
    def text(value: Any) -> str:
        return _text(definition, value, language)

    item: dict[str, Any] = {
        "key": question.key,
        "type": question.type,
        "title": text(question.title),
        "required": bool(question.required),
    }
    if question.help:
        item["help"] = text(question.help)
    if question.show_if is not None:
        item["show_if"] = question.show_if.model_dump(by_alias=True, exclude_none=True)
    kind = question.type
    if kind in ("nps", "csat", "ces", "rating"):
        low, high = SCALE_BOUNDS.get(kind, (1, getattr(question, "points", 5)))
        item["min"], item["max"] = low, high
        item["low"], item["high"] = text(question.low_label), text(question.high_label)
        item["stars"] = kind == "rating" and question.style == "stars"
    elif kind in ("single_choice", "dropdown", "multiple_choice"):
        item["choices"] = [[c.key, text(c.label)] for c in question.choices]
        if question.allow_other:
            item["other"] = text(question.other_label) or _("Other")
        if kind == "multiple_choice":
            item["multi"] = True
            item["max_selected"] = question.max_selected
    elif kind in ("short_text", "long_text", "email"):
        item["max_length"] = getattr(question, "max_length", 254)
        item["placeholder"] = text(question.placeholder)
    elif kind == "consent":
        item["text"] = text(question.text)
    return item


def widget_survey(definition: SurveyDefinition, language: str) -> dict[str, Any]:
    """The published definition reduced to what the widget renders, in one language."""
    supported = all(q.type in WIDGET_TYPES for _page, q in definition.iter_questions())
    ending = definition.endings[0]
    survey: dict[str, Any] = {
        "title": _text(definition, definition.title, language),
        "inline": supported,
        "thanks": _text(definition, ending.message, language)
        or _text(definition, ending.title, language),
    }
    if not supported:
        return survey
    pages = []
    for page in definition.pages:
        item: dict[str, Any] = {
            "key": page.key,
            "questions": [_question(definition, q, language) for q in page.questions],
        }
        if page.show_if is not None:
            item["show_if"] = page.show_if.model_dump(by_alias=True, exclude_none=True)
        if page.jumps:
            item["jumps"] = [j.model_dump(by_alias=True, exclude_none=True) for j in page.jumps]
        if page.next:
            item["next"] = page.next
        pages.append(item)
    survey["pages"] = pages
    return survey


def widget_labels() -> dict[str, str]:
    """The widget's own words, in the active language."""
    return {
        "next": _("Next"),
        "submit": _("Send"),
        "close": _("Close"),
        "full": _("Answer in full"),
        "required": _("This question requires an answer."),
        "error": _("Something went wrong. Please try again."),
        "dialog": _("Feedback survey"),
        "other": _("Please describe"),
    }


def widget_config(
    *,
    widget: Widget,
    language: str | None = None,
    contact: Contact | None = None,
    survey: Survey | None = None,
) -> dict[str, Any]:
    """What the script needs: the survey (the widget's own, or the one a trigger rule's
    invitation asks) in the visitor's language, theme, placement, triggers and the frequency
    window it applies to anonymous visitors."""
    survey = survey or widget.survey
    version = survey.current_version
    assert version is not None
    definition = survey_definition(version)
    chosen = widget_language(
        definition, contact.language if contact is not None else None, language
    )
    policy = effective_policy(organization=widget.organization, survey=survey)
    with translation.override(chosen):
        labels = widget_labels()
    return {
        "language": chosen,
        "dir": "rtl" if is_rtl(chosen) else "ltr",
        "placement": widget.placement,
        "theme": {
            "primary": definition.theme.primary_color,
            "background": definition.theme.background,
        },
        "triggers": widget.triggers or {},
        "min_days": policy.min_days_between,
        "survey": widget_survey(definition, chosen),
        "url": f"/s/{survey.public_token}/?lang={chosen}",
        "labels": labels,
    }


def widget_snippet(*, widget: Widget, base_url: str) -> str:
    """The tag the business pastes into its pages."""
    base = base_url.rstrip("/")
    return f'<script src="{base}/widget.js" data-key="{widget.public_key}" async></script>'
