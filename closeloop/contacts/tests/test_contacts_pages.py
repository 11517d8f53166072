"""Contacts through the pages: create, edit, search, filters, typed attributes, roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from closeloop.contacts.models import Contact
from closeloop.contacts.services import attribute_definition_create, contact_unsubscribe
from closeloop.contacts.tests.factories import make_contact

if TYPE_CHECKING:
    from conftest import Personas


def _url(personas: Personas, path: str = "") -> str:
    return f"/o/{personas.org.slug}/contacts/{path}"


def _define(personas: Personas) -> None:
    for key, type_ in [
        ("plan", "text"),
        ("lifetime_value", "number"),
        ("customer_since", "date"),
        ("newsletter", "boolean"),
    ]:
        attribute_definition_create(organization=personas.org, key=key, type=type_, actor=None)


def test_create_edit_and_view_a_contact_with_typed_attributes(personas: Personas) -> None:
    _define(personas)
    client = personas.client_for(personas.analyst)
    form = {
        "first_name": "Minji",
        "last_name": "Kim",
        "email": " Minji.Kim@Example.COM ",
        "phone": "+82 10-1234-5678",
        "language": "ko",
        "external_id": "C-1001",
        "kind": "customer",
        "attr_plan": "Gold",
        "attr_lifetime_value": "1250.50",
        "attr_customer_since": "2021-03-04",
        "attr_newsletter": "true",
    }
    response = client.post(_url(personas, "new/"), form)
    assert response.status_code == 302
    contact = Contact.objects.get(organization=personas.org)
    assert contact.email == "minji.kim@example.com"
    assert contact.attributes == {
        "plan": "Gold",
        "lifetime_value": 1250.5,
        "customer_since": "2021-03-04",
        "newsletter": True,
    }
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Minji Kim" in page.content.decode()
    assert "1250.5" in page.content.decode()

    edit = client.post(
        _url(personas, f"{contact.pk}/edit/"),
        {**form, "attr_lifetime_value": "2000", "attr_plan": "", "kind": "employee"},
    )
    assert edit.status_code == 302
    contact.refresh_from_db()
    assert contact.attributes["lifetime_value"] == 2000
    assert "plan" not in contact.attributes
    assert contact.kind == "employee"


def test_bad_typed_values_are_shown_on_their_fields(personas: Personas) -> None:
    _define(personas)
    client = personas.client_for(personas.analyst)
    response = client.post(
        _url(personas, "new/"),
        {
            "email": "not-an-email",
            "kind": "customer",
            "attr_lifetime_value": "lots",
            "attr_customer_since": "yesterday",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "email" in errors
    assert "not a number" in errors["attr_lifetime_value"][0]
    assert "YYYY-MM-DD" in errors["attr_customer_since"][0]
    assert not Contact.objects.exists()


def test_duplicate_email_is_refused_on_the_email_field(personas: Personas) -> None:
    make_contact(personas.org, email="dup@example.com")
    client = personas.client_for(personas.analyst)
    response = client.post(_url(personas, "new/"), {"email": "DUP@example.com", "kind": "customer"})
    assert response.status_code == 400
    assert "already has this email" in response.context["form"].errors["email"][0]


def test_search_and_filters(personas: Personas) -> None:
    make_contact(personas.org, email="minji@example.com", first_name="Minji", last_name="Kim")
    make_contact(personas.org, email="somchai@example.co.th", first_name="Somchai", kind="employee")
    gone = make_contact(
        personas.org, email="emma@example.co.uk", first_name="Emma", phone="+44 7700 900123"
    )
    contact_unsubscribe(contact=gone, via="staff")
    make_contact(personas.org, email=None, external_id="SHOP-77", first_name="이준호")
    make_contact(personas.other_org, email="minji@other.test", first_name="Minji")
    client = personas.client_for(personas.viewer)

    def names(**params: str) -> set[str]:
        response = client.get(_url(personas), params)
        assert response.status_code == 200
        return {c.first_name for c in response.context["page"].object_list}

    assert names(q="MINJI kim") == {"Minji"}
    assert names(q="shop-77") == {"이준호"}
    assert names(q="7700") == {"Emma"}
    assert names(q="example.co") == {"Minji", "Somchai", "Emma"}
    assert names(kind="employee") == {"Somchai"}
    assert names(unsubscribed="yes") == {"Emma"}
    assert "Emma" not in names(unsubscribed="no")


def test_list_paginates(personas: Personas) -> None:
    for n in range(55):
        make_contact(personas.org, email=f"p{n}@example.com")
    client = personas.client_for(personas.viewer)
    first = client.get(_url(personas))
    assert len(first.context["page"].object_list) == 50
    second = client.get(_url(personas), {"page": 2})
    assert len(second.context["page"].object_list) == 5


def test_viewer_reads_but_cannot_create_or_erase(personas: Personas) -> None:
    contact = make_contact(personas.org, email="v@example.com")
    viewer = personas.client_for(personas.viewer)
    assert viewer.get(_url(personas, f"{contact.pk}/")).status_code == 200
    assert viewer.post(_url(personas, "new/"), {"email": "x@example.com"}).status_code == 403
    assert (
        viewer.post(_url(personas, f"{contact.pk}/erase/"), {"confirm": "erase"}).status_code == 403
    )
    analyst = personas.client_for(personas.analyst)
    # erasing needs the manage-members permission (owners and admins)
    assert (
        analyst.post(_url(personas, f"{contact.pk}/erase/"), {"confirm": "erase"}).status_code
        == 403
    )
    contact.refresh_from_db()
    assert contact.erased_at is None


def test_staff_unsubscribe_and_resubscribe_with_a_reason(personas: Personas) -> None:
    contact = make_contact(personas.org, email="u@example.com")
    client = personas.client_for(personas.analyst)
    client.post(_url(personas, f"{contact.pk}/unsubscribe/"), {"reason": "asked by phone"})
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None
    assert contact.unsubscribe_reason == "asked by phone"
    # no reason: refused
    client.post(_url(personas, f"{contact.pk}/resubscribe/"), {"reason": ""})
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None
    client.post(
        _url(personas, f"{contact.pk}/resubscribe/"), {"reason": "opted in again at the café"}
    )
    contact.refresh_from_db()
    assert contact.unsubscribed_at is None


def test_attribute_definitions_page(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    response = client.post(
        _url(personas, "attributes/"), {"key": "city", "label": "City", "type": "text"}
    )
    assert response.status_code == 302
    again = client.post(
        _url(personas, "attributes/"), {"key": "city", "label": "x", "type": "text"}
    )
    assert again.status_code == 400
    assert "exists" in again.context["form"].errors["key"][0]
    bad = client.post(_url(personas, "attributes/"), {"key": "City Name", "type": "text"})
    assert bad.status_code == 400
    page = client.get(_url(personas, "attributes/"))
    assert "city" in page.content.decode()
