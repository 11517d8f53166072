"""Importing comments from a CSV file: reviews, support tickets, chat transcripts.

Columns (a header row; names are matched loosely, the order does not matter):
text (required), score (0-10), language (en, ko, th, ...), source (review, ticket, chat,
import, api), time (ISO 8601 date or date-time; the organization's time zone when it has none),
email (a contact's email: the comment is linked to that contact when one exists), and ref (the
review's or ticket's own id, so importing the same file twice adds nothing).

Good rows are stored and enriched in the background; bad rows are reported with their line
number in the file and what is wrong, and nothing else about the import fails because of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.text.choices import CommentSource
from closeloop.text.models import Comment
from closeloop.text.services import (
    clean_language,
    clean_score,
    clean_source,
    clean_text,
    comments_enqueue_enrichment,
)

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User

MAX_ROWS = 50000
MAX_BYTES = 20 * 1024 * 1024
COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "comment", "comments", "body", "review", "message", "content", "feedback"),
    "score": ("score", "rating", "nps", "nps_score"),
    "language": ("language", "lang", "locale"),
    "source": ("source", "channel", "type", "kind"),
    "time": ("time", "date", "datetime", "timestamp", "created_at", "answered_at", "created"),
    "email": ("email", "contact_email", "customer_email", "contact", "e_mail"),
    "ref": ("ref", "source_ref", "id", "external_id", "review_id", "ticket_id", "reference"),
}


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported: its line in the file, the column at fault and why."""

    line: int
    field: str
    reason: str


@dataclass
class CommentImportResult:
    """What an import did: comments created, rows already imported, rows rejected, notes."""

    created: list[Comment] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    notes: list[RejectedRow] = field(default_factory=list)

    @property
    def created_count(self) -> int:
        return len(self.created)


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower().lstrip("\ufeff"))


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    keys = [_header_key(h) for h in header]
    for column, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in keys:
                found[column] = keys.index(alias)
                break
    return found


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_BYTES:
        raise DomainError(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)},
            field="file",
            code="too-large",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            _("Save the file as UTF-8 CSV and try again."), field="file", code="encoding"
        ) from None


def _dialect(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def parse_time(value: str, zone: ZoneInfo) -> dt.datetime:
    """An ISO 8601 date or date-time; a date or a naive time is in `zone`."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DomainError(
            _("Give the time as YYYY-MM-DD or YYYY-MM-DDTHH:MM (ISO 8601)."), field="time"
        ) from None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def comment_import(
    *,
    organization: Organization,
    data: bytes | str,
    default_source: str = CommentSource.IMPORT,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> CommentImportResult:
    """Import comments from CSV: good rows are stored and enriched in the background, bad rows
    come back with their line number and reason."""
    from closeloop.contacts.models import Contact

    text = _decode(data)
    if not text.strip():
        raise DomainError(_("The file is empty."), field="file", code="empty")
    delimiter = _dialect(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise DomainError(_("The file has no header row."), field="file", code="header") from None
    columns = _columns(header)
    if "text" not in columns:
        raise DomainError(
            _("The file needs a column named text (or comment, review, message)."),
            field="file",
            code="no-text-column",
        )
    zone = ZoneInfo(organization.time_zone or "UTC")
    default = clean_source(default_source)
    result = CommentImportResult()
    rows: list[tuple[int, dict[str, Any]]] = []
    emails: set[str] = set()
    seen_refs: set[tuple[str, str]] = set()
    line = reader.line_num + 1
    while True:
        start = line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            result.rejected.append(RejectedRow(start, "file", str(error)))
            break
        line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(rows) + len(result.rejected) >= MAX_ROWS:
            raise DomainError(
                _("Import at most %(n)d rows at a time.") % {"n": MAX_ROWS},
                field="file",
                code="too-many-rows",
            )
        try:
            values = _row_values(row, columns, zone, default)
        except DomainError as error:
            result.rejected.append(RejectedRow(start, error.field or "", error.message))
            continue
        key = (values["source"], values["source_ref"])
        if values["source_ref"]:
            if key in seen_refs:
                result.duplicates.append(start)
                continue
            seen_refs.add(key)
        if values["email"]:
            emails.add(values["email"])
        rows.append((start, values))
    contacts = {
        email: pk
        for email, pk in Contact.objects.filter(
            organization=organization, email__in=emails, erased_at__isnull=True
        ).values_list("email", "pk")
    }
    refs = {
        (source, ref)
        for source, ref in Comment.objects.filter(
            organization=organization,
            source_ref__in=[v["source_ref"] for _l, v in rows if v["source_ref"]],
        ).values_list("source", "source_ref")
    }
    now = timezone.now()
    new: list[Comment] = []
    for start, values in rows:
        if values["source_ref"] and (values["source"], values["source_ref"]) in refs:
            result.duplicates.append(start)
            continue
        contact_id = contacts.get(values["email"]) if values["email"] else None
        if values["email"] and contact_id is None:
            result.notes.append(
                RejectedRow(start, "email", _("No contact has this email; imported without one."))
            )
        new.append(
            Comment(
                organization=organization,
                text=values["text"],
                score=values["score"],
                score_type="nps" if values["score"] is not None else "",
                language_hint=values["language"],
                language=values["language"],
                source=values["source"],
                source_ref=values["source_ref"],
                answered_at=values["time"] or now,
                contact_id=contact_id,
            )
        )
    result.duplicates.sort()
    with transaction.atomic():
        result.created = Comment.objects.bulk_create(new, batch_size=500)
        comments_enqueue_enrichment(comment_ids=[c.pk for c in result.created])
        activity_record(
            organization=organization,
            verb="comment.imported",
            actor=actor,
            api_key=api_key,
            data={
                "created": len(result.created),
                "duplicates": len(result.duplicates),
                "rejected": len(result.rejected),
            },
        )
    return result


def _row_values(
    row: list[str], columns: dict[str, int], zone: ZoneInfo, default_source: str
) -> dict[str, Any]:
    email = _cell(row, columns, "email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(_("This is not an email address."), field="email") from None
    when = _cell(row, columns, "time")
    return {
        "text": clean_text(_cell(row, columns, "text")),
        "score": clean_score(_cell(row, columns, "score")),
        "language": clean_language(_cell(row, columns, "language")),
        "source": clean_source(_cell(row, columns, "source") or default_source),
        "source_ref": _cell(row, columns, "ref")[:200],
        "time": parse_time(when, zone) if when else None,
        "email": email,
    }
