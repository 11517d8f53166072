"""GDPR export and erasure as registries other apps add to.

An exporter returns the data one app holds about a contact (JSON-serialisable); an eraser removes
or anonymises it. Apps register theirs at import time (e.g. in their apps.py ``ready()``)::

    from closeloop.contacts import gdpr

    @gdpr.exporter("invitations")
    def export_invitations(contact: Contact) -> list[dict[str, Any]]: ...

    @gdpr.eraser("invitations")
    def erase_invitations(contact: Contact, terms: list[str]) -> None: ...

Erasers run inside the erase transaction, before the contact's own fields are cleared; `terms`
are the strings that identify the contact (email, names, phone, external id) so free text that
names them can be scrubbed with `scrub`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils import timezone

if TYPE_CHECKING:
    from closeloop.contacts.models import Contact

REMOVED = "[removed]"
Exporter = Callable[["Contact"], Any]
Eraser = Callable[["Contact", list[str]], None]
EXPORTERS: dict[str, Exporter] = {}
ERASERS: dict[str, Eraser] = {}


def exporter(name: str) -> Callable[[Exporter], Exporter]:
    def register(func: Exporter) -> Exporter:
        EXPORTERS[name] = func
        return func

    return register


def eraser(name: str, *, first: bool = False) -> Callable[[Eraser], Eraser]:
    """Register an eraser; `first` runs it before the others (one that must still see which
    responses the contact gave, before the "responses" eraser detaches them)."""

    def register(func: Eraser) -> Eraser:
        if first:
            others = {key: value for key, value in ERASERS.items() if key != name}
            ERASERS.clear()
            ERASERS[name] = func
            ERASERS.update(others)
        else:
            ERASERS[name] = func
        return func

    return register


def export(contact: Contact) -> dict[str, Any]:
    """Every registered exporter's data about the contact, keyed by exporter name."""
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat()}
    for name, func in EXPORTERS.items():
        data[name] = func(contact)
    return data


def erase(contact: Contact, terms: list[str]) -> None:
    for func in ERASERS.values():
        func(contact, terms)


def identity_terms(contact: Contact) -> list[str]:
    """Strings that identify the contact in free text, longest first."""
    first, last = contact.first_name.strip(), contact.last_name.strip()
    candidates = {
        contact.email or "",
        contact.phone,
        contact.external_id or "",
        f"{first} {last}",
        f"{last} {first}",
        f"{last}{first}",  # Korean and Chinese names are written family name first, no space
        first,
        last,
    }
    if contact.email:
        candidates.add(contact.email.split("@", 1)[0])
    terms = {t.strip() for t in candidates if len(t.strip()) >= 2}
    return sorted(terms, key=len, reverse=True)


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    parts = []
    for term in terms:
        escaped = re.escape(term)
        # Latin words need word boundaries ("Al" must not hit "Also"); Korean and Thai run on.
        parts.append(rf"(?<!\w){escaped}(?!\w)" if term.isascii() else escaped)
    return re.compile("|".join(parts), re.IGNORECASE)


def scrub(value: Any, terms: list[str]) -> Any:
    """`value` (text, or lists and dicts of text) with every identifying term replaced."""
    pattern = _pattern(terms)
    if pattern is None:
        return value
    return _scrub(value, pattern)


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(REMOVED, value)
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, pattern) for k, v in value.items()}
    return value


# --- built-in exporters and erasers -----------------------------------------------------------


@exporter("contact")
def _export_contact(contact: Contact) -> dict[str, Any]:
    return {
        "id": str(contact.pk),
        "organization": contact.organization.name,
        "kind": contact.kind,
        "email": contact.email,
        "phone": contact.phone,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "language": contact.language,
        "external_id": contact.external_id,
        "attributes": contact.attributes,
        "unsubscribed_at": contact.unsubscribed_at.isoformat() if contact.unsubscribed_at else None,
        "unsubscribe_reason": contact.unsubscribe_reason,
        "erased_at": contact.erased_at.isoformat() if contact.erased_at else None,
        "created_at": contact.created_at.isoformat(),
        "updated_at": contact.updated_at.isoformat(),
    }


