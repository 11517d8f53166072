"""Who hears about a shipped initiative: every contact linked to it through the comments of its
themes, its cases, its ideas (authors and voters) and its directly linked contacts, once each,
with the language to write in and what they said (newest first, at most three).

Portal visitors who confirmed their email but are not a contact yet are kept as email-only
recipients here (this module only reads); `announcement_send` finds or creates their contact by
email when the announcement is sent, since every told person must be a contact (consent,
unsubscribe links, erasure and later answers all hang off the contact).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.utils.text import Truncator

from closeloop.contacts.models import Contact

if TYPE_CHECKING:
    from closeloop.initiatives.models import Initiative

MAX_REASONS = 3
REASON_CHARS = 160


@dataclass
class Reason:
    """One thing the person said (or did) that links them to the initiative."""

    kind: str  # "comment" | "case" | "idea" | "vote" | "contact"
    id: str
    text: str
    at: dt.datetime | None = None
    language: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "text": self.text,
            "at": self.at.isoformat() if self.at else None,
        }


@dataclass
class Recipient:
    """A person to tell: a contact (or, for a portal visitor without one, just an email)."""

    contact: Contact | None
    email: str
    name: str
    language: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # every way they are linked
    visitor_id: str = ""

    @property
    def key(self) -> str:
        """Stable id for pages: the contact's id, else "email:<address>"."""
        return str(self.contact.pk) if self.contact is not None else f"email:{self.email}"

    @property
    def first_name(self) -> str:
        if self.contact is not None and self.contact.first_name:
            return self.contact.first_name
        return (self.name or "").split(" ")[0]

    @property
    def what_they_said(self) -> str:
        """The newest thing they said, for the message."""
        for reason in self.reasons:
            if reason.get("text"):
                return str(reason["text"])
        return ""


def supported_language(code: str | None) -> str:
    """`code` reduced to a language the app speaks ("ko-KR" -> "ko"), or ""."""
    available = {c for c, _n in settings.LANGUAGES}
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in available else ""


def _short(text: str) -> str:
    return Truncator(" ".join((text or "").split())).chars(REASON_CHARS)


@dataclass
class _Acc:
    reasons: list[Reason] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    visitor_language: str = ""
    visitor_name: str = ""
    visitor_id: str = ""

    def add(self, reason: Reason) -> None:
        self.reasons.append(reason)
        if reason.kind not in self.kinds:
            self.kinds.append(reason.kind)


def _theme_reasons(initiative: Initiative, by_contact: dict[str, _Acc]) -> None:
    from closeloop.text.models import Comment

    theme_ids = list(initiative.themes.values_list("pk", flat=True))
    if not theme_ids:
        return
    comments = (
        Comment.objects.filter(organization_id=initiative.organization_id)
        .filter(
            Q(theme_links__theme_id__in=theme_ids)
            | Q(theme_links__theme__merged_into_id__in=theme_ids)
        )
        .filter(contact_id__isnull=False)
        .distinct()
        .only("pk", "contact_id", "text", "answered_at", "language", "language_hint")
    )
    for comment in comments:
        by_contact.setdefault(str(comment.contact_id), _Acc()).add(
            Reason(
                kind="comment",
                id=str(comment.pk),
                text=_short(comment.text),
                at=comment.answered_at,
                language=comment.language or comment.language_hint,
            )
        )


def _case_reasons(initiative: Initiative, by_contact: dict[str, _Acc]) -> None:
    cases = initiative.cases.filter(
        organization_id=initiative.organization_id, contact__isnull=False
    ).select_related("response")
    for case in cases:
        language = case.response.language if case.response is not None else ""
        by_contact.setdefault(str(case.contact_id), _Acc()).add(
            Reason(
                kind="case",
                id=str(case.pk),
                text=_short(case.title),
                at=case.created_at,
                language=language,
            )
        )


