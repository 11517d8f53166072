"""The case settings API as an integrator uses it: SLA policies, business hours, holidays, reply
templates and root causes. Lists page with a cursor, read keys only read, refusals are
problem+json naming the field, another organization's ids are 404, and every change is on the
audit log as done by the API key."""

from __future__ import annotations

import datetime as dt

from closeloop.accounts.models import Team
from closeloop.api.testing import ApiClient
from closeloop.cases.models import BusinessHours, Holiday, ReplyTemplate, RootCause, SlaPolicy
from closeloop.cases.tests.factories import make_case, support
from closeloop.core.models import Activity
from conftest import Personas

PROBLEM = "application/problem+json"


def _problem(response: object, status: int, field: str) -> None:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith(PROBLEM)  # type: ignore[index]
    assert response.json()["field"] == field, response.json()  # type: ignore[attr-defined]


def test_sla_policies(personas: Personas, reader: ApiClient, writer: ApiClient) -> None:
    org = personas.org
    listed = reader.get("/sla-policies")
    assert listed.status_code == 200
    # the defaults: the Support SLA and the Default SLA (every team), 24 h / 72 h
    defaults = {(p["team_name"], p["priority"]) for p in listed.json()["items"]}
    assert defaults == {("Support", None), (None, None)}
    assert listed.json()["items"][0]["first_response_hours"] == 24.0

    body = {"team": str(support(org).pk), "priority": "urgent", "first_response_hours": 1,
            "resolution_hours": 8, "name": "Urgent support"}  # fmt: skip
    created = writer.post("/sla-policies", body)
    assert created.status_code == 201, created.content
    policy = created.json()
    assert (policy["team"], policy["priority"], policy["resolution_hours"]) == (
        str(support(org).pk), "urgent", 8.0,
    )  # fmt: skip
    assert policy["escalate_to_lead"] and policy["business_hours_only"]
    _problem(writer.post("/sla-policies", body), 409, "priority")
    _problem(writer.post("/sla-policies", {**body, "priority": "high", "resolution_hours": 0.5}),
             400, "resolution_hours")  # fmt: skip
    _problem(writer.post("/sla-policies", {**body, "first_response_hours": 0}), 422,
             "body.first_response_hours")  # fmt: skip
    other_team = Team.objects.filter(organization=personas.other_org).first()
    _problem(writer.post("/sla-policies", {**body, "team": str(other_team.pk)}), 404, "team")
    assert reader.post("/sla-policies", {**body, "priority": "low"}).status_code == 403

    url = f"/sla-policies/{policy['id']}"
    assert reader.get(url).json()["name"] == "Urgent support"
    patched = writer.patch(url, {"resolution_hours": 12, "raise_priority": False, "team": None})
    assert patched.status_code == 200, patched.content
    assert (patched.json()["resolution_hours"], patched.json()["raise_priority"]) == (12.0, False)
    assert patched.json()["team"] is None and patched.json()["first_response_hours"] == 1.0
    _problem(writer.patch(url, {"first_response_hours": None}), 400, "first_response_hours")
    assert reader.patch(url, {"name": "x"}).status_code == 403

    # a new urgent case without a team now takes the edited policy (every team, urgent)
    case = make_case(org, team=None, priority="urgent")
    assert case.sla_policy_id is not None and str(case.sla_policy_id) == policy["id"]

    assert reader.delete(url).status_code == 403
    assert writer.delete(url).status_code == 204
    assert not SlaPolicy.objects.filter(pk=policy["id"]).exists()
    assert writer.get(url).status_code == 404
    verbs = set(Activity.objects.filter(organization=org).values_list("verb", "actor_label"))
    assert ("sla_policy.created", "API key write") in verbs
    assert ("sla_policy.deleted", "API key write") in verbs


