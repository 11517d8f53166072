"""The review's figures on hand-made data: themes by NPS impact and by volume (with n, margins,
trend and change on the previous period), cases by team including breaching ones, root causes,
recovered customers, initiatives in progress, the period presets and the advocacy team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from closeloop.accounts.models import Team
from closeloop.initiatives.decisions import decision_record
from closeloop.initiatives.review import (
    advocacy_team,
    can_use_review,
    review_period,
    review_summary,
    summary_data,
)
from closeloop.initiatives.tests.review_factories import World, ago, comment, theme, world
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(personas: Personas) -> World:
    return world(personas)


def summary(w: World, days: int = 30, language: str = "en"):  # type: ignore[no-untyped-def]
    period = review_period(organization=w.org, days=days)
    return review_summary(organization=w.org, period=period, language=language)


def test_themes_by_nps_impact_with_n_margin_and_change(acme: World) -> None:
    s = summary(acme)
    assert [r.theme.key for r in s.by_impact] == ["delivery", "billing"]  # staff costs none
    delivery, billing = s.by_impact
    assert delivery.impact is not None and delivery.impact.with_theme is not None
    assert delivery.impact.with_theme.n == 10 and delivery.impact.with_theme.value == -100
    assert delivery.impact.without_theme is not None
    assert delivery.impact.without_theme.n == 27  # 20 promoters, 6 + 1 detractors
    # 10 mentioners x (20/27 promoters among the others - none among them)
    assert delivery.impact.promoters_lost == pytest.approx(200 / 27)
    assert billing.impact is not None
    assert billing.impact.promoters_lost == pytest.approx(120 / 31)
    assert delivery.impact.comparison is not None
    assert delivery.impact.comparison.margin_of_error is not None
    assert delivery.impact.comparison.exceeds_noise
    assert delivery.mentions == 10 and delivery.previous_mentions == 4 and delivery.change == 6
    assert s.overall.n == 37 and s.overall.value == pytest.approx(100 * (20 - 17) / 37)
    assert s.overall.margin_of_error is not None


def test_themes_by_volume_trend_and_verbatims(acme: World) -> None:
    s = summary(acme)
    assert [(r.theme.key, r.mentions) for r in s.by_volume] == [
        ("staff", 20),
        ("delivery", 10),
        ("billing", 6),
    ]
    staff = s.by_volume[0]
    assert staff.previous_mentions == 0 and staff.change == 20
    assert sum(staff.trend) == 20 and len(staff.trend) == len(s.weeks) >= 2
    delivery = next(r for r in s.themes if r.theme.key == "delivery")
    assert len(delivery.verbatims) == 3  # the newest three
    newest = delivery.verbatims[0]
    assert newest.text == "배송이 너무 늦었어요" and newest.language == "ko" and newest.score == 1
    assert delivery.has_initiative and delivery.initiatives[0].title == "Faster courier"
    assert not staff.has_initiative
    # every theme is shown once even when in both lists
    assert [r.theme.key for r in s.themes] == ["delivery", "billing", "staff"]


def test_theme_names_in_the_readers_language(acme: World) -> None:
    delivery = theme(acme.org, "delivery")
    delivery.names = {**delivery.names, "ko": "배송"}
    delivery.save()
    s = summary(acme, language="ko")
    assert s.by_impact[0].name == "배송"


def test_latest_decision_of_each_theme(acme: World) -> None:
    delivery = theme(acme.org, "delivery")
    decision_record(organization=acme.org, kind="watch", text="Watch it", theme=delivery,
                    meeting_on=dt.date(2026, 1, 6))  # fmt: skip
    decision_record(organization=acme.org, kind="escalate", text="Escalate to tech",
                    theme=delivery, meeting_on=dt.date(2026, 1, 13))  # fmt: skip
    s = summary(acme)
    row = s.by_impact[0]
    assert row.latest_decision is not None and row.latest_decision.text == "Escalate to tech"
    assert [d.kind for d in row.decisions] == ["escalate", "watch"]
    assert s.by_impact[1].latest_decision is None
    assert s.last_meeting == dt.date(2026, 1, 13)
    assert [d.text for d in s.last_meeting_decisions] == ["Escalate to tech"]


def test_cases_by_team_with_breaching(acme: World) -> None:
    s = summary(acme)
    rows = {r.name: r for r in s.cases_by_team}
    support = rows["Support"]
    assert (support.open, support.breached, support.due_soon, support.breaching) == (3, 1, 1, 2)
    product = rows["Product"]
    assert (product.open, product.breaching) == (1, 0)
    assert s.cases_by_team[0].name == "Support"  # the most breaching first
    assert s.open_cases == 4 and s.breaching_cases == 2


def test_root_causes_of_cases_resolved_in_the_period(acme: World) -> None:
    s = summary(acme)
    first, second = s.root_causes
    assert (first.count, first.previous, first.change) == (2, 1, 1)
    assert second.count == 1 and second.previous == 0
    assert [v.text for v in first.verbatims] == ["Beans never arrived"]
    week = summary(acme, days=7)
    assert [(r.name, r.count) for r in week.root_causes] == [(first.name, 2)]  # R1, R2; not R3


def test_recovered_customers(acme: World) -> None:
    s = summary(acme)
    by_name = {r.name: r for r in s.recovered}
    assert s.recovered_total == 2 and set(by_name) == {"Ana", "Ben"}
    assert by_name["Ana"].reasons == ["follow_up_resolved"]
    assert by_name["Ana"].case_number == acme.cases["R1"].number
    assert (by_name["Ben"].before, by_name["Ben"].after) == (3, 9)
    assert by_name["Ben"].reasons == ["new_score"]
    # a week back, Ben's 9 (8 days ago) is outside: Ana only
    assert summary(acme, days=7).recovered_total == 1


def test_initiatives_in_progress_and_shipped_in_the_period(acme: World) -> None:
    s = summary(acme)
    assert [i.title for i in s.initiatives] == ["Faster courier", "Proposal", "Shipped fix"]
    assert s.initiatives[0].owner_team is not None
    assert s.initiatives[0].owner_team.name == "Product"


def test_period_presets_and_custom_dates(acme: World) -> None:
    seven = review_period(organization=acme.org, days=7)
    assert seven.days == 7 and seven.previous().last_day == seven.first_day - dt.timedelta(1)
    assert seven.start.tzinfo is not None and str(seven.start.tzinfo) == "Asia/Seoul"
    default = review_period(organization=acme.org)
    assert default.days == 30  # the settings' default
    custom = review_period(
        organization=acme.org, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31)
    )
    assert custom.days == 31 and custom.previous().first_day == dt.date(2025, 12, 1)
    from closeloop.core.errors import DomainError

    with pytest.raises(DomainError) as error:
        review_period(
            organization=acme.org, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 1, 1)
        )
    assert error.value.field == "from"


def test_summary_as_data(acme: World) -> None:
    data = summary_data(summary(acme))
    first = data["themes_by_impact"][0]
    assert first["key"] == "delivery" and first["nps_with_theme"]["n"] == 10
    assert first["nps_with_theme"]["margin"] is not None and first["nps_gap_margin"] is not None
    assert first["change"] == 6 and first["has_initiative"] is True
    assert first["verbatims"][0]["language"] == "ko"
    assert data["recovered_customers"]["total"] == 2
    assert data["cases_by_team"][0] == {
        "team": str(data["cases_by_team"][0]["team"]),
        "name": "Support",
        "open": 3,
        "breached": 1,
        "due_soon": 1,
        "breaching": 2,
    }


def test_queries_stay_bounded(acme: World) -> None:
    """More themes, comments and cases do not mean more queries."""
    period = review_period(organization=acme.org, days=30)
    with CaptureQueriesContext(connection) as first:
        review_summary(organization=acme.org, period=period)
    for n in range(12):
        comment(acme.org, "ease_of_use", f"Hard app {n}", score=4, at=ago(2))
        comment(acme.org, "price_value", f"Too pricey {n}", score=5, at=ago(3))
    with CaptureQueriesContext(connection) as second:
        review_summary(organization=acme.org, period=period)
    assert len(second.captured_queries) <= len(first.captured_queries) + 2
    assert len(second.captured_queries) < 45


def test_the_advocacy_team_and_the_departments_it_misses(personas: Personas) -> None:
    w = world(personas, data=False)
    team = advocacy_team(organization=w.org)
    assert [t.slug for t in team.teams] == ["customer-experience"]
    by_email = {a.membership.user.email: a.departments for a in team.members}
    assert by_email["minji@acme.test"] == ["Support"]
    assert by_email["somchai@acme.test"] == ["Product"]
    uncovered = {t.slug for t in team.uncovered}
    assert "product" not in uncovered and "support" not in uncovered
    assert "marketing" in uncovered and "customer-experience" not in uncovered
    assert can_use_review(w.korean)
    assert can_use_review(personas.membership(personas.admin))  # admins, not on the team
    assert not can_use_review(personas.membership(personas.viewer))


def test_no_team_flagged(personas: Personas) -> None:
    Team.objects.filter(organization=personas.org).update(is_advocacy_team=False)
    team = advocacy_team(organization=personas.org)
    assert not team.flagged and team.uncovered == [] and team.members == []
