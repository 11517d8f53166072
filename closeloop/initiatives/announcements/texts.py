"""The wording of announcements: the built-in texts per language, checking what the composer
writes (subject and body; only {{ first_name }}, {{ what_they_said }} and {{ what_changed }}),
and rendering one recipient's copy in their language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError
from closeloop.initiatives.models import Announcement
from closeloop.initiatives.recipients import Recipient, supported_language

if TYPE_CHECKING:
    from closeloop.contacts.models import Contact


TEXT_FIELDS = ("subject", "body")
SUBJECT_MAX = 200
BODY_MAX = 10_000
PLACEHOLDERS = ("first_name", "what_they_said", "what_changed")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*\}\}")
_TAG = re.compile(r"\{%.*?%\}", re.S)


# The default wording, written for each language the app speaks (customer-facing content that
# the composer edits, like a survey's texts: not in the translation catalogs).
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "You told us — here is what we changed",
        "body": (
            "Hi {{ first_name }},\n\n"
            "Not long ago you told us:\n"
            "“{{ what_they_said }}”\n\n"
            "We listened, and we have changed it:\n"
            "{{ what_changed }}\n\n"
            "Thank you for taking the time to tell us. It is customers like you who make "
            "us better, and we would love to hear how it works for you next time."
        ),
    },
    "ko": {
        "subject": "말씀해 주신 의견, 이렇게 바꿨습니다",
        "body": (
            "{{ first_name }}님, 안녕하세요.\n\n"
            "얼마 전 이렇게 말씀해 주셨지요.\n"
            "“{{ what_they_said }}”\n\n"
            "귀 기울여 들었고, 이렇게 바꿨습니다.\n"
            "{{ what_changed }}\n\n"
            "시간 내어 의견을 들려주셔서 진심으로 감사드립니다. 달라진 점이 어떠신지 "
            "다음에 꼭 다시 들려주세요."
        ),
    },
    "th": {
        "subject": "คุณบอกเรา และนี่คือสิ่งที่เราเปลี่ยนแล้ว",
        "body": (
            "สวัสดีคุณ{{ first_name }}\n\n"
            "เมื่อไม่นานมานี้คุณได้บอกเราว่า\n"
            "“{{ what_they_said }}”\n\n"
            "เรารับฟัง และได้ปรับปรุงแล้ว:\n"
            "{{ what_changed }}\n\n"
            "ขอบคุณที่สละเวลาบอกเรา ความคิดเห็นของคุณช่วยให้เราดีขึ้น "
            "ครั้งหน้าเราอยากฟังว่าเป็นอย่างไรบ้าง"
        ),
    },
}
# What stands for a first name we do not know ("Hi there", "고객님", "คุณลูกค้า").
NAME_FALLBACK = {"en": "there", "ko": "고객", "th": "ลูกค้า"}


def default_text(language: str) -> dict[str, str]:
    """The built-in subject and body for a language (English for one without its own)."""
    return dict(DEFAULT_TEXTS.get(language) or DEFAULT_TEXTS["en"])


def _check_template(text: str, field: str) -> None:
    if _TAG.search(text):
        raise DomainError(
            _("Only {{ first_name }}, {{ what_they_said }} and {{ what_changed }} may be used."),
            field=field,
        )
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            raise DomainError(
                _(
                    "Unknown placeholder {{ %(name)s }}: use {{ first_name }}, "
                    "{{ what_they_said }} or {{ what_changed }}."
                )
                % {"name": name},
                field=field,
            )


def clean_texts(texts: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """Subject and body per supported language, checked (the field at fault is named
    "texts.<language>.<subject|body>")."""
    clean: dict[str, dict[str, str]] = {}
    for language, fields in (texts or {}).items():
        code = supported_language(language)
        if not code or code != language:
            raise DomainError(
                _("Unknown language %(code)s: use en, ko or th.") % {"code": language},
                field=f"texts.{language}",
            )
        if not isinstance(fields, dict):
            raise DomainError(_("Give a subject and a body."), field=f"texts.{language}")
        values = {f: str(fields.get(f) or "").strip() for f in TEXT_FIELDS}
        if not values["subject"]:
            raise DomainError(_("Write a subject."), field=f"texts.{language}.subject")
        if not values["body"]:
            raise DomainError(_("Write the message."), field=f"texts.{language}.body")
        if len(values["subject"]) > SUBJECT_MAX:
            raise DomainError(
                _("Keep the subject under %(n)s characters.") % {"n": SUBJECT_MAX},
                field=f"texts.{language}.subject",
            )
        if len(values["body"]) > BODY_MAX:
            raise DomainError(
                _("Keep the message under %(n)s characters.") % {"n": BODY_MAX},
                field=f"texts.{language}.body",
            )
        for f in TEXT_FIELDS:
            _check_template(values[f], f"texts.{language}.{f}")
        clean[code] = values
    return clean


def clean_what_changed(what_changed: dict[str, Any] | None) -> dict[str, str]:
    clean: dict[str, str] = {}
    for language, text in (what_changed or {}).items():
        code = supported_language(language)
        if not code or code != language:
            raise DomainError(
                _("Unknown language %(code)s: use en, ko or th.") % {"code": language},
                field=f"what_changed.{language}",
            )
        value = str(text or "").strip()
        if len(value) > BODY_MAX:
            raise DomainError(
                _("Keep it under %(n)s characters.") % {"n": BODY_MAX},
                field=f"what_changed.{language}",
            )
        if value:
            clean[code] = value
    return clean


def _text_for(announcement: Announcement, language: str) -> dict[str, str]:
    texts = announcement.texts or {}
    found = texts.get(language) or {}
    if found.get("subject") and found.get("body"):
        return {f: str(found[f]) for f in TEXT_FIELDS}
    # A language nobody wrote: the built-in wording of that language.
    return default_text(language)


def _what_changed_for(announcement: Announcement, language: str) -> str:
    changed = announcement.what_changed or {}
    return str(
        changed.get(language)
        or changed.get(announcement.default_language)
        or announcement.initiative.description
        or announcement.initiative.title
    )


def fill(text: str, values: dict[str, str]) -> str:
    """Put the values in the placeholders; a line about what they said is left out for someone
    who said nothing (a contact linked by hand)."""
    if not values.get("what_they_said"):
        text = "\n".join(
            line
            for line in text.split("\n")
            if not re.search(r"\{\{\s*what_they_said\s*\}\}", line)
        )
        text = re.sub(r"\n{3,}", "\n\n", text)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


@dataclass(frozen=True)
class Rendered:
    """One recipient's copy: language, subject, plain text and HTML."""

    language: str
    subject: str
    text: str
    html: str
    to: str


