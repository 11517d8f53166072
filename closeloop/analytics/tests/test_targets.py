"""Targets and industry benchmarks: kept through the page and the API, drawn as reference lines
(`targets_for`) and shown as gaps on metric cards ("4 points below target")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse

from closeloop.analytics.alerts.targets import gap_sentence, target_create, target_gaps, targets_for
from closeloop.analytics.models import MetricTarget
from closeloop.analytics.tests.alerts_factories import survey_for
from closeloop.api.testing import ApiClient
from closeloop.core.models import Activity
from conftest import Personas

pytestmark = pytest.mark.django_db


def target(personas: Personas, **data: Any) -> MetricTarget:
    return target_create(organization=personas.org, data=data)


def test_an_analyst_keeps_targets_on_the_page(personas: Personas) -> None:
    page_url = reverse("analytics:targets", args=[personas.org.slug])
    analyst = personas.client_for(personas.analyst)
    added = analyst.post(
        page_url, {"kind": "target", "metric": "nps", "value": "40", "label": "2025"}
    )
    assert added.status_code == 302
    refused = analyst.post(page_url, {"kind": "benchmark", "metric": "nps", "value": "32"})
    assert refused.status_code == 400
    assert "Say where the benchmark comes from" in refused.content.decode()
    off_scale = analyst.post(page_url, {"kind": "target", "metric": "csat", "value": "140"})
    assert "from 0 to 100" in off_scale.content.decode()
    analyst.post(
        page_url,
        {"kind": "benchmark", "metric": "nps", "value": "32", "source": "Coffee study 2024",
         "source_url": "https://example.org/study"},
    )  # fmt: skip
    listing = personas.client_for(personas.viewer).get(page_url).content.decode()
    assert "Coffee study 2024" in listing and 'href="https://example.org/study"' in listing
    assert "target-form" not in personas.client_for(personas.viewer).get(page_url).content.decode()
    assert (
        personas.client_for(personas.viewer).post(page_url, {"kind": "target"}).status_code == 403
    )

    goal = MetricTarget.objects.get(kind="target")
    edit_url = reverse("analytics:target_edit", args=[personas.org.slug, goal.pk])
    form = analyst.get(edit_url)
    assert form.context["form"].initial["value"] == 40
    analyst.post(edit_url, {"kind": "target", "metric": "nps", "value": "45"})
    goal.refresh_from_db()
    assert goal.value == 45
    analyst.post(edit_url, {"action": "delete"})
    assert not MetricTarget.objects.filter(pk=goal.pk).exists()
    verbs = set(Activity.objects.filter(object_id=str(goal.pk)).values_list("verb", flat=True))
    assert verbs == {"metric_target.created", "metric_target.updated", "metric_target.deleted"}


def test_reference_lines_pick_the_survey_and_the_period(personas: Personas) -> None:
    org = personas.org
    survey, other = survey_for(org), survey_for(org, name="Other")
    everywhere = target(personas, metric="nps", value=30)
    on_survey = target(personas, metric="nps", value=50, survey=survey)
    target(personas, metric="nps", value=70, survey=other)
    target(personas, metric="nps", value=10, valid_to=dt.date(2024, 12, 31))
    bench = target(personas, kind="benchmark", metric="nps", value=32, source="Study")
    target(personas, metric="csat", value=85)

    lines = targets_for(org, "nps", survey=survey, date_from=dt.date(2025, 1, 1))
    assert [line.id for line in lines] == [on_survey.pk, everywhere.pk, bench.pk]
    assert lines[0].label == "Target 50" and lines[2].is_benchmark
    assert lines[2].as_dict()["source"] == "Study"
    assert [line.value for line in targets_for(org, "nps")] == [30, 10, 32]
    assert targets_for(personas.other_org, "nps") == []


def test_gaps_in_plain_words(personas: Personas) -> None:
    assert gap_sentence("nps", -4, "target") == ("4 points below target", False)
    assert gap_sentence("nps", 1, "target")[0] == "1 point above target"
    assert gap_sentence("csat", -2.5, "benchmark", 6)[0] == (
        "2.5 points below the industry benchmark, within the margin of error (±6)"
    )
    assert gap_sentence("ces", 0.25, "target")[0] == "0.25 above target"
    assert gap_sentence("nps", 0.01, "target")[0] == "On target"

    target(personas, metric="nps", value=40)
    target(personas, kind="benchmark", metric="nps", value=30, source="Study")
    gaps = target_gaps(personas.org, "nps", 36.0, margin=3.0)
    assert [g.sentence for g in gaps] == [
        "4 points below target",
        "6 points above the industry benchmark",
    ]
    assert target_gaps(personas.org, "nps", None) == []  # a hidden figure has no gap


def test_the_template_tag_for_metric_cards(personas: Personas) -> None:
    target(personas, metric="nps", value=40)
    html = Template(
        "{% load analytics_targets %}{% target_gaps 'nps' value margin as gaps %}"
        "{% for g in gaps %}[{{ g.sentence }}]{% endfor %}"
        "{% reference_lines 'nps' as lines %}{% for l in lines %}<{{ l.value }}>{% endfor %}"
    ).render(Context({"current_org": personas.org, "value": 44.0, "margin": 10.0}))
    assert html == "[4 points above target, within the margin of error (±10)]<40.0>"


def test_targets_through_the_api(
    personas: Personas, writer: ApiClient, reader: ApiClient, other_writer: ApiClient
) -> None:
    survey = survey_for(personas.org)
    created = writer.post(
        "/targets",
        {"kind": "benchmark", "metric": "nps", "value": 32, "source": "Coffee study 2024",
         "source_url": "https://example.org/study", "survey": str(survey.pk),
         "valid_from": "2025-01-01"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    target_id = created.json()["id"]
    assert created.json()["survey"] == str(survey.pk)
    assert reader.get("/targets").json()["items"][0]["source"] == "Coffee study 2024"
    changed = writer.patch(f"/targets/{target_id}", {"value": 35})
    assert changed.status_code == 200 and changed.json()["value"] == 35
    assert writer.patch(f"/targets/{target_id}", {"source": ""}).json()["field"] == "source"
    lines = reader.get("/reference-lines", {"metric": "nps", "survey": str(survey.pk)}).json()
    assert [(line["value"], line["kind"]) for line in lines] == [(35, "benchmark")]
    assert reader.get("/reference-lines", {"metric": "nps"}).json() == []
    assert reader.post("/targets", {"metric": "nps", "value": 1}).status_code == 403
    assert other_writer.get(f"/targets/{target_id}").status_code == 404
    assert other_writer.delete(f"/targets/{target_id}").status_code == 404
    assert writer.delete(f"/targets/{target_id}").status_code == 204
