"""GDPR: export everything about a contact; erase their identity everywhere."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from closeloop.contacts.models import Contact
from closeloop.contacts.tests.factories import make_contact
from closeloop.core.models import Activity
from closeloop.responses.models import AnswerFact, PersonalLink, Response

if TYPE_CHECKING:
    from closeloop.contacts.tests.conftest import Respond
    from closeloop.surveys.models import Survey
    from conftest import Personas


def test_export_download_contains_fields_and_responses(
    personas: Personas, respond: Respond
) -> None:
    contact = make_contact(
        personas.org, email="jiwoo@example.com", first_name="Jiwoo", last_name="Park",
        language="ko",
    )  # fmt: skip
    respond(contact, 9, comment="Great beans")
    client = personas.client_for(personas.analyst)
    detail = client.get(f"/o/{personas.org.slug}/contacts/{contact.pk}/")
    history = detail.content.decode()
    assert "Café NPS" in history and ">9 <small" in history  # the responses, with the score
    response = client.get(f"/o/{personas.org.slug}/contacts/{contact.pk}/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["contact"]["email"] == "jiwoo@example.com"
    assert data["contact"]["first_name"] == "Jiwoo"
    assert data["responses"][0]["survey"]["name"] == "Café NPS"
    assert data["responses"][0]["answers"] == {"q1": 9, "why": "Great beans"}
    assert {f["type"] for f in data["responses"][0]["facts"]} == {"nps", "long_text"}
    assert "links" in data
    # viewers may not export personal data
    viewer = personas.client_for(personas.viewer)
    assert viewer.get(f"/o/{personas.org.slug}/contacts/{contact.pk}/export/").status_code == 403


def test_erase_removes_identity_everywhere(
    personas: Personas, respond: Respond, survey: Survey
) -> None:
    contact = make_contact(
        personas.org, email="minji.kim@example.com", first_name="Minji", last_name="Kim",
        phone="+82 10 1111 2222", external_id="C-42", language="ko",
    )  # fmt: skip
    contact.first_name, contact.last_name = "민지", "김"
    contact.save()
    kept = respond(
        contact, 2,
        comment="김민지 입니다. Call me at +82 10 1111 2222 or minji.kim@example.com, "
        "the barista was rude. 민지",
    )  # fmt: skip
    english = make_contact(personas.org, email="al@example.com", first_name="Al", last_name="Smith")
    other = respond(english, 5, comment="Al Smith here. Also, the cups were cold; ask Al.")
    PersonalLink.objects.create(
        organization=personas.org, survey=survey, contact_id=contact.pk, token_hash="x" * 64,
        hidden={"name": "김민지"},
    )  # fmt: skip
    client = personas.client_for(personas.admin)
    confirm = client.get(f"/o/{personas.org.slug}/contacts/{contact.pk}/erase/")
    assert confirm.status_code == 200
    unconfirmed = client.post(f"/o/{personas.org.slug}/contacts/{contact.pk}/erase/", {})
    assert unconfirmed.status_code == 400
    done = client.post(f"/o/{personas.org.slug}/contacts/{contact.pk}/erase/", {"confirm": "erase"})
    assert done.status_code == 302

    contact.refresh_from_db()
    assert contact.erased_at is not None
    assert (contact.email, contact.external_id, contact.phone) == (None, None, "")
    assert (contact.first_name, contact.last_name, contact.attributes) == ("", "", {})
    assert str(contact) == "Erased contact"

    kept.refresh_from_db()
    assert kept.contact_id is None
    assert kept.status == "complete" and kept.answers["q1"] == 2
    text = kept.answers["why"]
    for secret in ("김민지", "민지", "minji.kim@example.com", "1111 2222"):
        assert secret not in text
    assert "[removed]" in text and "barista was rude" in text
    fact = AnswerFact.objects.get(response=kept, question_type="long_text")
    assert fact.text == text
    assert AnswerFact.objects.get(response=kept, question_type="nps").number == 2
    link = PersonalLink.objects.get()
    assert link.contact_id is None and link.hidden == {"name": "[removed]"}

    other.refresh_from_db()  # another contact's answers are untouched
    assert other.answers["why"] == "Al Smith here. Also, the cups were cold; ask Al."
    assert other.contact_id == english.pk

    for activity in Activity.objects.filter(object_id=str(contact.pk)):
        assert "minji" not in activity.object_repr.lower()
        assert "minji" not in json.dumps(activity.data).lower()
    assert Activity.objects.filter(verb="contact.erased", object_id=str(contact.pk)).exists()
    # the erased contact is gone from lists and searches
    listing = client.get(f"/o/{personas.org.slug}/contacts/", {"q": "minji"})
    assert list(listing.context["page"].object_list) == []
    assert Contact.objects.filter(pk=contact.pk).exists()
    # the same email can come back as a new contact
    again = make_contact(personas.org, email="minji.kim@example.com")
    assert again.pk != contact.pk
    assert Response.objects.filter(contact_id=again.pk).count() == 0


def test_word_boundaries_for_latin_names(personas: Personas, respond: Respond) -> None:
    contact = make_contact(personas.org, email="al@example.com", first_name="Al", last_name="Smith")
    response = respond(contact, 6, comment="Al Smith here. Also, ask Al about it.")
    from closeloop.contacts.services import contact_erase

    contact_erase(contact=contact, actor=None)
    response.refresh_from_db()
    assert response.answers["why"] == "[removed] here. Also, ask [removed] about it."
