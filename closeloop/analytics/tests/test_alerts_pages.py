"""The alerts pages: analysts add, change, pause, check and delete rules; everyone reads the
alerts with what triggered them; webhook URLs are checked and shown shortened."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from closeloop.analytics.alerts.evaluation import alerts_evaluate
from closeloop.analytics.models import AlertEvent, AlertRule
from closeloop.analytics.tests.alerts_factories import count_rule, survey_for, team
from closeloop.analytics.tests.metrics_data import answer
from closeloop.core.models import Activity
from conftest import Personas

pytestmark = pytest.mark.django_db


def url(personas: Personas, name: str, *args: Any) -> str:
    return reverse(f"analytics:{name}", args=[personas.org.slug, *args])


def rule_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Detractor spike",
        "kind": "count_above",
        "count_of": "detractors",
        "level": "3",
        "window_hours": "24",
        "min_drop": "0",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_an_analyst_adds_a_rule_and_a_viewer_only_reads(personas: Personas) -> None:
    org = personas.org
    support = team(org)
    analyst = personas.client_for(personas.analyst)
    form = analyst.get(url(personas, "alert_new"))
    assert form.status_code == 200 and "alert-rule-form" in form.content.decode()

    saved = analyst.post(
        url(personas, "alert_new"),
        rule_form(
            email_teams=[str(support.pk)],
            slack_webhook_url="https://hooks.slack.com/services/T0/B0/abcdefgh1234",
        ),
    )
    assert saved.status_code == 302
    rule = AlertRule.objects.get(organization=org, name="Detractor spike")
    assert rule.level == 3 and list(rule.email_teams.all()) == [support]
    assert Activity.objects.filter(verb="alert_rule.created", object_id=str(rule.pk)).exists()

    viewer = personas.client_for(personas.viewer)
    listing = viewer.get(url(personas, "alerts")).content.decode()
    assert "Detractor spike" in listing
    assert "More than 3 detractors in one day" in listing
    assert "Support" in listing and "Slack" in listing
    assert "abcdefgh1234" not in listing  # the webhook's token is never shown
    assert viewer.get(url(personas, "alert_new")).status_code == 403
    assert viewer.post(url(personas, "alert_new"), rule_form(name="Nope")).status_code == 403
    assert viewer.post(url(personas, "alert_toggle", rule.pk)).status_code == 403


def test_the_form_names_what_to_fix(personas: Personas) -> None:
    analyst = personas.client_for(personas.analyst)
    missing = analyst.post(url(personas, "alert_new"), rule_form(level=""))
    assert missing.status_code == 400
    assert "Give the level the count must go above." in missing.content.decode()
    private = analyst.post(
        url(personas, "alert_new"), rule_form(webhook_url="http://10.0.0.7/hook")
    )
    assert private.status_code == 400 and "not a public address" in private.content.decode()
    silence = analyst.post(url(personas, "alert_new"), rule_form(kind="silence"))
    assert "Choose the touchpoint to watch." in silence.content.decode()
    weekly = analyst.post(url(personas, "alert_new"), rule_form(window_hours="48"))
    assert "Count per 1, 6, 24 or 168 hours" in weekly.content.decode()
    assert not AlertRule.objects.exists()


def test_a_signed_webhook_secret_is_shown_once_and_kept(personas: Personas) -> None:
    analyst = personas.client_for(personas.analyst)
    page = analyst.post(
        url(personas, "alert_new"),
        rule_form(webhook_url="https://hooks.example.com/cx"),
        follow=True,
    )
    rule = AlertRule.objects.get()
    assert rule.webhook_secret.startswith("whsec_")
    assert rule.webhook_secret in page.content.decode()
    again = analyst.get(url(personas, "alerts")).content.decode()
    assert rule.webhook_secret not in again
    # saving the form as shown (shortened URL) keeps the URL and the secret
    edit = analyst.get(url(personas, "alert_edit", rule.pk)).context["form"]
    data = {k: v for k, v in edit.initial.items() if v not in (None, [])}
    data.update(level="4", is_active="on")
    assert analyst.post(url(personas, "alert_edit", rule.pk), data).status_code == 302
    kept = AlertRule.objects.get()
    assert kept.level == 4
    assert kept.webhook_url == "https://hooks.example.com/cx"
    assert kept.webhook_secret == rule.webhook_secret


def test_pause_check_now_and_delete(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    rule = count_rule(org, level=0, count_of="responses")
    analyst = personas.client_for(personas.analyst)

    assert analyst.post(url(personas, "alert_toggle", rule.pk)).status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    answer(survey, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), rec=3)
    assert alerts_evaluate() == 0  # paused rules are not checked
    assert "Paused" in analyst.get(url(personas, "alerts")).content.decode()

    analyst.post(url(personas, "alert_toggle", rule.pk))
    checked = analyst.post(url(personas, "alert_check", rule.pk), follow=True)
    assert "The rule fired" in checked.content.decode()
    assert AlertEvent.objects.filter(rule=rule).count() == 1
    analyst.post(url(personas, "alert_check", rule.pk))
    assert AlertEvent.objects.filter(rule=rule).count() == 1  # checked again: no second alert
    verbs = set(Activity.objects.filter(object_id=str(rule.pk)).values_list("verb", flat=True))
    assert {"alert_rule.paused", "alert_rule.resumed", "alert.triggered"} <= verbs

    assert (
        analyst.post(url(personas, "alert_edit", rule.pk), {"action": "delete"}).status_code == 302
    )
    assert not AlertRule.objects.exists() and not AlertEvent.objects.exists()


def test_the_alert_history_shows_what_triggered_each_alert(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    rule = count_rule(org, level=4)
    for score in [0, 1, 2, 3, 4, 5, 9]:
        answer(survey, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), rec=score)
    assert alerts_evaluate() == 1

    viewer = personas.client_for(personas.viewer)
    page = viewer.get(url(personas, "alert_events") + f"?rule={rule.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    assert "6 detractors: Detractors today" in body
    assert "Out of 7 scored responses." in body
    assert "the level is 4" in body
    other = count_rule(personas.other_org, name="Theirs")
    assert viewer.get(url(personas, "alert_events") + f"?rule={other.pk}").status_code == 404
