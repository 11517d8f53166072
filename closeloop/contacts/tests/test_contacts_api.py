"""The contacts API: list, create, read, update, erase, bulk upsert, export, attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from closeloop.api.testing import ApiClient
from closeloop.contacts.models import Contact
from closeloop.contacts.services import attribute_definition_create
from closeloop.contacts.tests.factories import make_contact

if TYPE_CHECKING:
    from closeloop.contacts.tests.conftest import Respond
    from conftest import Personas


def _attributes(personas: Personas) -> None:
    attribute_definition_create(organization=personas.org, key="city", type="text", actor=None)
    attribute_definition_create(
        organization=personas.org, key="lifetime_value", type="number", actor=None
    )
    attribute_definition_create(
        organization=personas.org, key="newsletter", type="boolean", actor=None
    )


def test_create_read_update_and_list(
    personas: Personas, writer: ApiClient, reader: ApiClient
) -> None:
    _attributes(personas)
    created = writer.post(
        "/contacts",
        {
            "email": "Nattaya@Example.co.th",
            "first_name": "Nattaya",
            "language": "th",
            "attributes": {"city": "Bangkok", "lifetime_value": "320", "newsletter": "yes"},
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["email"] == "nattaya@example.co.th"
    assert body["attributes"] == {"city": "Bangkok", "lifetime_value": 320, "newsletter": True}
    assert body["subscribed"] is True

    one = reader.get(f"/contacts/{body['id']}")
    assert one.json()["first_name"] == "Nattaya"
    patched = writer.patch(
        f"/contacts/{body['id']}", {"last_name": "Srisuk", "attributes": {"city": None}}
    )
    assert patched.status_code == 200
    assert patched.json()["last_name"] == "Srisuk"
    assert patched.json()["attributes"] == {"lifetime_value": 320, "newsletter": True}

    make_contact(personas.org, email="other@example.com", first_name="Other", kind="employee")
    listed = reader.get("/contacts", {"q": "srisuk"}).json()
    assert [c["first_name"] for c in listed["items"]] == ["Nattaya"]
    assert [c["kind"] for c in reader.get("/contacts", {"kind": "employee"}).json()["items"]] == [
        "employee"
    ]
    page = reader.get("/contacts", {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = reader.get("/contacts", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert rest["items"][0]["id"] != page["items"][0]["id"]


def test_errors_name_the_field(personas: Personas, writer: ApiClient, reader: ApiClient) -> None:
    _attributes(personas)
    make_contact(personas.org, email="taken@example.com", external_id="X-1")
    dup = writer.post("/contacts", {"email": "TAKEN@example.com"})
    assert dup.status_code == 409
    assert dup["Content-Type"].startswith("application/problem+json")
    assert dup.json()["field"] == "email"
    dup_id = writer.post("/contacts", {"email": "new@example.com", "external_id": "X-1"})
    assert dup_id.status_code == 409 and dup_id.json()["field"] == "external_id"
    bad = writer.post(
        "/contacts", {"email": "a@example.com", "attributes": {"lifetime_value": "x"}}
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "attributes.lifetime_value"
    unknown = writer.post("/contacts", {"email": "b@example.com", "attributes": {"shoe": 42}})
    assert unknown.json()["field"] == "attributes.shoe"
    nothing = writer.post("/contacts", {"first_name": "Nobody"})
    assert nothing.status_code == 400
    assert reader.post("/contacts", {"email": "c@example.com"}).status_code == 403


def test_bulk_upsert_reports_each_item(personas: Personas, writer: ApiClient) -> None:
    _attributes(personas)
    existing = make_contact(personas.org, email="old@example.com", first_name="Old")
    response = writer.post(
        "/contacts/bulk",
        {
            "match_by": "email",
            "items": [
                {"email": "old@example.com", "first_name": "Renamed"},
                {"email": "fresh@example.com", "attributes": {"lifetime_value": 10}},
                {"email": "broken", "first_name": "Bad"},
                {"email": "n@example.com", "attributes": {"newsletter": "maybe"}},
            ],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["errors"]) == (1, 1, 2)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["updated", "created", "error", "error"]
    assert body["results"][2]["errors"][0]["field"] == "items[2].email"
    assert body["results"][3]["errors"][0]["field"] == "items[3].attributes.newsletter"
    existing.refresh_from_db()
    assert existing.first_name == "Renamed"
    by_id = writer.post(
        "/contacts/bulk",
        {"match_by": "external_id", "items": [{"external_id": "E-9", "first_name": "Ext"}] * 2},
    ).json()
    assert [r["status"] for r in by_id["results"]] == ["created", "updated"]
    too_many = writer.post("/contacts/bulk", {"items": [{"email": "x@example.com"}] * 1001})
    assert too_many.status_code == 422


def test_export_and_erase(
    personas: Personas, writer: ApiClient, reader: ApiClient, respond: Respond
) -> None:
    contact = make_contact(personas.org, email="gdpr@example.com", first_name="Jiwoo")
    respond(contact, 3, comment="Jiwoo here: the latte was cold")
    export = reader.get(f"/contacts/{contact.pk}/export").json()
    assert export["contact"]["email"] == "gdpr@example.com"
    assert export["responses"][0]["answers"]["q1"] == 3
    assert reader.delete(f"/contacts/{contact.pk}").status_code == 403
    assert writer.delete(f"/contacts/{contact.pk}").status_code == 204
    erased = reader.get(f"/contacts/{contact.pk}").json()
    assert erased["email"] is None and erased["first_name"] == "" and erased["erased_at"]
    assert writer.patch(f"/contacts/{contact.pk}", {"first_name": "Back"}).status_code == 400


def test_attribute_definitions_api(writer: ApiClient, reader: ApiClient) -> None:
    created = writer.post("/contact-attributes", {"key": "plan", "type": "text", "label": "Plan"})
    assert created.status_code == 201
    assert writer.post("/contact-attributes", {"key": "plan"}).status_code == 409
    bad = writer.post("/contact-attributes", {"key": "Bad Key"})
    assert bad.status_code == 400 and bad.json()["field"] == "key"
    assert [a["key"] for a in reader.get("/contact-attributes").json()["items"]] == ["plan"]


def test_other_orgs_contacts_are_invisible(personas: Personas, reader: ApiClient) -> None:
    theirs = make_contact(personas.other_org, email="secret@other.test")
    assert reader.get(f"/contacts/{theirs.pk}").status_code == 404
    assert reader.get("/contacts").json()["items"] == []
    assert Contact.objects.filter(pk=theirs.pk).exists()
