"""The events log, the trigger rule builder and the frequency settings pages."""

from __future__ import annotations

import pytest

from closeloop.distribution.events_services import event_ingest, trigger_rule_create
from closeloop.distribution.models import FrequencyPolicy, TriggerRule
from closeloop.responses.testing import five_question_definition, publish_survey
from closeloop.surveys.models import Survey
from conftest import Personas


@pytest.fixture
def survey(personas: Personas) -> Survey:
    return publish_survey(personas.org, five_question_definition(), name="Delivery NPS")


def _events(personas: Personas, survey: Survey) -> None:
    trigger_rule_create(
        organization=personas.org,
        actor=None,
        data={
            "name": "Big deliveries",
            "event_type": "delivery",
            "survey": survey,
            "delay_minutes": 1440,
            "conditions": [{"field": "properties.total", "op": "gte", "value": 30000}],
        },
    )
    org = personas.org
    event_ingest(organization=org, contact={"email": "a@example.com"}, event_type="delivery",
                 properties={"total": 45000, "order": "D-1"})  # fmt: skip
    event_ingest(organization=org, contact={"email": "b@example.com"}, event_type="delivery",
                 properties={"total": 9000})  # fmt: skip
    event_ingest(organization=org, contact={"external_id": "c-3"}, event_type="signup")


def test_events_log_shows_what_each_event_did_and_filters(
    personas: Personas, survey: Survey
) -> None:
    _events(personas, survey)
    client = personas.client_for(personas.viewer)
    url = f"/o/{personas.org.slug}/events/"
    html = client.get(url).content.decode()
    assert "3 events" in html
    assert "Invitation scheduled for" in html
    assert "Conditions not met: properties.total at least 30000 (was 9000)" in html
    assert "No trigger rule listens for “signup”" in html
    assert "total=45000" in html
    triggered = client.get(url, {"outcome": "triggered"}).content.decode()
    assert "1 event" in triggered and "a@example.com" in triggered
    signups = client.get(url, {"type": "signup"}).content.decode()
    assert "1 event" in signups and "c-3" in signups
    by_contact = client.get(url, {"contact": "b@example.com"}).content.decode()
    assert "1 event" in by_contact and "(was 9000)" in by_contact
    event = personas.org and survey.triggers.get().invitations.get().event
    assert event is not None
    detail = client.get(f"{url}{event.pk}/")
    assert detail.status_code == 200
    assert "&quot;order&quot;: &quot;D-1&quot;" in detail.content.decode()


def test_events_log_paginates(personas: Personas) -> None:
    for n in range(55):
        event_ingest(organization=personas.org, contact={"email": f"p{n}@example.com"},
                     event_type="visit")  # fmt: skip
    client = personas.client_for(personas.viewer)
    first = client.get(f"/o/{personas.org.slug}/events/").content.decode()
    assert "Page 1 of 2" in first
    second = client.get(f"/o/{personas.org.slug}/events/", {"page": 2}).content.decode()
    assert "Page 2 of 2" in second


def test_rule_builder_creates_and_edits_a_rule(personas: Personas, survey: Survey) -> None:
    event_ingest(organization=personas.org, contact={"email": "a@example.com"},
                 event_type="purchase", properties={"total": 1})  # fmt: skip
    client = personas.client_for(personas.analyst)
    base = f"/o/{personas.org.slug}/events/rules/"
    form = client.get(f"{base}new/").content.decode()
    assert '<option value="purchase">' in form  # the datalist of types seen
    assert '<option value="properties.total">' in form
    assert "Delivery NPS" in form
    response = client.post(
        f"{base}new/",
        {
            "name": "Purchase CSAT",
            "event_type": "purchase",
            "match": "all",
            "cond-0-field": "properties.total",
            "cond-0-op": "in",
            "cond-0-value": "1, 2, 3",
            "cond-1-field": "attribute.plan",
            "cond-1-op": "exists",
            "delay_value": "2",
            "delay_unit": "days",
            "sample_percent": "50",
            "channel": "email",
            "survey": str(survey.pk),
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    rule = TriggerRule.objects.get(organization=personas.org)
    assert rule.delay_minutes == 2880
    assert rule.sample_percent == 50
    assert rule.conditions["rules"][0] == {
        "field": "properties.total", "op": "in", "value": ["1", "2", "3"]
    }  # fmt: skip
    listing = client.get(base).content.decode()
    assert "Purchase CSAT" in listing and "2 days" in listing and "50%" in listing
    edit = client.get(f"{base}{rule.pk}/").content.decode()
    assert 'value="1, 2, 3"' in edit
    bad = client.post(
        f"{base}{rule.pk}/",
        {"name": "Purchase CSAT", "event_type": "purchase", "match": "all",
         "cond-0-field": "total", "cond-0-op": "eq", "cond-0-value": "1",
         "delay_value": "1", "delay_unit": "hours", "sample_percent": "100",
         "channel": "widget", "survey": str(survey.pk)},
    )  # fmt: skip
    assert bad.status_code == 200
    assert "conditions.rules[0].field" in bad.content.decode()
    ok = client.post(
        f"{base}{rule.pk}/",
        {"name": "Purchase CSAT", "event_type": "purchase", "match": "any",
         "delay_value": "1", "delay_unit": "hours", "sample_percent": "100",
         "channel": "widget", "survey": str(survey.pk)},
    )  # fmt: skip
    assert ok.status_code == 302
    rule.refresh_from_db()
    assert (rule.delay_minutes, rule.channel, rule.is_active) == (60, "widget", False)
    assert rule.conditions == {"match": "any", "rules": []}
    assert client.post(f"{base}{rule.pk}/delete/").status_code == 302
    assert not TriggerRule.objects.exists()


def test_viewer_sees_rules_but_cannot_change_them(personas: Personas, survey: Survey) -> None:
    client = personas.client_for(personas.viewer)
    base = f"/o/{personas.org.slug}/events/rules/"
    assert client.get(base).status_code == 200
    assert client.post(f"{base}new/", {"name": "x"}).status_code == 403


def test_frequency_settings_page(personas: Personas, survey: Survey) -> None:
    client = personas.client_for(personas.admin)
    url = f"/o/{personas.org.slug}/events/frequency/"
    page = client.get(url).content.decode()
    assert 'name="min_days_between" value="30"' in page
    assert 'name="quiet_hours_start"' in page
    form = {
        "min_days_between": "10",
        "max_per_month": "3",
        "skip_if_completed_within_days": "60",
        "skip_if_declined_within_days": "",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
    }
    saved = client.post(url, form)
    assert saved.status_code == 302
    policy = FrequencyPolicy.objects.get(organization=personas.org, survey=None)
    assert (policy.min_days_between, policy.max_per_month) == (10, 3)
    assert policy.skip_if_declined_within_days is None
    assert str(policy.quiet_hours_start) == "22:00:00"
    bad = client.post(url, {"min_days_between": "-1"})
    assert bad.status_code == 200 and 'class="error"' in bad.content.decode()

    choose = client.get(f"{url}survey/", {"survey": str(survey.pk)})
    assert choose["Location"].endswith(f"/events/frequency/{survey.pk}/")
    own = client.get(choose["Location"]).content.decode()
    assert "follows the organization" in own and 'value="10"' in own
    client.post(choose["Location"], {"min_days_between": "0"})
    override = FrequencyPolicy.objects.get(survey=survey)
    assert override.min_days_between == 0
    assert "Delivery NPS" in client.get(url).content.decode()
    client.post(f"{url}{survey.pk}/remove/")
    assert not FrequencyPolicy.objects.filter(survey=survey).exists()
