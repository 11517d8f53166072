"""The demo's impact step: the earliest shipped initiative gets a real, visible effect (NPS
around 5 before, around 30 after, beyond the margin; its theme's share of comments falls), and
running the step again adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from closeloop.initiatives.demo_impact import seed_impact
from closeloop.initiatives.impact import initiative_impact
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.tests.impact_factories import survey_for, theme_for
from closeloop.responses.models import Response
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_the_demo_shipped_initiative_shows_a_real_effect(personas: Personas) -> None:
    from closeloop.initiatives.services import initiative_create, initiative_transition

    org = personas.org
    survey = survey_for(org)
    theme = theme_for(org, "slow-delivery")
    seed_impact(org)  # nothing shipped yet: nothing to do
    assert not Response.objects.filter(survey=survey).exists()
    initiative = initiative_create(
        organization=org, actor=personas.owner, title="Same-day delivery", target_survey=survey,
        themes=[theme],
    )  # fmt: skip
    initiative_transition(initiative=initiative, to_status="planned", actor=personas.owner)
    initiative_transition(initiative=initiative, to_status="shipped", actor=personas.owner)
    Initiative.objects.filter(pk=initiative.pk).update(
        shipped_at=timezone.now() - dt.timedelta(days=45)
    )
    seed_impact(org)
    seed_impact(org)  # again: nothing added
    assert Response.objects.filter(survey=survey).count() == 240
    impact = initiative_impact(Initiative.objects.get(pk=initiative.pk))
    assert impact.before is not None and impact.after is not None
    assert impact.before.n == 120 and impact.after.n == 120
    assert impact.before.estimate.value == pytest.approx(5.0)
    assert impact.after.estimate.value == pytest.approx(30.0)
    assert impact.verdict_kind == "improved" and impact.exceeds_noise
    assert impact.share_before is not None and impact.share_after is not None
    assert impact.share_before.estimate.value is not None
    assert impact.share_after.estimate.value is not None
    assert impact.share_before.estimate.value > impact.share_after.estimate.value + 10