def _idea_reasons(
    initiative: Initiative, by_contact: dict[str, _Acc], by_email: dict[str, _Acc]
) -> None:
    from closeloop.initiatives.models import Idea, IdeaVote, PortalVisitor

    ideas = list(
        Idea.objects.filter(
            organization_id=initiative.organization_id, initiative=initiative
        ).select_related("author")
    )
    if not ideas:
        return
    people: list[tuple[PortalVisitor, Reason]] = []
    for idea in ideas:
        if idea.author is not None:
            reason = Reason(
                "idea", str(idea.pk), _short(idea.title), idea.created_at, idea.language
            )
            people.append((idea.author, reason))
    votes = IdeaVote.objects.filter(idea__in=ideas).select_related("visitor", "idea")
    for vote in votes:
        reason = Reason(
            "vote", str(vote.idea_id), _short(vote.idea.title), vote.created_at, vote.idea.language
        )
        people.append((vote.visitor, reason))
    # Visitors without a contact: an existing contact with the same email is theirs.
    loose = {v.email.lower() for v, _r in people if v.contact_id is None and v.email}
    known = {
        (c.email or "").lower(): str(c.pk)
        for c in Contact.objects.filter(
            organization_id=initiative.organization_id, email__in=loose
        ).only("pk", "email")
    }
    for visitor, reason in people:
        if visitor.blocked_at is not None:
            continue
        contact_id = (
            str(visitor.contact_id) if visitor.contact_id else known.get(visitor.email.lower())
        )
        if contact_id:
            acc = by_contact.setdefault(contact_id, _Acc())
        elif visitor.verified_at is not None and visitor.email:
            acc = by_email.setdefault(visitor.email.lower(), _Acc())
        else:
            continue  # never confirmed their email: not a verified person
        acc.add(reason)
        acc.visitor_language = acc.visitor_language or visitor.language
        acc.visitor_name = acc.visitor_name or visitor.name
        acc.visitor_id = acc.visitor_id or str(visitor.pk)


def _contact_reasons(initiative: Initiative, by_contact: dict[str, _Acc]) -> None:
    for contact_id in initiative.contacts.filter(
        organization_id=initiative.organization_id
    ).values_list("pk", flat=True):
        by_contact.setdefault(str(contact_id), _Acc()).add(
            Reason(kind="contact", id=str(contact_id), text="")
        )


def _newest_first(reasons: list[Reason]) -> list[Reason]:
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(reasons, key=lambda r: (r.text != "", r.at or floor), reverse=True)


def _language(contact_language: str, acc: _Acc, default: str) -> str:
    """The contact's own language, else the language of what they wrote (newest first), else
    the one they used on the portal, else the organization's."""
    found = supported_language(contact_language)
    if found:
        return found
    for reason in _newest_first(acc.reasons):
        found = supported_language(reason.language)
        if found:
            return found
    return supported_language(acc.visitor_language) or supported_language(default) or "en"


def initiative_recipients(initiative: Initiative) -> list[Recipient]:
    """Every person linked to the initiative, once, with their language and what they said."""
    by_contact: dict[str, _Acc] = {}
    by_email: dict[str, _Acc] = {}
    _theme_reasons(initiative, by_contact)
    _case_reasons(initiative, by_contact)
    _idea_reasons(initiative, by_contact, by_email)
    _contact_reasons(initiative, by_contact)
    default = initiative.organization.default_language
    contacts = {
        str(c.pk): c
        for c in Contact.objects.filter(
            organization_id=initiative.organization_id, pk__in=list(by_contact)
        )
    }
    recipients: list[Recipient] = []
    for contact_id, acc in by_contact.items():
        contact = contacts.get(contact_id)
        if contact is None:
            continue  # a comment of a contact that was deleted since
        recipients.append(
            Recipient(
                contact=contact,
                email=contact.email or "",
                name=contact.full_name or acc.visitor_name,
                language=_language(contact.language, acc, default),
                reasons=[r.as_json() for r in _newest_first(acc.reasons)[:MAX_REASONS]],
                kinds=acc.kinds,
                visitor_id=acc.visitor_id,
            )
        )
    emails_taken = {r.email.lower() for r in recipients if r.email}
    for email, acc in by_email.items():
        if email in emails_taken:
            continue
        recipients.append(
            Recipient(
                contact=None,
                email=email,
                name=acc.visitor_name,
                language=_language("", acc, default),
                reasons=[r.as_json() for r in _newest_first(acc.reasons)[:MAX_REASONS]],
                kinds=acc.kinds,
                visitor_id=acc.visitor_id,
            )
        )
    recipients.sort(key=lambda r: (r.name or r.email).lower())
    return recipients
