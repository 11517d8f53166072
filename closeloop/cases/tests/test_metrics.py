"""Loop metrics on hand-made data: closed-loop rate, median times, SLA compliance, unresolved
share and recovered customers, per team and by week in the org's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

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
