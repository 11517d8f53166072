"""Minimum group size: small groups are hidden, also when subtraction from a shown total would
give them away; employee surveys never go below 5."""

from __future__ import annotations

import pytest

from closeloop.analytics.metrics import MetricFilters, metric_compute, min_group_size
from closeloop.analytics.metrics.suppression import suppressed
from closeloop.analytics.tests.metrics_data import answer, at, metrics_survey
from closeloop.distribution.models import Touchpoint
from conftest import Personas


def test_small_groups_are_hidden() -> None:
    hidden, total_hidden = suppressed({"a": 12, "b": 7, "c": 6}, total=25, threshold=5)
    assert hidden == set() and not total_hidden
    hidden, total_hidden = suppressed({"a": 3, "b": 1}, total=4, threshold=5)
    assert hidden == {"a", "b"} and total_hidden


def test_one_hidden_group_takes_the_next_smallest_with_it() -> None:
    # total 30 - 12 - 9 = the 4 answers of "d": "c" (the next smallest) must go too
    hidden, total_hidden = suppressed({"a": 12, "b": 9, "c": 5, "d": 4}, total=30, threshold=5)
    assert hidden == {"d", "c"} and not total_hidden


def test_hidden_groups_stay_hidden_together_until_they_reach_the_threshold() -> None:
    # 1 + 2 hidden: together 3 (still revealing); 3 more (the next smallest) makes 6
    hidden, _total = suppressed({"a": 1, "b": 2, "c": 3, "d": 40, "e": 50}, total=96, threshold=5)
    assert hidden == {"a", "b", "c"}
    # two hidden groups already adding up to the threshold need nothing more
    hidden, _total = suppressed({"a": 3, "b": 4, "c": 30}, total=37, threshold=5)
    assert hidden == {"a", "b"}


def test_subtraction_never_reveals_a_hidden_group() -> None:
    cases = [
        {"a": 1, "b": 5},
        {"a": 4, "b": 6, "c": 100},
        {"a": 2, "b": 2, "c": 9, "d": 9},
        {"a": 0, "b": 3, "c": 8},
        {"x": 4},
    ]
    for sizes in cases:
        total = sum(sizes.values())
        hidden, total_hidden = suppressed(sizes, total=total, threshold=5)
        revealed = total - sum(n for key, n in sizes.items() if key not in hidden)
        # what subtraction gives is the hidden groups together: nothing, or at least 5
        assert total_hidden or revealed == 0 or revealed >= 5, sizes
        assert all(key in hidden for key, n in sizes.items() if 0 < n < 5), sizes


def test_a_threshold_of_0_or_1_hides_nothing() -> None:
    assert suppressed({"a": 1}, total=1, threshold=1) == (set(), False)
    assert suppressed({"a": 1}, total=1, threshold=0) == (set(), False)


@pytest.mark.django_db
def test_employee_surveys_never_go_below_5(personas: Personas) -> None:
    org = personas.org
    assert min_group_size(organization=org) == 5
    assert min_group_size(organization=org, requested=0) == 0
    assert min_group_size(organization=org, employee=True, requested=0) == 5
    assert min_group_size(organization=org, employee=True, requested=8) == 8
    pulse = metrics_survey(org, name="Pulse", kind="employee")
    for score in (10, 10, 0):
        answer(pulse, at("2026-03-03"), rec=score)
    result = metric_compute(organization=org, metric="enps", min_group_size=0)
    assert result.min_group_size == 5 and result.employee
    assert result.total.hidden and result.total.estimate.value is None
    assert result.total.estimate.n == 3


@pytest.mark.django_db
def test_breakdown_hides_a_small_touchpoint_and_its_complement(personas: Personas) -> None:
    org = personas.org
    survey = metrics_survey(org)
    big = Touchpoint.objects.create(organization=org, key="big", name="Big")
    small = Touchpoint.objects.create(organization=org, key="small", name="Small")
    for _ in range(9):
        answer(survey, at("2026-03-03"), rec=10, touchpoint_id=big.pk)
    answer(survey, at("2026-03-03"), rec=0, touchpoint_id=small.pk)
    result = metric_compute(
        organization=org,
        metric="nps",
        filters=MetricFilters(surveys=(survey,)),
        group_by="touchpoint",
    )
    assert {g.label: g.hidden for g in result.groups} == {"Big": True, "Small": True}
    assert not result.total.hidden and result.total.estimate.n == 10
    shown = metric_compute(
        organization=org,
        metric="nps",
        filters=MetricFilters(surveys=(survey,)),
        group_by="touchpoint",
        min_group_size=1,
    )
    assert {g.label: g.estimate.value for g in shown.groups} == {"Big": 100.0, "Small": -100.0}
