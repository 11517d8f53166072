"""Loop metrics on hand-made data: closed-loop rate, median times, SLA compliance, unresolved
share and recovered customers, per team and by week in the org's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from closeloop.accounts.models import Team
from closeloop.cases.metrics import loop_metrics, loop_metrics_by_team
from closeloop.cases.models import Case
from closeloop.cases.tests.factories import make_case, support
from closeloop.distribution.tests.campaigns_factories import nps_survey
from closeloop.responses.services import response_create_complete
from conftest import Personas

SEOUL = ZoneInfo("Asia/Seoul")
START = dt.datetime(2026, 3, 2, 0, tzinfo=SEOUL)  # a Monday
END = dt.datetime(2026, 3, 16, 0, tzinfo=SEOUL)


def _response(org: object, survey: object, score: int, when: dt.datetime) -> object:
    answers = {"q1": score, "q4": "coffee"} if score >= 9 else {"q1": score, "q2": ["speed"]}
    return response_create_complete(survey=survey, answers=answers, completed_at=when)  # type: ignore[arg-type]


def _case(org: object, team: Team, when: dt.datetime, **fields: object) -> Case:
    response = fields.pop("response", None)
    case = make_case(org, team=team, response=response, created_at=when)  # type: ignore[arg-type]
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def build(personas: Personas) -> dict[str, object]:
    org = personas.org
    survey = nps_survey(org)
    sup = support(org)
    product = Team.objects.get(organization=org, slug="product")
    mon = START + dt.timedelta(hours=10)
    d1 = _response(org, survey, 2, mon)
    d2 = _response(org, survey, 5, mon + dt.timedelta(days=1))
    d3 = _response(org, survey, 6, mon + dt.timedelta(days=8))  # second week, no case
    _response(org, survey, 9, mon)  # a promoter: not counted
    _response(org, survey, 1, START - dt.timedelta(days=3))  # before the period
    # d1: contacted after 2h, resolved after 10h, recovered
    _case(org, sup, mon, response=d1, first_responded_at=mon + dt.timedelta(hours=2),
          resolved_at=mon + dt.timedelta(hours=10), status="closed", recovered=True)  # fmt: skip
    # d2: a case, never contacted, breached, still open
    _case(org, sup, mon + dt.timedelta(days=1), response=d2, breached_first_response=True)
    # a manual product case in week 2, contacted after 4h, resolved after 30h, within SLA
    week2 = mon + dt.timedelta(days=7)
    _case(org, product, week2, first_responded_at=week2 + dt.timedelta(hours=4),
          resolved_at=week2 + dt.timedelta(hours=30), status="resolved")  # fmt: skip
    return {"d3": d3, "support": sup, "product": product}


def test_org_metrics_over_a_period(personas: Personas) -> None:
    build(personas)
    m = loop_metrics(organization=personas.org, start=START, end=END).total
    assert (m.detractors, m.detractors_contacted) == (3, 1)
    assert m.closed_loop_rate == 1 / 3
    assert m.cases == 3
    assert m.median_first_response == dt.timedelta(hours=3)  # median of 2h and 4h
    assert m.median_resolution == dt.timedelta(hours=20)  # median of 10h and 30h
    # decided: the closed one and the resolved one (met), the breached one (not met)
    assert (m.sla_met, m.sla_decided) == (2, 3)
    assert (m.unresolved, m.unresolved_share) == (1, 1 / 3)
    assert m.recovered == 1


def test_metrics_by_week_in_the_org_time_zone(personas: Personas) -> None:
    build(personas)
    report = loop_metrics(organization=personas.org, start=START, end=END)
    weeks = dict(report.weeks)
    assert sorted(weeks) == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
    first, second = weeks[dt.date(2026, 3, 2)], weeks[dt.date(2026, 3, 9)]
    assert (first.detractors, first.detractors_contacted, first.cases) == (2, 1, 2)
    assert (second.detractors, second.detractors_contacted, second.cases) == (1, 0, 1)


def test_metrics_per_team(personas: Personas) -> None:
    data = build(personas)
    rows = dict(loop_metrics_by_team(organization=personas.org, start=START, end=END))
    sup = rows[data["support"]]  # type: ignore[index]
    assert (sup.detractors, sup.detractors_contacted, sup.cases, sup.recovered) == (2, 1, 2, 1)
    product = rows[data["product"]]  # type: ignore[index]
    assert (product.detractors, product.cases, product.median_first_response) == (
        0, 1, dt.timedelta(hours=4),
    )  # fmt: skip


def test_metrics_are_shown_on_the_loop_and_team_pages(personas: Personas) -> None:
    data = build(personas)
    viewer = personas.client_for(personas.viewer)
    page = viewer.get(reverse("cases:loop", args=[personas.org.slug]) + "?days=365")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="loop-metrics"' in html and 'data-testid="loop-by-team"' in html
    team_page = viewer.get(
        reverse("inbox:team", args=[personas.org.slug, data["support"].pk])  # type: ignore[attr-defined]
    )
    assert "Closed-loop rate" in team_page.content.decode()


def test_empty_org_has_no_figures(personas: Personas) -> None:
    m = loop_metrics(organization=personas.org).total
    assert m.closed_loop_rate is None and m.sla_compliance is None and m.median_resolution is None


def _csat_survey(org: object, points: int) -> object:
    from closeloop.responses.testing import publish_survey

    definition = {
        "default_language": "en",
        "languages": ["en"],
        "title": {"en": "How was it?"},
        "pages": [{"key": "p1", "questions": [
            {"key": "sat", "type": "csat", "points": points, "title": {"en": "Satisfied?"}},
        ]}],
        "endings": [{"key": "end", "title": {"en": "Thanks"}, "message": {"en": "Bye."}}],
    }  # fmt: skip
    return publish_survey(org, definition, name=f"CSAT {points}")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("points", "scores", "satisfied"),
    [
        (3, [3, 2, 1, 3], 50.0),  # 3-point: top box (3)
        (5, [5, 4, 3, 1], 50.0),  # 5-point: top 2 (4-5)
        (7, [7, 6, 5, 4], 50.0),  # 7-point: top 2 (6-7); 5 of 7 is not satisfied
        (10, [10, 8, 7, 3], 50.0),  # 10-point: top 3 (8-10)
        (4, [4, 3, 2, 2], 50.0),  # 4-point: top 2 (3-4)
    ],
)
def test_team_csat_uses_each_questions_own_scale(
    personas: Personas, points: int, scores: list[int], satisfied: float
) -> None:
    from closeloop.automation.models import TeamFeedback

    org = personas.org
    team = support(org)
    survey = _csat_survey(org, points)
    for score in scores:
        response = response_create_complete(survey=survey, answers={"sat": score})  # type: ignore[arg-type]
        TeamFeedback.objects.create(organization=org, team=team, response=response, reason="csat")
    page = personas.client_for(personas.viewer).get(reverse("inbox:team", args=[org.slug, team.pk]))
    summary = page.context["scores"]
    assert (summary.csat, summary.csat_n) == (satisfied, len(scores))
    assert f"{satisfied}%" in page.content.decode()


def test_csat_mixes_scales_per_question(personas: Personas) -> None:
    from closeloop.cases.metrics import score_summary

    org = personas.org
    three, ten = _csat_survey(org, 3), _csat_survey(org, 10)
    ids = [
        response_create_complete(survey=s, answers={"sat": v}).pk  # type: ignore[arg-type]
        for s, v in ((three, 3), (three, 2), (ten, 8), (ten, 7))
    ]
    # 3 of 3 and 8 of 10 are satisfied; 2 of 3 and 7 of 10 are not (a 5-point rule would say 3 of 4)
    assert score_summary(ids).csat == 50.0


def test_the_loop_page_has_a_period_control_kept_in_its_links(personas: Personas) -> None:
    data = build(personas)
    viewer = personas.client_for(personas.viewer)
    url = reverse("cases:loop", args=[personas.org.slug])
    page = viewer.get(url)  # default: 90 days
    html = page.content.decode()
    assert page.context["days"] == 90
    assert 'data-testid="loop-period"' in html and '<select id="loop-days" name="days">' in html
    assert '<option value="90" selected>Last 90 days</option>' in html
    for n in (7, 30, 365):
        assert f'<option value="{n}">Last {n} days</option>' in html
    assert 'hx-get="' + url + '"' in html  # htmx swaps the figures; the button works without it

    # the form submits ?days=365: the panel and the table follow, and the team links keep it
    page = viewer.get(url, {"days": "365"})
    html = page.content.decode()
    assert '<option value="365" selected>' in html
    assert html.count("last 365 days") == 2  # the panel and the By team table
    team_url = reverse("inbox:team", args=[personas.org.slug, data["support"].pk])  # type: ignore[attr-defined]
    assert f'href="{team_url}?days=365"' in html
    team_page = viewer.get(team_url, {"days": "365"})
    assert '<option value="365" selected>' in team_page.content.decode()
    assert "last 365 days" in team_page.content.decode()

    # a period outside the choices is kept (and clamped to 7..730); nonsense is 90 days
    assert '<option value="120" selected>' in viewer.get(url, {"days": "120"}).content.decode()
    assert viewer.get(url, {"days": "5000"}).context["days"] == 730
    assert viewer.get(url, {"days": "a week"}).context["days"] == 90


def test_the_period_changes_the_figures(personas: Personas) -> None:
    build(personas)  # everything happened in March 2026
    viewer = personas.client_for(personas.viewer)
    url = reverse("cases:loop", args=[personas.org.slug])
    from closeloop.cases.templatetags.case_metrics import loop_metrics_panel

    inside = loop_metrics_panel(personas.org, days=30, end=END + dt.timedelta(days=1))
    outside = loop_metrics_panel(personas.org, days=7, end=END + dt.timedelta(days=30))
    assert inside["m"].cases == 3 and outside["m"].cases == 0
    assert viewer.get(url, {"days": "7"}).status_code == 200
