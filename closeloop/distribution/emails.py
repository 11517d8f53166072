"""The invitation email: the template's texts in the contact's language with safe placeholders,
HTML and plain-text parts, the first NPS/CSAT question as one-click score links, an open pixel
and one-click unsubscribe headers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from closeloop.distribution.invitations import invitation_url
from closeloop.distribution.models import EmailTemplate, Invitation
from closeloop.integrations.mailbox import ORG_HEADER

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition

OPEN_SALT = "closeloop.invitation.open"
PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*(?:\|([^}]*))?\}\}")
PLACEHOLDERS = (
    "contact.first_name",
    "contact.last_name",
    "contact.full_name",
    "survey.name",
    "organization.name",
)
TEXT_FIELDS = ("subject", "body", "button")
EMBEDDED_TYPES = ("nps", "csat")


@dataclass(frozen=True)
class RenderedEmail:
    """An invitation email ready for the outbox."""

    subject: str
    text: str
    html: str
    headers: dict[str, str]
    from_email: str

    def payload(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "headers": self.headers,
            "from": self.from_email,
        }


def default_texts(language: str) -> dict[str, str]:
    """The built-in subject, body and button, in `language` (as far as it is translated)."""
    with translation.override(language):
        return {
            "subject": _("{{organization.name}} would like your feedback"),
            "body": _(
                "Hello {{contact.first_name|there}},\n\n"
                "Thank you for choosing {{organization.name}}. Would you take a minute to tell "
                "us how we did? Your answers help us improve."
            ),
            "button": _("Start the survey"),
        }


def template_texts(
    template: EmailTemplate | None, language: str, fallback_language: str
) -> dict[str, str]:
    """The template's texts for `language`, field by field falling back to the survey's
    default language, then to the built-in texts."""
    texts = dict(default_texts(language))
    stored: dict[str, Any] = template.texts if template is not None else {}
    for code in (fallback_language, language):
        for key in TEXT_FIELDS:
            value = (stored.get(code) or {}).get(key)
            if isinstance(value, str) and value.strip():
                texts[key] = value
    return texts


def render_placeholders(text: str, values: dict[str, str], *, html: bool) -> str:
    """Replace {{contact.first_name}}-style placeholders (an optional `|fallback` when empty);
    unknown ones are left out. With html=True the values are escaped."""

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "") or (match.group(2) or "").strip()
        return str(escape(value)) if html else value

    if html:
        # Escape the text around the placeholders too: the template text is not HTML.
        parts = []
        last = 0
        for match in PLACEHOLDER_RE.finditer(text):
            parts.append(str(escape(text[last : match.start()])))
            parts.append(replace(match))
            last = match.end()
        parts.append(str(escape(text[last:])))
        return "".join(parts)
    return PLACEHOLDER_RE.sub(replace, text)


def open_pixel_token(invitation: Invitation) -> str:
    return signing.Signer(salt=OPEN_SALT).sign(str(invitation.pk))


def invitation_from_pixel(token: str) -> str | None:
    """The invitation id an open-pixel token was signed for, or None."""
    try:
        return signing.Signer(salt=OPEN_SALT).unsign(token)
    except signing.BadSignature:
        return None


def absolute(path: str) -> str:
    return settings.BASE_URL.rstrip("/") + path


def unsubscribe_url(contact: Any) -> str:
    from closeloop.contacts.services import unsubscribe_token_for

    return absolute(reverse("contacts_public:unsubscribe", args=[unsubscribe_token_for(contact)]))


def from_address(organization: Any) -> str:
    """The org's name with the configured sender address (the outbox's one rule for it)."""
    from closeloop.integrations.outbox import sender

    return sender(organization)


def _definition(invitation: Invitation) -> SurveyDefinition | None:
    from closeloop.responses.selectors import definition_of

    version = invitation.survey.current_version
    return definition_of(version) if version is not None else None


def embedded_question(
    definition: SurveyDefinition | None, language: str, url: str
) -> dict[str, Any] | None:
    """The first question as one-click scores, when it is NPS or CSAT on the first page."""
    if definition is None or not definition.pages:
        return None
    page = definition.pages[0]
    if not page.questions:
        return None
    question = page.questions[0]
    if question.type not in EMBEDDED_TYPES or question.show_if is not None:
        return None
    if question.type == "nps":
        scores = list(range(0, 11))
    else:
        scores = list(range(1, int(getattr(question, "points", 5)) + 1))
    low = getattr(question, "low_label", None)
    high = getattr(question, "high_label", None)
    return {
        "type": question.type,
        "title": definition.localize(question.title, language),
        "low": definition.localize(low, language) if low else "",
        "high": definition.localize(high, language) if high else "",
        "scores": [{"value": n, "url": f"{url}?{question.type}={n}"} for n in scores],
    }


def invitation_email(
    *, invitation: Invitation, template: EmailTemplate | None, reminder: bool = False
) -> RenderedEmail:
    """Render the invitation email for its contact in the invitation's language."""
    contact = invitation.contact
    survey = invitation.survey
    organization = invitation.organization
    definition = _definition(invitation)
    language = invitation.language or (definition.default_language if definition else "en")
    fallback = definition.default_language if definition else language
    texts = template_texts(template, language, fallback)
    survey_name = survey.name
    if definition is not None:
        survey_name = definition.localize(definition.title, language) or survey.name
    values = {
        "contact.first_name": getattr(contact, "first_name", "") or "",
        "contact.last_name": getattr(contact, "last_name", "") or "",
        "contact.full_name": getattr(contact, "full_name", "") or "",
        "survey.name": survey_name,
        "organization.name": organization.name,
    }
    url = invitation_url(invitation)
    unsubscribe = unsubscribe_url(contact) if contact is not None else ""
    with translation.override(language):
        subject = " ".join(render_placeholders(texts["subject"], values, html=False).split())
        if reminder:
            subject = _("Reminder: %(subject)s") % {"subject": subject}
        body_text = render_placeholders(texts["body"], values, html=False)
        # render_placeholders(html=True) escapes the text and every value.
        body_html: SafeString = mark_safe(  # noqa: S308
            linebreaks(render_placeholders(texts["body"], values, html=True))
        )
        button = render_placeholders(texts["button"], values, html=False)
        question = embedded_question(definition, language, url)
        color = definition.theme.primary_color if definition is not None else "#2563EB"
        context = {
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
            "button": button,
            "url": url,
            "question": question,
            "color": color,
            "organization": organization,
            "unsubscribe_url": unsubscribe,
            "pixel_url": absolute(reverse("tracking:open", args=[open_pixel_token(invitation)])),
            "language": language,
        }
        html = render_to_string("distribution/email/invitation.html", context)
        text = render_to_string("distribution/email/invitation.txt", context)
    headers = {ORG_HEADER: str(organization.pk), "X-Closeloop-Invitation": str(invitation.pk)}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return RenderedEmail(
        subject=subject,
        text=text,
        html=html,
        headers=headers,
        from_email=from_address(organization),
    )
