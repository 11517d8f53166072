"""GET /api/v1/metrics as an integration calls it, with a read key."""

from __future__ import annotations

import uuid

import pytest

from closeloop.accounts.models import Team
from closeloop.analytics.tests.metrics_data import answer, at, metrics_survey, nps_answers
from closeloop.api.testing import ApiClient
from closeloop.contacts.models import Contact, Segment
from closeloop.distribution.models import Touchpoint
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_nps_trend_by_week_with_margins_and_counts(personas: Personas, reader: ApiClient) -> None:
    survey = metrics_survey(personas.org)
    nps_answers(survey, "2026-03-03", [10, 10, 9, 9, 9, 8, 7, 6, 3, 0])
    nps_answers(survey, "2026-03-10", [10, 2])  # a week with too few answers
    nps_answers(survey, "2026-03-17", [10] * 8)
    reply = reader.get(
        "/metrics",
        {
            "metric": "nps",
            "survey": str(survey.pk),
            "from": "2026-03-02",
            "to": "2026-03-29",
            "group_by": "week",
        },
    )
    assert reply.status_code == 200, reply.content
    data = reply.json()
    assert data["metric"] == "nps" and data["basis"] == "response"
    assert data["basis_label"] == "Every response"
    assert data["source"] == "rollup" and data["unit"] == "points"
    assert data["min_group_size"] == 5 and data["questions"] == ["rec"]
    assert data["from"] == "2026-03-02" and data["to"] == "2026-03-29"
    weeks = ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
    assert [g["key"] for g in data["groups"]] == weeks
    first, second, third, fourth = data["groups"]
    assert first["label"] == "Week of 2026-03-02"
    assert first["value"] == pytest.approx(20.0)
    assert first["n"] == 10
    assert first["margin_of_error"] == pytest.approx(45.7114, abs=1e-3)
    assert first["counts"] == {"promoters": 5, "passives": 2, "detractors": 3}
    assert first["hidden"] is False
    assert [p["key"] for p in first["parts"]] == ["promoters", "passives", "detractors"]
    assert first["parts"][0]["share"] == 50.0 and first["parts"][0]["count"] == 5
    assert first["histogram"]["10"] == 2
    assert first["start"] == "2026-03-02"
    # 2 answers: hidden, counts, size and all
    assert second["hidden"] is True and second["n"] is None
    assert second["value"] is None and second["margin_of_error"] is None
    assert second["counts"] is None and second["parts"] is None
    # shown, total minus the other weeks would give the second week away: the next-smallest
    # week is hidden too
    assert third["hidden"] is True and third["n"] is None and third["value"] is None
    assert fourth["n"] == 0 and fourth["value"] is None and fourth["hidden"] is False
    assert data["total"]["n"] == 20
    assert data["total"]["value"] == pytest.approx(100 * (14 - 4) / 20)


def test_a_hidden_group_cannot_be_worked_out_from_the_total(
    personas: Personas, reader: ApiClient
) -> None:
    shops = [
        Touchpoint.objects.create(organization=personas.org, key=f"s{i}", name=f"Shop {i}")
        for i in range(3)
    ]
    survey = metrics_survey(personas.org)
    for shop, scores in zip(shops, ([10] * 20, [0] * 8, [9, 0, 0]), strict=True):
        for score in scores:
            answer(survey, at("2026-03-03"), rec=score, touchpoint_id=shop.pk)
    data = reader.get("/metrics", {"metric": "nps", "group_by": "touchpoint"}).json()
    groups = {g["label"]: g for g in data["groups"]}
    assert groups["Shop 0"]["value"] == 100.0
    assert groups["Shop 2"]["hidden"] and groups["Shop 2"]["counts"] is None
    # Shop 1 has enough answers, but total minus Shop 0 minus Shop 1 would give Shop 2 away
    assert groups["Shop 1"]["hidden"] and groups["Shop 1"]["value"] is None
    assert data["total"]["hidden"] is False and data["total"]["n"] == 31
    shown = [g for g in data["groups"] if not g["hidden"]]
    hidden = [g for g in data["groups"] if g["hidden"]]
    # what the total gives away is only the hidden groups' combined size, never one of them
    assert len(shown) == 1 and all(g["n"] is None for g in hidden)
    assert data["total"]["n"] - sum(g["n"] for g in shown) >= 5


def test_employee_surveys_always_hide_small_groups(personas: Personas, reader: ApiClient) -> None:
    pulse = metrics_survey(personas.org, name="Pulse", kind="employee")
    for team, scores in (("Baristas", [9, 9, 10, 10, 10, 6]), ("Roastery", [0, 3])):
        for score in scores:
            contact = Contact.objects.create(
                organization=personas.org, kind="employee", attributes={"dept": team}
            )
            answer(pulse, at("2026-03-03"), rec=score, contact_id=contact.pk)
    data = reader.get("/metrics", {"metric": "enps", "group_by": "attribute:dept"}).json()
    assert data["min_group_size"] == 5 and data["source"] == "raw"
    groups = {g["key"]: g for g in data["groups"]}
    assert groups["Roastery"]["hidden"] and groups["Baristas"]["hidden"]
    assert data["total"]["value"] == pytest.approx(100 * (5 - 3) / 8)