@exporter("responses")
def _export_responses(contact: Contact) -> list[dict[str, Any]]:
    from closeloop.responses.models import Response

    rows = (
        Response.objects.filter(organization_id=contact.organization_id, contact_id=contact.pk)
        .select_related("survey", "version")
        .prefetch_related("facts")
        .order_by("started_at")
    )
    return [
        {
            "id": str(r.pk),
            "survey": {"id": str(r.survey_id), "name": r.survey.name},
            "version": r.version.number,
            "status": r.status,
            "channel": r.channel,
            "language": r.language,
            "started_at": r.started_at.isoformat(),
            "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            "answers": r.answers,
            "hidden": r.hidden,
            "facts": [
                {
                    "question": f.question_key,
                    "type": f.question_type,
                    "row": f.row_key,
                    "number": f.number,
                    "choice": f.choice,
                    "text": f.text,
                }
                for f in r.facts.all()
            ],
        }
        for r in rows
    ]


@exporter("links")
def _export_links(contact: Contact) -> list[dict[str, Any]]:
    from closeloop.responses.models import PersonalLink

    rows = PersonalLink.objects.filter(
        organization_id=contact.organization_id, contact_id=contact.pk
    ).select_related("survey")
    return [
        {
            "id": str(link.pk),
            "survey": {"id": str(link.survey_id), "name": link.survey.name},
            "channel": link.channel,
            "language": link.language,
            "created_at": link.created_at.isoformat(),
            "expires_at": link.expires_at.isoformat() if link.expires_at else None,
        }
        for link in rows
    ]


@eraser("responses")
def _erase_responses(contact: Contact, terms: list[str]) -> None:
    """Keep the answers, detached and with text naming the contact replaced by [removed]."""
    from closeloop.responses.models import AnswerFact, PersonalLink, Response

    responses = list(
        Response.objects.filter(organization_id=contact.organization_id, contact_id=contact.pk)
    )
    for response in responses:
        response.answers = scrub(response.answers, terms)
        response.hidden = scrub(response.hidden, terms)
        response.metadata = scrub(response.metadata, terms)
        response.contact_id = None
        response.save(update_fields=["answers", "hidden", "metadata", "contact_id", "updated_at"])
    facts = AnswerFact.objects.filter(response__in=[r.pk for r in responses]).exclude(text="")
    for fact in facts:
        cleaned = scrub(fact.text, terms)
        if cleaned != fact.text:
            AnswerFact.objects.filter(pk=fact.pk).update(text=cleaned)
    links = PersonalLink.objects.filter(
        organization_id=contact.organization_id, contact_id=contact.pk
    )
    for link in links:
        link.hidden = scrub(link.hidden, terms)
        link.contact_id = None
        link.save(update_fields=["hidden", "contact_id", "updated_at"])


@eraser("activity")
def _erase_activity(contact: Contact, terms: list[str]) -> None:
    """The activity log names the contact in each entry's label; keep the entry, not the name."""
    from closeloop.core.models import Activity

    # The log is append-only for people; erasure is the one sanctioned rewrite.
    Activity.objects.filter(
        organization_id=contact.organization_id, object_type="contact", object_id=str(contact.pk)
    ).update(object_repr=REMOVED)


def _names_contact(values: list[Any], keys: list[str]) -> bool:
    return any(k in str(v).lower() for v in values for k in keys)


def _blank(values: list[Any]) -> list[Any]:
    return [REMOVED if str(v).strip() else v for v in values]


@eraser("imports")
def _erase_imports(contact: Contact, terms: list[str]) -> None:
    """Rows of past imports (rejected rows, the preview) that carry the contact's email or
    external id lose their values; a rejected row's line and reason (scrubbed) stay so the
    import report still adds up."""
    from closeloop.contacts.models import ContactImport

    keys = [k.lower() for k in (contact.email, contact.external_id) if k]
    if not keys:
        return
    runs = ContactImport.objects.filter(organization_id=contact.organization_id).defer("file_data")
    for run in runs:
        rejected = run.rejected_rows or []
        preview = run.preview_rows or []
        changed = False
        for row in rejected:
            if isinstance(row, dict) and _names_contact(row.get("values") or [], keys):
                row["values"] = _blank(row.get("values") or [])
                row["reason"] = scrub(row.get("reason", ""), terms)
                changed = True
        for index, values in enumerate(preview):
            if isinstance(values, list) and _names_contact(values, keys):
                preview[index] = _blank(values)
                changed = True
        if changed:
            ContactImport.objects.filter(pk=run.pk).update(
                rejected_rows=rejected, preview_rows=preview
            )
