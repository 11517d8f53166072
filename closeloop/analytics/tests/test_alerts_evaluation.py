"""The hourly alert check: a score drop beyond the margin, a count above its level, a silent
touchpoint; one alert per rule and period however often the job runs; nothing that would
reveal a group under the minimum size; every channel through the outbox."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.urls import reverse

from closeloop.analytics.alerts.evaluation import alert_rule_evaluate, alerts_evaluate
from closeloop.analytics.alerts.rules import RuleInput, alert_rule_create
from closeloop.analytics.models import AlertEvent
from closeloop.analytics.tests.alerts_factories import (
    count_rule,
    drop_rule,
    join,
    member,
    scores,
    smtp,
    survey_for,
    team,
)
from closeloop.analytics.tests.metrics_data import answer
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.distribution.tests.journey_factories import isolation_touchpoint
from closeloop.integrations.models import Delivery
from closeloop.integrations.outbox import deliveries_flush
from closeloop.integrations.tests.receiver import receiver
from conftest import Personas

pytestmark = pytest.mark.django_db
__all__ = ["smtp"]

# Wednesday noon in Seoul: the last full week is 3-9 March, the week before 24 Feb - 2 March.
NOW = dt.datetime(2025, 3, 12, 3, 0, tzinfo=dt.UTC)
THIS_WEEK, WEEK_BEFORE = "2025-03-05", "2025-02-26"


def test_a_drop_beyond_the_margin_alerts_once_in_each_members_language(
    personas: Personas, smtp: SmtpServer
) -> None:
    org = personas.org
    survey = survey_for(org)
    support = team(org)
    ko = member(org, "minji@acme.test", language="ko")
    th = member(org, "somchai@acme.test", language="th")
    join(support, ko, th)
    rule = drop_rule(
        org, survey, email_teams=[support], email_members=[personas.membership(personas.analyst)]
    )
    scores(survey, WEEK_BEFORE, [10] * 25 + [8] * 10 + [3] * 5)  # NPS 50, n = 40
    scores(survey, THIS_WEEK, [10] * 8 + [8] * 12 + [3] * 20)  # NPS -30, n = 40

    assert alerts_evaluate(now=NOW) == 1
    assert alerts_evaluate(now=NOW) == 0  # the hourly job again: same week, no second alert
    assert alerts_evaluate(now=NOW + dt.timedelta(days=2)) == 0

    [event] = AlertEvent.objects.filter(rule=rule)
    assert event.period_key == "week:2025-03-03"
    assert event.data["value"] == pytest.approx(-30.0)
    assert event.data["previous"] == pytest.approx(50.0)
    assert event.data["difference"] == pytest.approx(-80.0)
    # 1.96 * sqrt(SE1² + SE2²), SE1 = sqrt((0.7 - 0.3²) / 40), SE2 = sqrt((0.75 - 0.5²) / 40)
    assert event.data["margin"] == pytest.approx(32.65, abs=0.05) and event.data["exceeds_noise"]
    assert event.channels == [{"channel": "email", "to": 3}]

    assert deliveries_flush() == 3
    [korean] = smtp.sink.to("minji@acme.test")
    [thai] = smtp.sink.to("somchai@acme.test")
    [english] = smtp.sink.to("analyst@acme.test")
    assert korean["Content-Language"] == "ko" and thai["Content-Language"] == "th"
    assert "2025년 3월 3일" in korean.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "มีนาคม" in thai.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    text = english.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "NPS in the week of March 3, 2025: -30 (n = 40)" in text
    assert "Down 80 points, more than the margin of error (±32.7)" in text
    assert f"/o/{org.slug}/analytics/alerts/events/?rule={rule.pk}" in text
    assert 'lang="ko"' in korean.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert deliveries_flush() == 0


def test_a_drop_within_the_noise_does_not_alert(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    rule = drop_rule(org, survey)
    scores(survey, WEEK_BEFORE, [10, 10, 9, 8, 7, 6, 3, 10, 9, 5])
    scores(survey, THIS_WEEK, [10, 9, 8, 8, 7, 6, 3, 10, 9, 5])

    assert alerts_evaluate(now=NOW) == 0
    rule.refresh_from_db()
    assert rule.last_check["status"] == "quiet"
    assert rule.last_check["difference"] < 0 and not rule.last_check["exceeds_noise"]
    page = personas.client_for(personas.viewer).get(reverse("analytics:alerts", args=[org.slug]))
    assert "within the margin of error" in page.content.decode()


def test_the_minimum_drop_holds_back_small_significant_drops(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    rule = drop_rule(org, survey, min_drop=90)
    scores(survey, WEEK_BEFORE, [10] * 25 + [8] * 10 + [3] * 5)
    scores(survey, THIS_WEEK, [10] * 8 + [8] * 12 + [3] * 20)
    assert alerts_evaluate(now=NOW) == 0
    rule.refresh_from_db()
    assert rule.last_check["exceeds_noise"] and rule.last_check["status"] == "quiet"


def test_a_week_under_the_minimum_group_size_is_not_judged(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    rule = drop_rule(org, survey)
    scores(survey, WEEK_BEFORE, [10] * 30)
    scores(survey, THIS_WEEK, [0, 0, 0, 0])  # 4 responses: a hidden group

    assert alerts_evaluate(now=NOW) == 0
    rule.refresh_from_db()
    assert rule.last_check == {
        "metric": "nps",
        "week": "2025-03-03",
        "min_group_size": 5,
        "status": "too_few",
    }  # no value, no n: nothing of the small group is kept


def test_detractors_above_the_level_alert_once_per_day(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    rule = count_rule(org, level=5)
    morning = dt.datetime(2025, 3, 12, 1, 0, tzinfo=dt.UTC)  # 10:00 in Seoul
    for score in [2, 3, 4, 5, 6, 0, 10]:
        answer(survey, morning, rec=score)

    assert alerts_evaluate(now=NOW) == 1
    assert alerts_evaluate(now=NOW + dt.timedelta(hours=1)) == 0
    [event] = AlertEvent.objects.filter(rule=rule)
    assert event.data["count"] == 6 and event.data["n"] == 7 and event.data["level"] == 5
    # the day in Seoul: 00:00 to 24:00 local
    assert event.period_start == dt.datetime(2025, 3, 11, 15, 0, tzinfo=dt.UTC)
    assert event.period_end == dt.datetime(2025, 3, 12, 15, 0, tzinfo=dt.UTC)

    # the next day starts afresh
    next_day = dt.datetime(2025, 3, 13, 1, 0, tzinfo=dt.UTC)
    for score in [1, 1, 1, 1, 1, 1]:
        answer(survey, next_day, rec=score)
    assert alerts_evaluate(now=next_day + dt.timedelta(hours=1)) == 1
    assert AlertEvent.objects.filter(rule=rule).count() == 2


def test_a_count_among_too_few_responses_is_not_judged(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    rule = count_rule(org, level=2)
    for score in [0, 1, 2]:
        answer(survey, dt.datetime(2025, 3, 12, 1, 0, tzinfo=dt.UTC), rec=score)
    assert alerts_evaluate(now=NOW) == 0
    rule.refresh_from_db()
    assert rule.last_check["status"] == "too_few" and "count" not in rule.last_check
    # a count of responses reveals nobody's score: judged at any size
    responses = count_rule(org, level=2, count_of="responses", name="Busy")
    assert len(alert_rule_evaluate(rule=responses, now=NOW)) == 1


def test_a_silent_touchpoint_alerts_once_per_silence(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    touchpoint = isolation_touchpoint(org)
    rule = alert_rule_create(
        organization=org,
        data=RuleInput(name="Quiet shop", kind="silence", touchpoint=touchpoint, window_hours=72),
    )
    for days in range(4, 19):  # two responses a day from 18 to 4 days ago
        for hour in (2, 8):
            answer(
                survey,
                NOW - dt.timedelta(days=days, hours=hour),
                rec=9,
                touchpoint_id=touchpoint.pk,
            )

    assert alerts_evaluate(now=NOW) == 1
    assert alerts_evaluate(now=NOW + dt.timedelta(hours=5)) == 0  # the same silence
    [event] = AlertEvent.objects.filter(rule=rule)
    assert event.data["baseline"] == 30
    assert event.data["expected"] == pytest.approx(30 * 72 / (28 * 24), abs=0.01)
    assert event.data["silent_hours"] == 98
    page = personas.client_for(personas.viewer).get(
        reverse("analytics:alert_events", args=[org.slug])
    )
    assert "No responses for 98 hours" in page.content.decode()

    # a response ends the silence; the next silence is a new alert
    answer(survey, NOW + dt.timedelta(hours=6), rec=10, touchpoint_id=touchpoint.pk)
    assert alerts_evaluate(now=NOW + dt.timedelta(hours=7)) == 0
    assert alerts_evaluate(now=NOW + dt.timedelta(hours=6 + 73)) == 1


def test_a_touchpoint_that_is_usually_quiet_is_not_silent(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    touchpoint = isolation_touchpoint(org)
    rule = alert_rule_create(
        organization=org,
        data=RuleInput(name="Quiet shop", kind="silence", touchpoint=touchpoint, window_hours=24),
    )
    for days in (3, 10, 20):
        answer(survey, NOW - dt.timedelta(days=days), rec=9, touchpoint_id=touchpoint.pk)
    assert alerts_evaluate(now=NOW) == 0
    rule.refresh_from_db()
    assert rule.last_check["status"] == "usually_quiet"


def verify(secret: str, headers: dict[str, str], body: bytes) -> None:
    """Standard Webhooks verification, written independently of closeloop's signer."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert expected in headers["webhook-signature"].split(" ")


