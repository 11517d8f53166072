"""Contact imports from CSV or XLSX: reading files, and the services that run an import.

Upload (contact_import_create: header and a preview) -> mapping (contact_import_configure:
each column to a field, an attribute or nothing; enqueues the task) -> the task
(contact_import_run: claims the import, processes rows in chunks, counts progress).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.contacts.attributes import AttributeValueError, is_blank, normalize
from closeloop.contacts.choices import IMPORT_FIELDS, AttributeType, DedupeBy, ImportStatus
from closeloop.contacts.models import AttributeDefinition, ContactImport
from closeloop.contacts.services import (
    attribute_definition_create,
    clean_contact_data,
    contact_upsert_values,
)
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization, User

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
PREVIEW_ROWS = 5
CHUNK = 200
MAX_REJECTED_KEPT = 5000
IGNORE = "ignore"
ATTRIBUTE = "attribute:"
NEW_ATTRIBUTE = "new_attribute"


class ImportFileError(DomainError):
    """An uploaded file that cannot be read as a table."""


# --- reading files -----------------------------------------------------------------------------


def file_format(file_name: str) -> str:
    name = file_name.lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    raise ImportFileError(_("Upload a .csv or .xlsx file."), field="file")


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp949", "cp874"):  # UTF-8, then Korean and Thai Excel
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    text = _decode(content)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(
            _("This file is not a readable .xlsx workbook."), field="file"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def read_rows(content: bytes, fmt: str) -> Iterator[list[Any]]:
    """Every row of the file's first table, the header first."""
    try:
        yield from (_xlsx_rows(content) if fmt == "xlsx" else _csv_rows(content))
    except csv.Error as exc:
        raise ImportFileError(
            _("This CSV file cannot be read: %(error)s") % {"error": exc}, field="file"
        ) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _blank_row(row: list[Any]) -> bool:
    return all(is_blank(v) for v in row)


def suggest_target(header: str, definitions: Mapping[str, AttributeDefinition]) -> str:
    """A mapping guessed from a column's header."""
    name = header.strip().lower().replace(" ", "_").replace("-", "_")
    aliases = {
        "e_mail": "email", "mail": "email", "email_address": "email", "이메일": "email",
        "phone_number": "phone", "mobile": "phone", "tel": "phone", "전화번호": "phone",
        "firstname": "first_name", "given_name": "first_name", "이름": "first_name",
        "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
        "성": "last_name", "lang": "language", "locale": "language", "언어": "language",
        "id": "external_id", "customer_id": "external_id", "externalid": "external_id",
        "type": "kind",
    }  # fmt: skip
    name = aliases.get(name, name)
    if name in dict(IMPORT_FIELDS):
        return name
    if name in definitions:
        return f"{ATTRIBUTE}{name}"
    return IGNORE


# --- services ----------------------------------------------------------------------------------


def contact_import_create(
    *, organization: Organization, file_name: str, content: bytes, created_by: User | None
) -> ContactImport:
    """Keep an uploaded file and read its header and first rows for the mapping step."""
    fmt = file_format(file_name)
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than 10 MB; split it."), field="file")
    rows = read_rows(content, fmt)
    header = next(rows, None)
    if header is None or _blank_row(header):
        raise ImportFileError(
            _("The file is empty; the first row must name the columns."), field="file"
        )
    columns = [
        _cell_text(h).strip() or _("Column %(n)d") % {"n": i + 1} for i, h in enumerate(header)
    ]
    preview: list[list[str]] = []
    total = 0
    for row in rows:
        if _blank_row(row):
            continue
        total += 1
        if len(preview) < PREVIEW_ROWS:
            preview.append([_cell_text(v) for v in row[: len(columns)]])
    if total == 0:
        raise ImportFileError(_("The file has a header but no rows."), field="file")
    if total > MAX_ROWS:
        raise ImportFileError(
            _("The file has more than %(max)d rows; split it.") % {"max": MAX_ROWS}, field="file"
        )
    return ContactImport.objects.create(
        organization=organization,
        file_name=file_name[:255],
        file_format=fmt,
        file_data=content,
        columns=columns,
        preview_rows=preview,
        total_rows=total,
        created_by=created_by,
    )


def contact_import_configure(
    *,
    contact_import: ContactImport,
    mapping: Mapping[int, str],
    dedupe_by: str,
    new_attributes: Mapping[int, tuple[str, str]] | None = None,
    actor: User | None,
) -> ContactImport:
    """Map each column (by index) to a field, "attribute:<key>", "new_attribute" or "ignore";
    create the new attributes (key, type) and queue the import."""
    from closeloop.contacts.tasks import run_contact_import
    from closeloop.core.tasks import enqueue_on_commit

    if contact_import.status != ImportStatus.PENDING:
        raise DomainError(_("This import has already started."), code="started")
    if dedupe_by not in DedupeBy.values:
        raise DomainError(_("Match by email or external id."), field="dedupe_by")
    organization = contact_import.organization
    new_attributes = new_attributes or {}
    fields = dict(IMPORT_FIELDS)
    with transaction.atomic():
        keys = set(
            AttributeDefinition.objects.filter(organization=organization).values_list(
                "key", flat=True
            )
        )
        clean: dict[str, str] = {}
        used: dict[str, int] = {}
        for index in range(len(contact_import.columns)):
            target = mapping.get(index, IGNORE) or IGNORE
            if target == NEW_ATTRIBUTE:
                key, attr_type = new_attributes.get(index, ("", AttributeType.TEXT))
                definition = attribute_definition_create(
                    organization=organization,
                    key=key,
                    label=contact_import.columns[index],
                    type=attr_type,
                    actor=actor,
                )
                target = f"{ATTRIBUTE}{definition.key}"
                keys.add(definition.key)
            if target == IGNORE:
                continue
            if target.startswith(ATTRIBUTE):
                if target[len(ATTRIBUTE) :] not in keys:
                    raise DomainError(_("There is no such attribute."), field=f"column_{index}")
            elif target not in fields:
                raise DomainError(_("Choose what this column holds."), field=f"column_{index}")
            if target in used:
                raise DomainError(
                    _("Two columns are mapped to the same field; map one of them to “ignore”."),
                    field=f"column_{index}",
                )
            used[target] = index
            clean[str(index)] = target
        if "email" not in used and "external_id" not in used:
            raise DomainError(
                _("Map a column to email or to external id, so contacts can be matched."),
                field="column_0",
            )
        contact_import.mapping = clean
        contact_import.dedupe_by = dedupe_by
        contact_import.status = ImportStatus.QUEUED
        contact_import.save(update_fields=["mapping", "dedupe_by", "status", "updated_at"])
        activity_record(
            organization=organization, actor=actor, verb="contact_import.queued",
            target=contact_import, data={"rows": contact_import.total_rows},
        )  # fmt: skip
        enqueue_on_commit(run_contact_import, str(contact_import.pk))
    return contact_import


