"""The cases API: list with filters and cursor pages, read with the timeline, open a case,
transitions (invalid ones are problem+json naming the allowed moves), assign, priority, team,
tags, notes, replies, resolve, root causes and loop metrics. What a key does is attributed to
it. Another organization's key gets 404."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from closeloop.accounts.models import Team
from closeloop.api.testing import ApiClient, OrgKeys, make_keys
from closeloop.cases.models import Case, CaseReply, SlaPolicy
from closeloop.cases.services import case_assign
from closeloop.cases.tests.factories import customer_case, make_case, root_cause, support
from closeloop.contacts.tests.factories import make_contact
from closeloop.core.models import Activity
from conftest import Personas


def test_open_list_and_read_a_case(personas: Personas) -> None:
    org = personas.org
    keys = make_keys(org)
    writer, reader = ApiClient(keys.write), ApiClient(keys.read)
    contact = make_contact(org, first_name="Hana", email="hana@example.kr", language="ko")
    agent = personas.membership(personas.agent)
    created = writer.post(
        "/cases",
        {
            "title": "Called the shop: wrong beans",
            "team": str(support(org).pk),
            "priority": "high",
            "contact": str(contact.pk),
            "assignee": str(agent.pk),
            "tags": ["phone"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == 1001 and body["status"] == "new" and body["priority"] == "high"
    assert body["assignee"] == str(agent.pk) and body["assignee_email"] == "agent@acme.test"
    assert body["first_response_due_at"] is not None
    assert [e["kind"] for e in body["timeline"]] == ["created", "assigned"]

    make_case(org, title="Second", priority="low")
    listed = reader.get("/cases", {"limit": 1})
    assert listed.status_code == 200
    page = listed.json()
    assert [c["title"] for c in page["items"]] == ["Called the shop: wrong beans"]
    nxt = reader.get("/cases", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [c["title"] for c in nxt["items"]] == ["Second"]
    assert [c["title"] for c in reader.get("/cases", {"priority": "low"}).json()["items"]] == [
        "Second"
    ]
    assert reader.get("/cases", {"assignee": str(agent.pk)}).json()["items"][0]["number"] == 1001
    assert reader.get("/cases", {"contact": str(contact.pk)}).json()["items"][0]["number"] == 1001
    assert reader.get("/cases", {"breached": "true"}).json()["items"] == []
    assert reader.get("/cases", {"status": "new,open"}).json()["items"][1]["title"] == "Second"
    read = reader.get(f"/cases/{body['id']}")
    assert read.status_code == 200 and read.json()["tags"] == ["phone"]


def test_transitions_notes_replies_and_resolve(personas: Personas) -> None:
    org = personas.org
    writer = ApiClient(make_keys(org).write)
    case = customer_case(org)
    base = f"/cases/{case.pk}"

    bad = writer.post(f"{base}/transition", {"to_status": "reopened"})
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
    assert "cannot become Reopened" in bad.json()["detail"]
    assert bad.json()["field"] == "to_status"
    resolve_via_transition = writer.post(f"{base}/transition", {"to_status": "resolved"})
    assert resolve_via_transition.status_code == 400

    ok = writer.post(f"{base}/transition", {"to_status": "open", "note": "Looking"})
    assert ok.status_code == 200 and ok.json()["status"] == "open"

    note = writer.post(f"{base}/notes", {"body": "VIP customer"})
    assert note.status_code == 201 and note.json()["body"] == "VIP customer"

    reply = writer.post(f"{base}/replies", {"body": "Hello {{contact.first_name}}"})
    assert reply.status_code == 201, reply.content
    assert reply.json()["body"] == "Hello Min"
    assert CaseReply.objects.filter(case=case).count() == 1

    no_cause = writer.post(f"{base}/resolve", {"note": "done"})
    assert no_cause.status_code == 422
    resolved = writer.post(
        f"{base}/resolve", {"root_cause": str(root_cause(org).pk), "note": "Refunded"}
    )
    assert resolved.status_code == 200, resolved.content
    data = resolved.json()
    assert data["status"] == "resolved" and data["root_cause"] == "Delivery delay"
    assert data["first_responded_at"] is not None and data["follow_up_sent_at"] is not None
    kinds = [e["kind"] for e in data["timeline"]]
    assert kinds[-3:] == ["root_cause_set", "status_changed", "follow_up_sent"]


def test_assign(personas: Personas) -> None:
    org = personas.org
    writer = ApiClient(make_keys(org).write)
    case = make_case(org)
    agent = personas.membership(personas.agent)
    product = support(org).__class__.objects.get(organization=org, slug="product")
    out = writer.post(
        f"/cases/{case.pk}/assign", {"assignee": str(agent.pk), "team": str(product.pk)}
    )
    assert out.status_code == 200
    assert out.json()["assignee"] == str(agent.pk) and out.json()["team_name"] == "Product"
    cleared = writer.post(f"/cases/{case.pk}/assign", {"assignee": None})
    assert cleared.json()["assignee"] is None and cleared.json()["team_name"] == "Product"
    outsider = personas.other_org
    other_member = outsider and personas.outsider.memberships.get()
    foreign = writer.post(f"/cases/{case.pk}/assign", {"assignee": str(other_member.pk)})
    assert foreign.status_code == 404


def test_root_causes(personas: Personas) -> None:
    keys = make_keys(personas.org)
    listed = ApiClient(keys.read).get("/root-causes")
    assert len(listed.json()["items"]) == 8
    created = ApiClient(keys.write).post("/root-causes", {"name": "Packaging"})
    assert created.status_code == 201 and created.json()["is_active"] is True
    dup = ApiClient(keys.write).post("/root-causes", {"name": "packaging"})
    assert dup.status_code == 409 and dup.json()["field"] == "name"
    assert ApiClient(keys.read).post("/root-causes", {"name": "x"}).status_code == 403


def test_loop_metrics(personas: Personas) -> None:
    keys = make_keys(personas.org)
    customer_case(personas.org)
    out = ApiClient(keys.read).get(
        "/loop-metrics", {"team": str(support(personas.org).pk), "from": "2020-01-01"}
    )
    assert out.status_code == 200, out.content
    body = out.json()
    assert body["total"]["cases"] == 1 and body["total"]["detractors"] == 1
    assert body["total"]["closed_loop_rate"] == 0.0
    assert len(body["weeks"]) == 1


def test_other_org_gets_404(personas: Personas) -> None:
    case = make_case(personas.org)
    other = make_keys(personas.other_org)
    assert ApiClient(other.read).get(f"/cases/{case.pk}").status_code == 404
    assert ApiClient(other.write).post(f"/cases/{case.pk}/notes", {"body": "x"}).status_code == 404
    assert ApiClient(other.read).get("/cases").json()["items"] == []
    assert Case.objects.get(pk=case.pk).events.count() == 1


def test_what_an_api_key_does_is_attributed_to_it(
    personas: Personas, writer: ApiClient, keys: OrgKeys
) -> None:
    org = personas.org
    case = customer_case(org)
    base = f"/cases/{case.pk}"
    assert writer.post(f"{base}/transition", {"to_status": "open"}).status_code == 200
    assert writer.post(f"{base}/notes", {"body": "From the CRM"}).status_code == 201
    assert writer.post(f"{base}/replies", {"body": "Hello"}).status_code == 201
    patched = writer.patch(base, {"priority": "high"})
    assert patched.status_code == 200
    # the reply put the case in "waiting on customer": its SLA clock is paused
    assert patched.json()["status"] == "waiting_on_customer"
    assert patched.json()["waiting_since"] is not None
    resolved = writer.post(f"{base}/resolve", {"root_cause": str(root_cause(org).pk), "note": "x"})
    assert resolved.status_code == 200

    timeline = resolved.json()["timeline"]
    by_key = [e for e in timeline if e["api_key"] == str(keys.write_key.pk)]
    assert {e["kind"] for e in by_key} >= {
        "status_changed", "note", "reply_sent", "priority_changed", "root_cause_set",
    }  # fmt: skip
    assert all(e["actor"] is None and e["actor_label"] == "API key write" for e in by_key)
    assert timeline[0]["actor_label"] == "system"  # opened by the factory, not the key
    verbs = Activity.objects.filter(object_id=str(case.pk), actor_label="API key write")
    assert set(verbs.values_list("verb", flat=True)) >= {
        "case.status_changed", "case.note_added", "case.replied", "case.priority_changed",
    }  # fmt: skip
    page = personas.client_for(personas.agent).get(
        reverse("cases:detail", args=[org.slug, case.pk])
    )
    assert "API key write" in page.content.decode()


def test_change_priority_team_and_assignee(personas: Personas, writer: ApiClient) -> None:
    org = personas.org
    case = make_case(org)
    agent = personas.membership(personas.agent)
    case_assign(case=case, assignee=agent, actor=None)
    product = Team.objects.get(organization=org, slug="product")
    SlaPolicy.objects.create(
        organization=org,
        team=product,
        priority="urgent",
        first_response_hours=1,
        resolution_hours=4,
        business_hours_only=False,
    )
    out = writer.patch(f"/cases/{case.pk}", {"team": str(product.pk), "priority": "urgent"})
    assert out.status_code == 200, out.content
    body = out.json()
    assert body["team_name"] == "Product" and body["priority"] == "urgent"
    assert body["assignee"] == str(agent.pk)  # left out: kept
    case.refresh_from_db()
    assert case.first_response_due_at == case.sla_started_at + dt.timedelta(hours=1)  # type: ignore[operator]
    assert case.resolution_due_at == case.sla_started_at + dt.timedelta(hours=4)  # type: ignore[operator]

    unassigned = writer.patch(f"/cases/{case.pk}", {"assignee": None})
    assert unassigned.json()["assignee"] is None and unassigned.json()["team_name"] == "Product"
    moved = writer.post(f"/cases/{case.pk}/assign", {"team": None})
    assert moved.status_code == 200 and moved.json()["team"] is None


def test_bad_fields_are_problems_naming_the_field(
    personas: Personas, writer: ApiClient, reader: ApiClient
) -> None:
    case = make_case(personas.org)
    path = f"/cases/{case.pk}"
    bad = writer.patch(path, {"priority": "sky-high"})
    assert bad.status_code == 422
    assert bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "body.priority"
    null = writer.patch(path, {"priority": None})
    assert null.status_code == 400 and null.json()["field"] == "priority"
    unknown = writer.patch(path, {"colour": "red"})
    assert unknown.status_code == 422
    other_team = Team.objects.filter(organization=personas.other_org).first()
    assert other_team is not None
    assert writer.patch(path, {"team": str(other_team.pk)}).status_code == 404
    assert reader.patch(path, {"priority": "low"}).status_code == 403
    too_many = writer.post(f"{path}/tags", {"add": [f"t{n}" for n in range(21)]})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "body.add"
    case.refresh_from_db()
    assert case.priority == "normal" and case.tags == []


def test_add_and_remove_tags(personas: Personas, writer: ApiClient) -> None:
    case = make_case(personas.org, tags=["Billing"])
    path = f"/cases/{case.pk}/tags"
    added = writer.post(path, {"add": ["vip", "billing"]})
    assert added.status_code == 200 and added.json()["tags"] == ["Billing", "vip"]
    removed = writer.post(path, {"remove": ["BILLING", "never-there"]})
    assert removed.json()["tags"] == ["vip"]
    kinds = [e["kind"] for e in removed.json()["timeline"]]
    assert kinds[-2:] == ["tagged", "untagged"]
    assert removed.json()["timeline"][-1]["data"]["removed"] == ["Billing"]
    # nothing to change: nothing on the timeline
    again = writer.post(path, {"remove": ["billing"]})
    assert [e["kind"] for e in again.json()["timeline"]] == kinds


def test_other_orgs_key_cannot_change_a_case(personas: Personas, other_writer: ApiClient) -> None:
    case = make_case(personas.org)
    assert other_writer.patch(f"/cases/{case.pk}", {"priority": "low"}).status_code == 404
    assert other_writer.post(f"/cases/{case.pk}/tags", {"add": ["x"]}).status_code == 404
    case.refresh_from_db()
    assert case.priority == "normal" and case.tags == []