def test_compare_with_the_previous_period_in_words(personas: Personas, reader: ApiClient) -> None:
    survey = metrics_survey(personas.org)
    nps_answers(survey, "2026-02-10", [10] * 30 + [0] * 30 + [8] * 40)
    nps_answers(survey, "2026-03-10", [10] * 50 + [0] * 10 + [8] * 40)
    data = reader.get(
        "/metrics",
        {
            "metric": "nps",
            "from": "2026-03-01",
            "to": "2026-03-31",
            "group_by": "channel",
            "compare": "previous_period",
        },
    ).json()
    assert data["total"]["value"] == pytest.approx(40.0)
    assert data["previous"]["from"] == "2026-01-29" and data["previous"]["to"] == "2026-02-28"
    assert data["previous"]["total"]["value"] == pytest.approx(0.0)
    change = data["change"]
    assert change["difference"] == pytest.approx(40.0)
    assert change["exceeds_noise"] is True
    # SE now = sqrt((0.6 - 0.4^2) / 100) = 6.633, before sqrt(0.6 / 100) = 7.746 (points)
    # margin = 1.96 * sqrt(6.633^2 + 7.746^2) = 1.96 * sqrt(104) = 19.99
    assert change["margin_of_error"] == pytest.approx(19.988, abs=1e-3)
    assert change["sentence"] == "Up 40 points, more than the margin of error (±20)."
    assert data["groups"][0]["change"]["difference"] == pytest.approx(40.0)


def test_counts_of_each_metric(personas: Personas, reader: ApiClient) -> None:
    survey = metrics_survey(personas.org)
    for index in range(6):
        answer(
            survey,
            at("2026-03-03"),
            sat=5 if index < 4 else 2,
            easy=6,
            best="speed" if index < 5 else "price",
        )
    csat = reader.get("/metrics", {"metric": "csat"}).json()["total"]
    assert csat["counts"] == {"satisfied": 4, "other": 2}
    assert csat["value"] == pytest.approx(100 * 4 / 6)
    ces = reader.get("/metrics", {"metric": "ces"}).json()["total"]
    assert ces["value"] == 6.0 and ces["counts"] == {"easy": 6, "other": 0}
    choice = reader.get("/metrics", {"metric": "choice", "question": "best"}).json()["total"]
    assert choice["counts"] == {"speed": 5, "price": 1}
    assert {p["key"]: p["label"] for p in choice["parts"]} == {"speed": "Speed", "price": "Price"}


def test_filters_by_segment_and_attribute(personas: Personas, reader: ApiClient) -> None:
    survey = metrics_survey(personas.org)
    for index in range(10):
        contact = Contact.objects.create(
            organization=personas.org,
            email=f"c{index}@{'gold' if index < 5 else 'basic'}.test",
            attributes={"plan": "Gold" if index < 5 else "Basic"},
        )
        answer(survey, at("2026-03-03"), rec=10 if index < 5 else 0, contact_id=contact.pk)
    gold = reader.get("/metrics", {"metric": "nps", "attribute": "plan:gold"}).json()
    assert gold["total"]["value"] == 100.0 and gold["source"] == "raw"
    segment = Segment.objects.create(
        organization=personas.org,
        name="Basic",
        definition={"rules": [{"field": "email", "op": "contains", "value": "basic"}]},
    )
    basic = reader.get("/metrics", {"metric": "nps", "segment": str(segment.pk)}).json()
    assert basic["total"]["value"] == -100.0
    latest = reader.get("/metrics", {"metric": "nps", "basis": "latest"}).json()
    assert latest["basis_label"] == "Latest score per contact" and latest["total"]["n"] == 10


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"metric": "happiness"}, 422, "query.metric"),
        ({"metric": "nps", "from": "2026-02-30"}, 422, "query.from"),
        ({"metric": "nps", "group_by": "hour"}, 400, "group_by"),
        ({"metric": "nps", "attribute": "plan"}, 400, "attribute"),
        ({"metric": "nps", "basis": "median"}, 422, "query.basis"),
        ({"metric": "nps", "compare": "previous_period"}, 400, "from"),
        ({"metric": "nps", "from": "2026-03-02", "to": "2026-03-01"}, 400, "to"),
        ({"metric": "nps", "question": "nope", "survey": "{survey}"}, 400, "question"),
        ({"metric": "start_rate", "team": "{team}"}, 400, "team"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    personas: Personas, reader: ApiClient, params: dict[str, str], status: int, field: str
) -> None:
    survey = metrics_survey(personas.org)
    team = Team.objects.filter(organization=personas.org).first()
    assert team is not None
    filled = {k: v.format(survey=survey.pk, team=team.pk) for k, v in params.items()}
    reply = reader.get("/metrics", filled)
    assert reply.status_code == status, reply.content
    assert reply["Content-Type"].startswith("application/problem+json")
    assert reply.json()["field"] == field


def test_another_organizations_objects_are_not_found(
    personas: Personas, reader: ApiClient, other_writer: ApiClient
) -> None:
    foreign = metrics_survey(personas.other_org)
    foreign_segment = Segment.objects.create(organization=personas.other_org, name="X")
    foreign_place = Touchpoint.objects.create(organization=personas.other_org, key="x", name="X")
    for params in (
        {"survey": str(foreign.pk)},
        {"segment": str(foreign_segment.pk)},
        {"touchpoint": str(foreign_place.pk)},
        {"survey": str(uuid.uuid4())},
    ):
        reply = reader.get("/metrics", {"metric": "nps", **params})
        assert reply.status_code == 404, params
        assert reply.json()["type"] == "urn:closeloop:problem:not-found"
    own = other_writer.get("/metrics", {"metric": "nps", "survey": str(foreign.pk)})
    assert own.status_code == 200


def test_an_api_key_is_needed(anonymous_api: ApiClient) -> None:
    assert anonymous_api.get("/metrics", {"metric": "nps"}).status_code == 401
