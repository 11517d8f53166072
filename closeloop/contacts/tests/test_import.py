"""Importing contacts from CSV and XLSX through the wizard, run by the worker."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from closeloop.contacts.models import AttributeDefinition, Contact, ContactImport
from closeloop.contacts.services import attribute_definition_create
from closeloop.contacts.tests.factories import make_contact
from closeloop.core.worker import run_ready_tasks

if TYPE_CHECKING:
    from django.test import Client

    from conftest import Personas

# The worker runs tasks on its own terms (commits, closes connections): use real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = [
    "Email",
    "First name",
    "Last name",
    "Language",
    "Customer ID",
    "Lifetime value",
    "Since",
    "City",
]
ROWS = [
    ["minji@example.com", "Minji", "Kim", "ko", "C-1", "1500", "2019-05-01", "Seoul"],
    ["not-an-email", "Bad", "Row", "en", "C-2", "10", "2020-01-01", "Busan"],
    ["somchai@example.co.th", "Somchai", "Prasert", "th", "C-3", "lots", "2021-02-02", "Bangkok"],
    ["MINJI@example.com", "Minji", "Again", "ko", "C-4", "1", "2022-01-01", "Seoul"],
    ["", "No", "Keys", "en", "", "5", "", ""],
    ["emma@example.co.uk", "Emma", "Clarke", "en", "C-6", "300", "2023-03-03", "London"],
    ["old@example.com", "", "Updated", "", "C-7", "42", "", "Daegu"],
]


def _csv() -> bytes:
    out = io.StringIO()
    for row in [HEADER, *ROWS]:
        out.write(",".join(row) + "\n")
    return out.getvalue().encode()


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in ROWS:
        cells: list[object] = list(row)
        if row[5].isdigit():
            cells[5] = int(row[5])  # numbers and dates as a spreadsheet stores them
        if row[6]:
            cells[6] = dt.datetime.fromisoformat(row[6])
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _run_wizard(client: Client, personas: Personas, name: str, content: bytes) -> ContactImport:
    base = f"/o/{personas.org.slug}/contacts/imports/"
    upload = client.post(base + "new/", {"file": SimpleUploadedFile(name, content)})
    assert upload.status_code == 302, upload.content
    mapping_page = client.get(upload["Location"])
    assert mapping_page.status_code == 200
    text = mapping_page.content.decode()
    assert "minji@example.com" in text  # the preview
    suggested = {row["name"]: row["selected"] for row in mapping_page.context["column_rows"]}
    assert suggested["Email"] == "email" and suggested["City"] == "attribute:city"
    form = {
        "column_0": "email",
        "column_1": "first_name",
        "column_2": "last_name",
        "column_3": "language",
        "column_4": "external_id",
        "column_5": "new_attribute",
        "new_key_5": "lifetime_value",
        "new_type_5": "number",
        "column_6": "new_attribute",
        "new_key_6": "customer_since",
        "new_type_6": "date",
        "column_7": "attribute:city",
        "dedupe_by": "email",
    }
    started = client.post(upload["Location"], form)
    assert started.status_code == 302, started.content
    contact_import = ContactImport.objects.get(organization=personas.org)
    assert contact_import.status == "queued"
    progress = client.get(started["Location"])
    assert 'hx-trigger="every 1s"' in progress.content.decode()
    run_ready_tasks()
    contact_import.refresh_from_db()
    return contact_import


@pytest.mark.parametrize(("name", "maker"), [("contacts.csv", _csv), ("contacts.xlsx", _xlsx)])
def test_import_wizard(personas: Personas, name: str, maker: object) -> None:
    attribute_definition_create(organization=personas.org, key="city", type="text", actor=None)
    old = make_contact(personas.org, email="old@example.com", first_name="Old", language="ko")
    client = personas.client_for(personas.analyst)
    contact_import = _run_wizard(client, personas, name, maker())  # type: ignore[operator]

    assert contact_import.status == "done", contact_import.error
    assert (contact_import.created, contact_import.updated, contact_import.rejected) == (2, 1, 4)
    assert contact_import.processed == 7
    rejected = {row["line"]: row["reason"] for row in contact_import.rejected_rows}
    assert set(rejected) == {3, 4, 5, 6}
    assert "email" in rejected[3]
    assert "not a number" in rejected[4]
    assert "Duplicate of line 2" in rejected[5]
    assert "Neither" in rejected[6]

    minji = Contact.objects.get(organization=personas.org, email="minji@example.com")
    assert minji.attributes == {
        "lifetime_value": 1500,
        "customer_since": "2019-05-01",
        "city": "Seoul",
    }
    assert minji.external_id == "C-1" and minji.language == "ko"
    old.refresh_from_db()
    assert old.last_name == "Updated" and old.first_name == "Old"  # blank cells keep values
    assert old.attributes == {"lifetime_value": 42, "city": "Daegu"}
    assert (
        AttributeDefinition.objects.get(organization=personas.org, key="customer_since").type
        == "date"
    )
    assert bytes(contact_import.file_data) == b""

    page = client.get(f"/o/{personas.org.slug}/contacts/imports/{contact_import.pk}/")
    text = page.content.decode()
    assert "every 1s" not in text  # done: no more polling
    assert "Duplicate of line 2" in text
    report = client.get(f"/o/{personas.org.slug}/contacts/imports/{contact_import.pk}/rejected.csv")
    assert report["Content-Type"].startswith("text/csv")
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("line,reason,Email")
    assert lines[1].startswith("3,")
    assert "not-an-email" in lines[1]


def test_progress_partial_for_htmx(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    base = f"/o/{personas.org.slug}/contacts/imports/"
    upload = client.post(base + "new/", {"file": SimpleUploadedFile("a.csv", _csv())})
    client.post(upload["Location"], {"column_0": "email", "dedupe_by": "email"})
    contact_import = ContactImport.objects.get()
    partial = client.get(f"{base}{contact_import.pk}/", headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert text.lstrip().startswith("<div") and "<html" not in text
    assert "every 1s" in text
    run_ready_tasks()
    done = client.get(
        f"{base}{contact_import.pk}/", headers={"HX-Request": "true"}
    ).content.decode()
    assert "every 1s" not in done


def test_bad_files_and_mappings_are_explained(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    base = f"/o/{personas.org.slug}/contacts/imports/"
    pdf = client.post(base + "new/", {"file": SimpleUploadedFile("a.pdf", b"%PDF")})
    assert pdf.status_code == 400 and ".csv or .xlsx" in pdf.content.decode()
    empty = client.post(base + "new/", {"file": SimpleUploadedFile("a.csv", b"email\n")})
    assert empty.status_code == 400
    broken = client.post(base + "new/", {"file": SimpleUploadedFile("a.xlsx", b"not a zip")})
    assert broken.status_code == 400
    upload = client.post(base + "new/", {"file": SimpleUploadedFile("a.csv", _csv())})
    no_key = client.post(upload["Location"], {"column_1": "first_name", "dedupe_by": "email"})
    assert no_key.status_code == 400
    assert "email or to external id" in no_key.content.decode()
    twice = client.post(
        upload["Location"], {"column_0": "email", "column_1": "email", "dedupe_by": "email"}
    )
    assert twice.status_code == 400
    assert ContactImport.objects.get().status == "pending"
