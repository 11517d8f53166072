"""The demo's automation: default and example rules, run logs, and a second run adds nothing."""

from __future__ import annotations

import pytest

from closeloop.automation.models import ResponseTag, Rule, RuleRun, TeamFeedback
from closeloop.demo.seed import SEOUL_SLUG, seed_demo

pytestmark = pytest.mark.django_db


def test_demo_rules_and_run_log() -> None:
    seed_demo()
    rules = Rule.objects.filter(organization__slug=SEOUL_SLUG)
    names = set(rules.values_list("name", flat=True))
    assert "Detractors open a Support case" in names
    assert "Promoters → Marketing inbox" in names
    assert "Everyone who completes a survey is offered a review" in names
    assert "Korean-speaking detractor → notify Client success lead by email" in names
    assert not rules.get(name="Detractors → #cx-alerts on Slack").is_active
    runs = RuleRun.objects.filter(organization__slug=SEOUL_SLUG)
    assert runs.filter(matched=True).exists() and runs.filter(matched=False).exists()
    assert TeamFeedback.objects.filter(team__slug="marketing").exists()
    counts = (Rule.objects.count(), RuleRun.objects.count(), ResponseTag.objects.count())
    seed_demo()
    assert (Rule.objects.count(), RuleRun.objects.count(), ResponseTag.objects.count()) == counts