def _pixel_url(token: str) -> str:
    path = reverse("announce_tracking:open", args=[token])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def render_message(
    *,
    announcement: Announcement,
    language: str,
    first_name: str,
    what_they_said: str,
    email: str,
    contact: Contact | None = None,
    open_token: str = "",
) -> Rendered:
    """The message in the recipient's language, filled in with their name and words."""
    from closeloop.contacts.services import unsubscribe_url

    text = _text_for(announcement, language)
    values = {
        "first_name": first_name or NAME_FALLBACK.get(language, ""),
        "what_they_said": what_they_said,
        "what_changed": _what_changed_for(announcement, language),
    }
    subject = " ".join(fill(text["subject"], values).split())
    body = fill(text["body"], values)
    organization = announcement.organization
    context = {
        "organization": organization,
        "subject": subject,
        "body": body,
        "language": language,
        "unsubscribe_url": unsubscribe_url(contact) if contact is not None else "",
        "pixel_url": _pixel_url(open_token) if open_token else "",
    }
    with translation.override(language):
        plain = render_to_string("initiatives/email/announcement.txt", context)
        html = render_to_string("initiatives/email/announcement.html", context)
    return Rendered(language=language, subject=subject, text=plain, html=html, to=email)


def announcement_preview(*, announcement: Announcement, recipient: Recipient) -> Rendered:
    """What one recipient would receive (no pixel, nothing recorded)."""
    return render_message(
        announcement=announcement,
        language=recipient.language,
        first_name=recipient.first_name,
        what_they_said=recipient.what_they_said,
        email=recipient.email,
        contact=recipient.contact,
    )
