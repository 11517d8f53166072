"""An initiative's impact on seeded answers whose true effect is known: before/after values, n
and margins worked by hand from DESIGN.md's formulas, the margin of the difference, the verdict,
configurable windows, the minimum group size, the theme's share of comments, and the page."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from closeloop.initiatives.impact import impact_data, initiative_impact
from closeloop.initiatives.impact_chart import impact_figure
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.tests.impact_factories import (
    SHIP_DAY,
    TODAY,
    answers_on_days,
    comments_on_days,
    local,
    shipped_initiative,
    survey_for,
    theme_for,
)
from conftest import Personas

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def nps_se(p: int, d: int, n: int) -> float:
    """DESIGN.md: SE = sqrt(((p + d) - (p - d)^2) / n), on the -100..100 scale."""
    pp, dd = p / n, d / n
    return 100 * math.sqrt(((pp + dd) - (pp - dd) ** 2) / n)


def _seed_known_effect(
    personas: Personas, *, after: tuple[int, int, int] = (50, 40, 10)
) -> Initiative:
    org = personas.org
    survey = survey_for(org)
    # before: 30 promoters, 40 passives, 30 detractors -> NPS 0
    answers_on_days(
        survey, first=SHIP_DAY - 60 * DAY, last=SHIP_DAY - DAY,
        promoters=30, passives=40, detractors=30, seed="before",
    )  # fmt: skip
    p, s, d = after
    answers_on_days(
        survey, first=SHIP_DAY, last=SHIP_DAY + 59 * DAY,
        promoters=p, passives=s, detractors=d, seed="after",
    )  # fmt: skip
    return shipped_initiative(
        org, personas.owner, ship_at=local(org, SHIP_DAY, hour=9),
        target_metric="nps", target_survey=survey, expected_change=10,
    )  # fmt: skip


def test_a_known_rise_is_measured_with_hand_worked_margins(personas: Personas) -> None:
    initiative = _seed_known_effect(personas)
    impact = initiative_impact(initiative, today=TODAY)

    assert impact.shipped_on == SHIP_DAY
    assert impact.before_window is not None and impact.after_window is not None
    assert (impact.before_window.start, impact.before_window.end) == (
        SHIP_DAY - 60 * DAY,
        SHIP_DAY - DAY,
    )
    assert (impact.after_window.start, impact.after_window.end) == (
        SHIP_DAY,
        SHIP_DAY + 59 * DAY,
    )
    assert impact.after_window.complete
    assert impact.before is not None and impact.after is not None
    before, after = impact.before.estimate, impact.after.estimate
    assert (before.value, before.n) == (pytest.approx(0.0), 100)
    assert (after.value, after.n) == (pytest.approx(40.0), 100)
    se_before, se_after = nps_se(30, 30, 100), nps_se(50, 10, 100)
    assert before.margin_of_error == pytest.approx(1.96 * se_before)  # 15.18
    assert after.margin_of_error == pytest.approx(1.96 * se_after)  # 13.00
    assert before.margin_of_error == pytest.approx(15.182, abs=1e-3)
    assert after.margin_of_error == pytest.approx(13.001, abs=1e-3)

    comparison = impact.comparison
    assert comparison is not None
    assert comparison.difference == pytest.approx(40.0)
    margin = 1.96 * math.sqrt(se_before**2 + se_after**2)
    assert comparison.margin_of_error == pytest.approx(margin)  # 1.96 * sqrt(104) = 19.99
    assert comparison.margin_of_error == pytest.approx(19.988, abs=1e-3)
    assert impact.exceeds_noise
    assert impact.verdict_kind == "improved"
    assert impact.verdict == (
        "NPS rose 40 points after shipping (from 0 to 40), more than the margin of error (±20)."
    )

    data = impact_data(impact)
    json.dumps(data)  # JSON-ready
    assert data["before"]["n"] == 100 and data["after"]["n"] == 100
    assert data["before"]["margin"] == pytest.approx(15.18, abs=0.01)
    assert data["difference"] == pytest.approx(40.0)
    assert data["difference_margin"] == pytest.approx(19.99, abs=0.01)
    assert data["exceeds_noise"] is True
    assert data["windows"]["before"] == {
        "start": "2025-08-02", "end": "2025-09-30", "days": 60, "planned_days": 60,
        "complete": True,
    }  # fmt: skip
    assert data["shipped_on"] == "2025-10-01"
    # the weekly series covers both windows and holds every answer once
    assert sum(week["n"] for week in data["weekly"]) == 200
    assert data["weekly"][0]["week"] <= "2025-08-02" <= data["weekly"][1]["week"]
    assert data["weekly"][-1]["week"] <= "2025-11-29"
    shown = [w for w in data["weekly"] if not w["hidden"] and w["n"]]
    assert len(shown) >= 6 and all(w["margin"] is not None for w in shown)
    # a week with fewer answers than the minimum group size is hidden, keeping its n
    small = [w for w in data["weekly"] if 0 < w["n"] < 5]
    assert small and all(w["hidden"] and w["value"] is None for w in small)


def test_no_real_change_is_within_the_noise(personas: Personas) -> None:
    initiative = _seed_known_effect(personas, after=(32, 40, 28))  # NPS 4
    impact = initiative_impact(initiative, today=TODAY)
    comparison = impact.comparison
    assert comparison is not None and comparison.difference == pytest.approx(4.0)
    margin = 1.96 * math.sqrt(nps_se(30, 30, 100) ** 2 + nps_se(32, 28, 100) ** 2)
    assert comparison.margin_of_error == pytest.approx(margin)
    assert not comparison.exceeds_noise and not impact.exceeds_noise
    assert impact.verdict_kind == "noise"
    assert "not more than the noise" in impact.verdict
    assert impact.verdict.startswith("NPS rose 4 points after shipping (from 0 to 4)")
    assert impact_data(impact)["exceeds_noise"] is False


def test_too_few_answers_since_shipping_says_it_is_too_early(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    answers_on_days(
        survey, first=SHIP_DAY - 60 * DAY, last=SHIP_DAY - DAY,
        promoters=30, passives=40, detractors=30,
    )  # fmt: skip
    # 12 answers, all promoters: a big rise in appearance, but far too few to say so
    answers_on_days(
        survey, first=SHIP_DAY, last=SHIP_DAY + 4 * DAY, promoters=12, passives=0, detractors=0
    )
    initiative = shipped_initiative(
        org, personas.owner, ship_at=local(org, SHIP_DAY, 9), target_survey=survey
    )
    impact = initiative_impact(initiative, today=SHIP_DAY + 4 * DAY)
    assert impact.after_window is not None
    assert impact.after_window.days == 5 and not impact.after_window.complete
    assert impact.after is not None and impact.after.n == 12
    assert impact.verdict_kind == "too_early"
    assert impact.verdict == (
        "Too early to tell: only 12 answers since shipping (at least 30 are needed)."
    )
    assert not impact.exceeds_noise
    assert impact_data(impact)["exceeds_noise"] is False


def test_windows_are_configurable(personas: Personas) -> None:
    org = personas.org
    survey = survey_for(org)
    # inside a 30-day before window: NPS +25; older answers (all detractors) must not count
    answers_on_days(
        survey, first=SHIP_DAY - 30 * DAY, last=SHIP_DAY - DAY,
        promoters=20, passives=10, detractors=10, seed="in",
    )  # fmt: skip
    answers_on_days(
        survey, first=SHIP_DAY - 60 * DAY, last=SHIP_DAY - 31 * DAY,
        promoters=0, passives=0, detractors=50, seed="old",
    )  # fmt: skip
    # inside a 14-day after window: 35 answers; later ones must not count
    answers_on_days(
        survey, first=SHIP_DAY, last=SHIP_DAY + 13 * DAY,
        promoters=25, passives=5, detractors=5, seed="after",
    )  # fmt: skip
    answers_on_days(
        survey, first=SHIP_DAY + 14 * DAY, last=SHIP_DAY + 30 * DAY,
        promoters=0, passives=0, detractors=20, seed="late",
    )  # fmt: skip
    initiative = shipped_initiative(
        org, personas.owner, ship_at=local(org, SHIP_DAY, 9), target_survey=survey,
        before_days=30, after_days=14,
    )  # fmt: skip
    impact = initiative_impact(initiative, today=TODAY)
    assert impact.before_window is not None and impact.after_window is not None
    assert impact.before_window.start == SHIP_DAY - 30 * DAY
    assert impact.after_window.end == SHIP_DAY + 13 * DAY
    assert impact.before is not None and impact.after is not None
    assert impact.before.n == 40 and impact.before.estimate.value == pytest.approx(25.0)
    assert impact.after.n == 35
    assert impact.after.estimate.value == pytest.approx(100 * 20 / 35)


def test_the_minimum_group_size_hides_figures(personas: Personas) -> None:
    initiative = _seed_known_effect(personas)
    initiative.organization.analytics_min_group_size = 150  # type: ignore[attr-defined]
    impact = initiative_impact(initiative, today=TODAY)
    assert impact.before is not None and impact.before.hidden
    assert impact.before.n == 100 and impact.before.estimate.value is None
    assert impact.verdict_kind == "hidden"
    assert "fewer than 150 answers" in impact.verdict
    data = impact_data(impact)
    assert data["before"] == {
        "value": None, "n": 100, "margin": None, "low": None, "high": None, "hidden": True,
        "counts": {},
    }  # fmt: skip
    assert data["exceeds_noise"] is False
    assert all(w["value"] is None for w in data["weekly"])
    html = render_to_string(
        "initiatives/_impact.html", {"impact": impact, "current_org": initiative.organization}
    )
    assert "Hidden" in html and "n = 100: fewer than 150" in html
    assert "±15" not in html


def test_theme_share_before_and_after(personas: Personas) -> None:
    org = personas.org
    theme = theme_for(org)
    comments_on_days(
        org, first=SHIP_DAY - 60 * DAY, last=SHIP_DAY - DAY, total=100, about=30, theme=theme,
        tag="b",
    )  # fmt: skip
    comments_on_days(
        org, first=SHIP_DAY, last=SHIP_DAY + 59 * DAY, total=100, about=10, theme=theme, tag="a"
    )
    # another organization's comments never count
    other_theme = theme_for(personas.other_org)
    comments_on_days(
        personas.other_org, first=SHIP_DAY, last=SHIP_DAY + 59 * DAY, total=50, about=50,
        theme=other_theme, tag="o",
    )  # fmt: skip
    initiative = shipped_initiative(
        org, personas.owner, ship_at=local(org, SHIP_DAY, 9), target_metric="theme_share",
        target_theme=theme,
    )  # fmt: skip
    impact = initiative_impact(initiative, today=TODAY)
    assert impact.primary == "theme_share"
    before, after = impact.share_before, impact.share_after
    assert before is not None and after is not None
    assert (before.comments, before.mentions) == (100, 30)
    assert (after.comments, after.mentions) == (100, 10)
    assert before.estimate.value == pytest.approx(30.0)
    assert after.estimate.value == pytest.approx(10.0)
    # Wald (n >= 30): 1.96 * sqrt(p (1 - p) / n)
    assert before.estimate.margin_of_error == pytest.approx(196 * math.sqrt(0.3 * 0.7 / 100))
    assert after.estimate.margin_of_error == pytest.approx(196 * math.sqrt(0.1 * 0.9 / 100))
    change = impact.share_comparison
    assert change is not None and change.difference == pytest.approx(-20.0)
    assert change.margin_of_error == pytest.approx(196 * math.sqrt(0.0021 + 0.0009))  # 10.74
    assert impact.verdict_kind == "improved"  # fewer comments about the problem
    assert impact.verdict == (
        "The theme's share of comments fell 20 percentage points after shipping (from 30% to "
        "10%), more than the margin of error (±10.7)."
    )
    data = impact_data(impact)
    assert data["theme_share"]["before"]["mentions"] == 30
    assert data["before"]["value"] == pytest.approx(30.0)
    assert sum(w["n"] for w in data["theme_share"]["weekly"]) == 200


def test_linked_themes_are_measured_when_there_is_no_target_theme(personas: Personas) -> None:
    initiative = _seed_known_effect(personas)
    org = personas.org
    theme = theme_for(org, "wait-times")
    comments_on_days(
        org, first=SHIP_DAY - 20 * DAY, last=SHIP_DAY - DAY, total=40, about=20, theme=theme
    )
    initiative.themes.add(theme)
    impact = initiative_impact(initiative, today=TODAY)
    assert impact.primary == "metric" and impact.themes == [theme]
    assert impact.share_before is not None and impact.share_before.estimate.value == 50.0
    assert impact.share_after is not None and impact.share_after.n == 0


def test_not_shipped_has_no_figures(personas: Personas) -> None:
    from closeloop.initiatives.services import initiative_create

    initiative = initiative_create(organization=personas.org, actor=personas.owner, title="Later")
    impact = initiative_impact(initiative)
    assert impact.verdict_kind == "not_shipped" and impact.before is None
    assert impact_figure(impact) is None
    json.dumps(impact_data(impact))


def test_the_chart_marks_the_ship_date_and_shades_the_windows(personas: Personas) -> None:
    initiative = _seed_known_effect(personas)
    figure = impact_figure(initiative_impact(initiative, today=TODAY))
    assert figure is not None
    trace = figure["data"][0]
    assert trace["error_y"]["visible"] and len(trace["x"]) == len(trace["error_y"]["array"])
    shapes = figure["layout"]["shapes"]
    line = [s for s in shapes if s["type"] == "line"]
    assert line and line[0]["x0"] == line[0]["x1"] == "2025-10-01"
    rects = [s for s in shapes if s["type"] == "rect"]
    assert [(r["x0"], r["x1"]) for r in rects] == [
        ("2025-08-02", "2025-10-01"),
        ("2025-10-01", "2025-11-30"),
    ]


def test_the_detail_page_shows_before_and_after_with_margins(personas: Personas) -> None:
    initiative = _seed_known_effect(personas)
    client = personas.client_for(personas.viewer)
    url = reverse("initiatives:detail", args=[personas.org.slug, initiative.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="impact-panel"' in html and 'data-verdict="improved"' in html
    assert "±15.2 · n = 100" in html and "±13.0 · n = 100" in html
    assert "NPS rose 40 points after shipping" in html
    assert 'id="impact-chart-data"' in html and "/assets/plotly-" in html
    assert "analytics/dashboards" in html and "cdn" not in html.lower()
    # another organization's member gets a 404
    other = personas.client_for(personas.outsider)
    assert other.get(url).status_code == 404


def test_measuring_freezes_the_figures(personas: Personas) -> None:
    from closeloop.initiatives.services import initiative_transition

    initiative = _seed_known_effect(personas)
    measured = initiative_transition(
        initiative=initiative, to_status="measured", actor=personas.owner
    )
    measured.refresh_from_db()
    assert measured.impact["before"]["n"] == 100
    assert measured.impact["after"]["value"] == pytest.approx(40.0)
    assert measured.impact["exceeds_noise"] is True
    assert measured.impact["verdict_kind"] == "improved"


def test_the_api_serves_the_impact_figures(personas: Personas, reader: Any) -> None:
    initiative = _seed_known_effect(personas)
    body = reader.get(f"/initiatives/{initiative.pk}").json()
    impact = body["impact"]
    assert impact["metric"] == "nps" and impact["shipped_on"] == "2025-10-01"
    assert impact["before"]["n"] == 100 and impact["after"]["value"] == pytest.approx(40.0)
    assert impact["before"]["margin"] == pytest.approx(15.18, abs=0.01)
    assert impact["difference_margin"] == pytest.approx(19.99, abs=0.01)
    assert impact["exceeds_noise"] is True
    assert impact["windows"]["after"]["days"] == 60
    assert impact["weekly"] and "verdict" in impact
