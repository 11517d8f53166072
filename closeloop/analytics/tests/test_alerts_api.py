"""The alerts API: rules added, read, changed, paused and deleted with a write key; alerts
listed with the figures and sentence behind them; another organization's rules are 404."""

from __future__ import annotations

import datetime as dt

import pytest

from closeloop.analytics.alerts.evaluation import alerts_evaluate
from closeloop.analytics.models import AlertRule
from closeloop.analytics.tests.alerts_factories import count_rule, survey_for, team
from closeloop.analytics.tests.metrics_data import answer
from closeloop.api.testing import ApiClient
from closeloop.core.models import Activity
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_a_rule_through_the_api(personas: Personas, writer: ApiClient, reader: ApiClient) -> None:
    org = personas.org
    survey = survey_for(org)
    support = team(org)
    created = writer.post(
        "/alert-rules",
        {
            "name": "NPS drop on visits",
            "kind": "score_drop",
            "metric": "nps",
            "survey": str(survey.pk),
            "email_teams": [str(support.pk)],
            "webhook_url": "https://hooks.example.com/alerts/abcd",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "score_drop" and body["survey"] == str(survey.pk)
    assert body["email_teams"] == [str(support.pk)]
    assert body["webhook_url"] == "https://hooks.example.com/…abcd"
    secret = body["webhook_secret"]
    assert secret.startswith("whsec_")
    assert "NPS falls week over week by more than the margin of error" in body["summary"]
    rule_id = body["id"]
    assert Activity.objects.filter(
        verb="alert_rule.created", actor_label__startswith="API key"
    ).exists()

    read = reader.get(f"/alert-rules/{rule_id}").json()
    assert read["webhook_secret"] is None and read["webhook_url"] == body["webhook_url"]
    listed = reader.get("/alert-rules").json()
    assert [r["id"] for r in listed["items"]] == [rule_id]

    paused = writer.patch(
        f"/alert-rules/{rule_id}", {"is_active": False, "webhook_url": read["webhook_url"]}
    )
    assert paused.status_code == 200 and paused.json()["is_active"] is False
    kept = AlertRule.objects.get(pk=rule_id)
    assert (
        kept.webhook_url == "https://hooks.example.com/alerts/abcd"
        and kept.webhook_secret == secret
    )

    assert reader.patch(f"/alert-rules/{rule_id}", {"is_active": True}).status_code == 403
    assert writer.delete(f"/alert-rules/{rule_id}").status_code == 204
    assert not AlertRule.objects.exists()


def test_bad_rules_are_problems_naming_the_field(personas: Personas, writer: ApiClient) -> None:
    bad = writer.post(
        "/alert-rules", {"name": "Spike", "kind": "count_above", "count_of": "detractors"}
    )
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["field"] == "level"
    private = writer.post(
        "/alert-rules",
        {"name": "x", "kind": "count_above", "count_of": "responses", "level": 1,
         "slack_webhook_url": "http://127.0.0.1/hook"},
    )  # fmt: skip
    assert private.status_code == 400 and private.json()["field"] == "slack_webhook_url"
    other = count_rule(personas.other_org)
    theirs = writer.post(
        "/alert-rules",
        {
            "name": "x",
            "kind": "score_drop",
            "metric": "nps",
            "survey": str(survey_for(personas.other_org).pk),
        },
    )
    assert theirs.status_code == 404 and theirs.json()["field"] == "survey"
    assert writer.get(f"/alert-rules/{other.pk}").status_code == 404


def test_alerts_are_listed_with_their_figures(
    personas: Personas, reader: ApiClient, other_writer: ApiClient
) -> None:
    org = personas.org
    survey = survey_for(org)
    rule = count_rule(org, level=4)
    for score in [0, 1, 2, 3, 4, 5, 9]:
        answer(survey, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), rec=score)
    alerts_evaluate()
    page = reader.get("/alert-events", {"rule": str(rule.pk)})
    assert page.status_code == 200
    [event] = page.json()["items"]
    assert event["rule"] == str(rule.pk) and event["kind"] == "count_above"
    assert event["figures"]["count"] == 6 and event["figures"]["n"] == 7
    assert event["title"] == "6 detractors: Detractors today"
    assert "the level is 4" in event["sentence"]
    assert event["channels"] == [{"channel": "email", "to": 0}]
    assert other_writer.get("/alert-events").json()["items"] == []
    assert other_writer.get("/alert-events", {"rule": str(rule.pk)}).status_code == 404