def test_other_organizations_settings_are_404(
    personas: Personas, other_writer: ApiClient, writer: ApiClient
) -> None:
    org = personas.org
    policy = SlaPolicy.objects.create(
        organization=org, team=support(org), priority="low", first_response_hours=2,
        resolution_hours=9,
    )  # fmt: skip
    holiday = Holiday.objects.create(organization=org, date=dt.date(2030, 1, 1), name="New year")
    template = ReplyTemplate.objects.create(
        organization=org, name="Hi", texts={"en": {"subject": "", "body": "Hello"}}
    )
    cause = RootCause.objects.create(organization=org, name="Moths")
    for path in (f"/sla-policies/{policy.pk}", f"/holidays/{holiday.pk}",
                 f"/reply-templates/{template.pk}", f"/root-causes/{cause.pk}"):  # fmt: skip
        assert writer.get(path).status_code == 200
        assert other_writer.get(path).status_code == 404
        assert other_writer.patch(path, {"name": "Mine now"}).status_code in (404, 405)
        assert other_writer.delete(path).status_code == 404
    assert other_writer.get("/holidays").json()["items"] == []
    assert other_writer.get("/reply-templates").json()["items"] == []
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert Holiday.objects.filter(pk=holiday.pk).exists()
    assert ReplyTemplate.objects.get(pk=template.pk).name == "Hi"
    assert RootCause.objects.get(pk=cause.pk).name == "Moths"


def test_business_hours(personas: Personas, reader: ApiClient, writer: ApiClient) -> None:
    org = personas.org
    hours = reader.get("/business-hours").json()
    assert hours["time_zone"] == org.time_zone
    assert [d["weekday"] for d in hours["days"]] == [0, 1, 2, 3, 4]
    assert hours["days"][0]["opens"] == "09:00:00" and hours["days"][0]["closes"] == "18:00:00"

    week = [{"weekday": d, "opens": "10:00", "closes": "19:30"} for d in range(6)]
    replaced = writer.put("/business-hours", {"days": week})
    assert replaced.status_code == 200, replaced.content
    assert [d["weekday"] for d in replaced.json()["days"]] == list(range(6))
    assert BusinessHours.objects.get(organization=org, weekday=5).end == dt.time(19, 30)

    bad = [{"weekday": 2, "opens": "18:00", "closes": "09:00"}]
    _problem(writer.put("/business-hours", {"days": bad}), 400, "days.0.closes")
    twice = [{"weekday": 1, "opens": "09:00", "closes": "12:00"}] * 2
    _problem(writer.put("/business-hours", {"days": twice}), 400, "days.1.weekday")
    _problem(writer.put("/business-hours", {"days": [{"weekday": 7, "opens": "09:00",
             "closes": "12:00"}]}), 422, "body.days.0.weekday")  # fmt: skip
    assert reader.put("/business-hours", {"days": week}).status_code == 403
    assert BusinessHours.objects.filter(organization=org).count() == 6  # nothing lost