def test_slack_teams_and_a_signed_webhook_hear_of_the_alert(
    personas: Personas, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    org = personas.org
    survey = survey_for(org)
    with receiver() as server:
        rule = count_rule(
            org,
            level=0,
            slack_webhook_url=f"{server.url}/slack",
            teams_webhook_url=f"{server.url}/teams",
            webhook_url=f"{server.url}/hook",
        )
        secret = rule.revealed_secret  # type: ignore[attr-defined]
        assert secret.startswith("whsec_")
        for score in [1, 2, 3, 4, 5]:
            answer(survey, dt.datetime(2025, 3, 12, 1, 0, tzinfo=dt.UTC), rec=score)
        assert alerts_evaluate(now=NOW) == 1
        assert alerts_evaluate(now=NOW) == 0
        assert deliveries_flush() == 3
        by_path = {r.path: r for r in server.requests}
    assert set(by_path) == {"/slack", "/teams", "/hook"}
    slack = json.loads(by_path["/slack"].body)
    assert "5 detractors" in json.dumps(slack, ensure_ascii=False)
    hook = by_path["/hook"]
    verify(secret, hook.headers, hook.body)
    payload = json.loads(hook.body)
    assert payload["type"] == "analytics.alert"
    assert payload["data"]["figures"]["count"] == 5
    assert payload["data"]["rule"]["id"] == str(rule.pk)
    assert Delivery.objects.filter(organization=org).count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_hourly_check_without_repeating_an_alert(personas: Personas) -> None:
    from closeloop.analytics.alerts.tasks import alerts_evaluate_task
    from closeloop.core.worker import run_ready_tasks

    org = personas.org
    survey = survey_for(org)
    rule = count_rule(
        org, level=0, count_of="responses", email_members=[personas.membership(personas.owner)]
    )
    answer(survey, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1), rec=7)
    for _run in range(2):
        alerts_evaluate_task.enqueue()
        run_ready_tasks()
    assert AlertEvent.objects.filter(rule=rule).count() == 1
    assert Delivery.objects.filter(target="owner@acme.test").count() == 1


def test_the_hourly_job_is_registered(personas: Personas) -> None:
    from closeloop.analytics.alerts.tasks import alerts_evaluate_task, digests_send_task
    from closeloop.core.periodic import REGISTRY

    assert REGISTRY["analytics.alerts_evaluate"].task == alerts_evaluate_task
    assert REGISTRY["analytics.alerts_evaluate"].every == dt.timedelta(hours=1)
    assert REGISTRY["analytics.digests_send"].task == digests_send_task
