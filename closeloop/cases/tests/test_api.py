"""The cases API: list with filters and cursor pages, read with the timeline, open a case,
transitions (invalid ones are problem+json naming the allowed moves), assign, notes, replies,
resolve, root causes and loop metrics. Another organization's key gets 404."""

from __future__ import annotations

from closeloop.api.testing import ApiClient, make_keys
from closeloop.cases.models import Case, CaseReply
from closeloop.cases.tests.factories import customer_case, make_case, root_cause, support
from closeloop.contacts.tests.factories import make_contact
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
    assert len(listed.json()) == 8
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