def test_holidays(personas: Personas, reader: ApiClient, writer: ApiClient) -> None:
    created = writer.post("/holidays", {"date": "2026-09-25", "name": "추석"})
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "추석"
    _problem(writer.post("/holidays", {"date": "2026-09-25", "name": "Again"}), 409, "date")
    _problem(writer.post("/holidays", {"date": "2026-09-26", "name": " "}), 422, "body.name")
    for day in range(27, 30):
        writer.post("/holidays", {"date": f"2026-09-{day}", "name": "Chuseok"})
    first = reader.get("/holidays", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = reader.get("/holidays", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [h["date"] for h in first["items"] + rest["items"]] == [
        "2026-09-25", "2026-09-27", "2026-09-28", "2026-09-29",
    ]  # fmt: skip
    _problem(reader.get("/holidays", {"cursor": "nonsense"}), 400, "cursor")
    url = f"/holidays/{created.json()['id']}"
    assert reader.delete(url).status_code == 403
    assert writer.delete(url).status_code == 204
    assert Holiday.objects.filter(organization=personas.org).count() == 3


def test_reply_templates(personas: Personas, reader: ApiClient, writer: ApiClient) -> None:
    texts = {"en": {"subject": "Sorry", "body": "Hi {{contact.first_name}}"},
             "th": {"subject": "ขออภัย", "body": "สวัสดีค่ะ"}}  # fmt: skip
    created = writer.post("/reply-templates", {"name": "Apology", "texts": texts})
    assert created.status_code == 201, created.content
    template = created.json()
    assert set(template["texts"]) == {"en", "th"} and template["is_active"]
    _problem(writer.post("/reply-templates", {"name": "apology", "texts": texts}), 409, "name")
    _problem(writer.post("/reply-templates", {"name": "Empty", "texts": {}}), 400, "texts")
    no_body = {"name": "No body", "texts": {"ko": {"subject": "x"}}}
    _problem(writer.post("/reply-templates", no_body), 400, "texts.ko.body")
    french = {"name": "French", "texts": {"fr": {"body": "x"}}}
    _problem(writer.post("/reply-templates", french), 400, "texts.fr")

    url = f"/reply-templates/{template['id']}"
    patched = writer.patch(url, {"is_active": False})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert set(patched.json()["texts"]) == {"en", "th"}  # left out: kept
    assert reader.get("/reply-templates", {"active": "true"}).json()["items"] == []
    assert len(reader.get("/reply-templates").json()["items"]) == 1
    renamed = writer.patch(url, {"name": "Apology (short)", "texts": {"en": {"body": "Sorry!"}}})
    assert renamed.json()["name"] == "Apology (short)" and set(renamed.json()["texts"]) == {"en"}
    assert reader.patch(url, {"name": "x"}).status_code == 403
    assert writer.delete(url).status_code == 204
    assert not ReplyTemplate.objects.filter(organization=personas.org).exists()


def test_root_causes(personas: Personas, reader: ApiClient, writer: ApiClient) -> None:
    org = personas.org
    created = writer.post("/root-causes", {"name": "Moths in the beans"}).json()
    url = f"/root-causes/{created['id']}"
    assert reader.get(url).json()["name"] == "Moths in the beans"
    patched = writer.patch(url, {"description": "Storage", "is_active": False})
    assert patched.status_code == 200, patched.content
    assert patched.json() | {"id": None} == {
        "id": None, "name": "Moths in the beans", "description": "Storage", "is_active": False,
    }  # fmt: skip
    _problem(writer.patch(url, {"name": "billing error"}), 409, "name")
    # a root cause used on a case can only be retired
    used = RootCause.objects.get(pk=created["id"])
    case = make_case(org)
    type(case).objects.filter(pk=case.pk).update(root_cause=used)
    _problem(writer.delete(url), 409, "name")
    type(case).objects.filter(pk=case.pk).update(root_cause=None)
    assert reader.delete(url).status_code == 403
    assert writer.delete(url).status_code == 204
    assert not RootCause.objects.filter(pk=created["id"]).exists()


def test_team_inbox_tags(
    personas: Personas, reader: ApiClient, writer: ApiClient, other_writer: ApiClient
) -> None:
    team = support(personas.org)
    url = f"/teams/{team.pk}/inbox-tags"
    saved = writer.put(url, {"tags": ["Refund", " refund ", "late-delivery"]})
    assert saved.status_code == 200, saved.content
    assert saved.json()["tags"] == ["refund", "late-delivery"]
    listed = {t["name"]: t for t in reader.get("/teams").json()["items"]}
    assert listed["Support"]["inbox_tags"] == ["refund", "late-delivery"]
    assert reader.put(url, {"tags": []}).status_code == 403
    _problem(writer.put(url, {"tags": [f"t{i}" for i in range(201)]}), 422, "body.tags")
    assert other_writer.put(url, {"tags": ["x"]}).status_code == 404
    assert Activity.objects.filter(
        verb="team.inbox_tags_updated", actor_label__startswith="API key"
    ).exists()
