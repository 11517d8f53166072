"""Segments: rules on fields and typed attributes, survey history, the builder and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from closeloop.api.testing import ApiClient
from closeloop.contacts.models import Contact
from closeloop.contacts.rules import SegmentInvalid
from closeloop.contacts.selectors import contacts_matching
from closeloop.contacts.services import (
    attribute_definition_create,
    contact_unsubscribe,
    segment_create,
)
from closeloop.contacts.tests.factories import make_contact
from closeloop.responses.choices import ResponseStatus
from closeloop.surveys.services import survey_create

if TYPE_CHECKING:
    from closeloop.contacts.tests.conftest import Respond
    from conftest import Personas


@pytest.fixture
def people(personas: Personas) -> dict[str, Contact]:
    org = personas.org
    for key, type_ in [
        ("plan", "text"),
        ("lifetime_value", "number"),
        ("customer_since", "date"),
        ("newsletter", "boolean"),
        ("in", "text"),  # a key that looks like a lookup
    ]:
        attribute_definition_create(organization=org, key=key, type=type_, actor=None)
    return {
        "minji": make_contact(
            org, email="minji@example.com", language="ko",
            attributes={"plan": "Gold", "lifetime_value": 1500, "customer_since": "2019-05-01",
                        "newsletter": True, "in": "x"},
        ),
        "somchai": make_contact(
            org, email="somchai@example.co.th", language="th",
            attributes={"plan": "Silver", "lifetime_value": 80.5, "customer_since": "2023-11-20",
                        "newsletter": False},
        ),
        "emma": make_contact(
            org, email="emma@example.co.uk", language="en", kind="employee",
            attributes={"lifetime_value": 300},
        ),
    }  # fmt: skip


def _names(personas: Personas, definition: dict[str, Any]) -> set[str]:
    from closeloop.contacts.rules import validate_definition

    clean = validate_definition(personas.org, definition)
    return {
        c.email.split("@")[0]
        for c in contacts_matching(organization=personas.org, definition=clean)
        if c.email
    }


def _rule(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"match": "all", "rules": [{"field": field, "op": op, "value": value}]}


def test_text_attribute_rules(personas: Personas, people: dict[str, Contact]) -> None:
    assert _names(personas, _rule("attribute.plan", "eq", "gold")) == {"minji"}
    assert _names(personas, _rule("attribute.plan", "ne", "Gold")) == {"somchai", "emma"}
    assert _names(personas, _rule("attribute.plan", "contains", "ilv")) == {"somchai"}
    assert _names(personas, _rule("attribute.plan", "in", ["Gold", "Silver"])) == {
        "minji",
        "somchai",
    }
    assert _names(personas, _rule("attribute.plan", "is_set")) == {"minji", "somchai"}
    assert _names(personas, _rule("attribute.plan", "not_set")) == {"emma"}
    assert _names(personas, _rule("attribute.in", "eq", "x")) == {"minji"}


def test_number_attribute_rules(personas: Personas, people: dict[str, Contact]) -> None:
    assert _names(personas, _rule("attribute.lifetime_value", "gt", "299")) == {"minji", "emma"}
    assert _names(personas, _rule("attribute.lifetime_value", "lt", 100)) == {"somchai"}
    assert _names(personas, _rule("attribute.lifetime_value", "eq", "1500")) == {"minji"}
    assert _names(personas, _rule("attribute.lifetime_value", "in", "80.5, 300")) == {
        "somchai", "emma",
    }  # fmt: skip


def test_date_attribute_rules(personas: Personas, people: dict[str, Contact]) -> None:
    assert _names(personas, _rule("attribute.customer_since", "before", "2020-01-01")) == {"minji"}
    assert _names(personas, _rule("attribute.customer_since", "after", "2020/01/01")) == {"somchai"}
    assert _names(personas, _rule("attribute.customer_since", "not_set")) == {"emma"}


def test_boolean_attribute_rules(personas: Personas, people: dict[str, Contact]) -> None:
    assert _names(personas, _rule("attribute.newsletter", "eq", "true")) == {"minji"}
    assert _names(personas, _rule("attribute.newsletter", "eq", False)) == {"somchai"}
    assert _names(personas, _rule("attribute.newsletter", "ne", True)) == {"somchai", "emma"}


def test_field_rules_and_any_match(personas: Personas, people: dict[str, Contact]) -> None:
    contact_unsubscribe(contact=people["somchai"], via="staff")
    assert _names(personas, _rule("language", "eq", "KO")) == {"minji"}
    assert _names(personas, _rule("kind", "eq", "employee")) == {"emma"}
    assert _names(personas, _rule("email", "contains", "co.th")) == {"somchai"}
    assert _names(personas, _rule("unsubscribed", "eq", "true")) == {"somchai"}
    assert _names(personas, _rule("unsubscribed", "eq", "false")) == {"minji", "emma"}
    both = {
        "match": "any",
        "rules": [
            {"field": "language", "op": "eq", "value": "ko"},
            {"field": "kind", "op": "eq", "value": "employee"},
        ],
    }
    assert _names(personas, both) == {"minji", "emma"}
    assert _names(personas, {**both, "match": "all"}) == set()


def test_bad_rules_name_the_rule(personas: Personas, people: dict[str, Contact]) -> None:
    with pytest.raises(SegmentInvalid) as exc:
        _names(personas, _rule("attribute.lifetime_value", "contains", "1"))
    assert exc.value.field == "definition.rules[0].op"
    with pytest.raises(SegmentInvalid) as exc:
        _names(personas, _rule("attribute.lifetime_value", "gt", "many"))
    assert exc.value.field == "definition.rules[0].value"
    with pytest.raises(SegmentInvalid) as exc:
        _names(personas, _rule("attribute.shoe_size", "eq", "1"))
    assert exc.value.field == "definition.rules[0].field"


def test_survey_history_rules(
    personas: Personas, people: dict[str, Contact], respond: Respond
) -> None:
    minji, somchai, emma = people["minji"], people["somchai"], people["emma"]
    other_survey = survey_create(organization=personas.org, actor=None, name="Delivery CSAT")
    # minji: detractor long ago, promoter last week -> promoter last time
    respond(minji, 2, days_ago=200)
    respond(minji, 10, days_ago=7)
    # somchai: promoter before, detractor last time (a partial response later does not count)
    respond(somchai, 9, days_ago=100)
    respond(somchai, 4, days_ago=10)
    respond(somchai, 10, days_ago=1, status=ResponseStatus.PARTIAL)
    # emma: answered only the other survey, long ago, passive
    respond(emma, 7, days_ago=120, on=other_survey)

    def history(kind: str, **extra: Any) -> set[str]:
        return _names(personas, {"rules": [{"survey_history": kind, **extra}]})

    assert history("answered", within_days=90) == {"minji", "somchai"}
    assert history("answered") == {"minji", "somchai", "emma"}
    assert history("answered", within_days=90, question_type="nps") == {"minji", "somchai"}
    assert history("not_answered", within_days=90) == {"emma"}
    assert history("answered", survey=str(other_survey.pk)) == {"emma"}
    assert history("detractor_last_time") == {"somchai"}
    assert history("promoter_last_time") == {"minji"}
    assert history("passive_last_time") == {"emma"}
    assert history("detractor_last_time", survey=str(other_survey.pk)) == set()
    assert history("promoter_last_time", within_days=50) == {"minji"}
    combined = {
        "match": "all",
        "rules": [
            {"survey_history": "detractor_last_time", "survey": None, "within_days": 90},
            {"field": "language", "op": "eq", "value": "th"},
        ],
    }
    assert _names(personas, combined) == {"somchai"}


def test_segment_builder_pages(personas: Personas, people: dict[str, Contact]) -> None:
    client = personas.client_for(personas.analyst)
    base = f"/o/{personas.org.slug}/contacts/segments/"
    form = {
        "name": "VIP customers",
        "match": "all",
        "rule-0-field": "attribute.lifetime_value",
        "rule-0-op": "gt",
        "rule-0-value": "1000",
        "rule-1-field": "",
        "hist-0-kind": "",
    }
    count = client.get(base + "count/", form)
    assert count.status_code == 200
    assert count.context["count"] == 1
    bad = client.get(base + "count/", {**form, "rule-0-value": "lots"})
    assert "not a number" in bad.content.decode()
    created = client.post(base + "new/", form)
    assert created.status_code == 302
    page = client.get(created["Location"])
    assert page.context["count"] == 1
    assert "minji@example.com" in page.content.decode()
    listing = client.get(base)
    assert "VIP customers" in listing.content.decode()
    invalid = client.post(created["Location"], {**form, "rule-0-op": "contains"})
    assert invalid.status_code == 400
    filtered = client.get(
        f"/o/{personas.org.slug}/contacts/", {"segment": str(page.context["segment"].pk)}
    )
    assert [c.email for c in filtered.context["page"].object_list] == ["minji@example.com"]


def test_segments_api(
    personas: Personas, people: dict[str, Contact], writer: ApiClient, reader: ApiClient
) -> None:
    created = writer.post(
        "/segments",
        {
            "name": "Korean-speaking",
            "definition": {
                "match": "all",
                "rules": [{"field": "language", "op": "eq", "value": "ko"}],
            },
        },
    )
    assert created.status_code == 201, created.content
    segment = created.json()
    assert segment["contact_count"] == 1
    assert reader.get(f"/segments/{segment['id']}").json()["name"] == "Korean-speaking"
    members = reader.get(f"/segments/{segment['id']}/contacts").json()["items"]
    assert [m["email"] for m in members] == ["minji@example.com"]
    assert [s["name"] for s in reader.get("/segments").json()["items"]] == ["Korean-speaking"]
    in_segment = reader.get("/contacts", {"segment": segment["id"]}).json()["items"]
    assert len(in_segment) == 1
    bad = writer.post(
        "/segments",
        {"name": "Bad", "definition": {"rules": [{"field": "kind", "op": "gt", "value": "x"}]}},
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "definition.rules[0].op"
    dup = writer.post("/segments", {"name": "Korean-speaking", "definition": {"rules": []}})
    assert dup.status_code == 409


def test_erased_contacts_are_in_no_segment(personas: Personas, people: dict[str, Contact]) -> None:
    from closeloop.contacts.services import contact_erase

    segment = segment_create(
        organization=personas.org, name="Everyone", definition={"rules": []}, actor=None
    )
    contact_erase(contact=people["emma"], actor=None)
    from closeloop.contacts.selectors import segment_contacts

    assert segment_contacts(segment=segment).count() == 2