def _row_values(
    row: list[Any], mapping: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(contact fields, raw attribute values) of a row; blank cells are left out."""
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for index, target in mapping.items():
        i = int(index)
        value = row[i] if i < len(row) else None
        if is_blank(value):
            continue
        if target.startswith(ATTRIBUTE):
            attributes[target[len(ATTRIBUTE) :]] = value
        else:
            fields[target] = value
    return fields, attributes


def _reject(rejected: list[dict[str, Any]], line: int, reason: str, row: list[Any]) -> None:
    if len(rejected) < MAX_REJECTED_KEPT:
        rejected.append({"line": line, "reason": reason, "values": [_cell_text(v) for v in row]})


def _process_row(
    ci: ContactImport,
    row: list[Any],
    line: int,
    definitions: Mapping[str, AttributeDefinition],
    seen: dict[str, int],
) -> str:
    """Import one row; returns "created", "updated" or the reason it was rejected."""
    fields, raw_attributes = _row_values(row, ci.mapping)
    values, errors = clean_contact_data(fields, definitions)
    for key, raw in raw_attributes.items():
        definition = definitions[key]
        try:
            values.setdefault("attributes", {})[key] = normalize(definition.type, raw)
        except AttributeValueError as exc:
            errors[key] = str(exc)
    if errors:
        return "; ".join(f"{name}: {message}" for name, message in errors.items())
    if not (values.get("email") or values.get("external_id")):
        return _("Neither an email address nor an external id is given.")
    for name in ("email", "external_id"):
        if values.get(name):
            key = f"{name}:{values[name]}"
            if key in seen:
                return _("Duplicate of line %(line)d in this file.") % {"line": seen[key]}
    try:
        with transaction.atomic():
            _contact, created = contact_upsert_values(
                organization=ci.organization, values=values, match_by=ci.dedupe_by
            )
    except DomainError as exc:
        errors = getattr(exc, "errors", None) or {exc.field or "row": exc.message}
        return "; ".join(f"{name}: {message}" for name, message in errors.items())
    for name in ("email", "external_id"):
        if values.get(name):
            seen[f"{name}:{values[name]}"] = line
    return "created" if created else "updated"


def contact_import_run(*, contact_import_id: str) -> ContactImport | None:
    """Run a queued import once (claimed by a conditional UPDATE), chunk by chunk."""
    now = timezone.now()
    claimed = ContactImport.objects.filter(pk=contact_import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, updated_at=now
    )
    if not claimed:
        return None
    ci = ContactImport.objects.select_related("organization").get(pk=contact_import_id)
    definitions = {
        d.key: d for d in AttributeDefinition.objects.filter(organization=ci.organization)
    }
    counts = {"processed": 0, "created": 0, "updated": 0, "rejected": 0}
    rejected: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    try:
        rows = read_rows(bytes(ci.file_data), ci.file_format)
        next(rows, None)  # the header
        line = 1
        pending = 0
        for row in rows:
            line += 1
            if _blank_row(row):
                continue
            outcome = _process_row(ci, row, line, definitions, seen)
            if outcome in ("created", "updated"):
                counts[outcome] += 1
            else:
                counts["rejected"] += 1
                _reject(rejected, line, outcome, row)
            counts["processed"] += 1
            pending += 1
            if pending >= CHUNK:
                ContactImport.objects.filter(pk=ci.pk).update(
                    **counts, rejected_rows=rejected, updated_at=timezone.now()
                )
                pending = 0
    except Exception as exc:
        ContactImport.objects.filter(pk=ci.pk).update(
            **counts,
            rejected_rows=rejected,
            status=ImportStatus.FAILED,
            error=str(exc)[:2000],
            finished_at=timezone.now(),
        )
        raise
    ContactImport.objects.filter(pk=ci.pk).update(
        **counts,
        rejected_rows=rejected,
        status=ImportStatus.DONE,
        file_data=b"",  # the file holds personal data; the contacts now do
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    activity_record(
        organization=ci.organization, actor=ci.created_by, verb="contact_import.finished",
        target=ci, data={k: v for k, v in counts.items() if k != "processed"},
    )  # fmt: skip
    ci.refresh_from_db()
    return ci


def rejected_rows_csv(contact_import: ContactImport) -> str:
    """The rejected rows as CSV: line, reason, then the row's cells under the file's header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("line"), _("reason"), *contact_import.columns])
    for row in contact_import.rejected_rows:
        writer.writerow([row["line"], row["reason"], *row["values"]])
    return out.getvalue()
