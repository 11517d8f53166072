"""Loop-closure figures on a hand-made organization whose figures are known: detractor themes
with an initiative, days from a theme's rise to the initiative and to shipping, customers told,
and their NPS after being told; and the CX overview showing them."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.core.cache import cache
from django.urls import reverse

from closeloop.contacts.models import Contact
from closeloop.contacts.tests.factories import make_contact
from closeloop.initiatives.loop_figures import loop_figures, loop_figures_data, theme_rise
from closeloop.initiatives.models import Announcement, AnnouncementRecipient, Initiative
from closeloop.initiatives.tests.impact_factories import (
    TODAY,
    answers_on_days,
    comments_on_days,
    local,
    survey_for,
    theme_for,
)
from conftest import Personas

pytestmark = pytest.mark.django_db

D = dt.date


def _comments(org, theme, day: dt.date, n: int, score: float, tag: str) -> None:  # type: ignore[no-untyped-def]
    comments_on_days(org, first=day, last=day, total=n, about=n, theme=theme, score=score, tag=tag)


def _initiative(personas: Personas, created: dt.date, shipped: dt.date | None = None, **fields):  # type: ignore[no-untyped-def]
    from closeloop.initiatives.services import initiative_create, initiative_transition

    org, owner = personas.org, personas.owner
    initiative = initiative_create(organization=org, actor=owner, **fields)
    if shipped is not None:
        initiative_transition(initiative=initiative, to_status="planned", actor=owner)
        initiative_transition(initiative=initiative, to_status="shipped", actor=owner)
    Initiative.objects.filter(pk=initiative.pk).update(
        created_at=local(org, created, 9),
        shipped_at=local(org, shipped, 9) if shipped else None,
    )
    return Initiative.objects.get(pk=initiative.pk)


def _themes_and_initiatives(personas: Personas) -> dict[str, object]:
    org = personas.org
    late = theme_for(org, "late-delivery-x")
    staff = theme_for(org, "friendly-staff-x")
    price = theme_for(org, "price-x")
    crash = theme_for(org, "app-crash-x")
    # late delivery: one detractor a week for four weeks, then 5 in the week of Sep 29 (the rise)
    for week, day in enumerate((D(2025, 9, 3), D(2025, 9, 10), D(2025, 9, 17), D(2025, 9, 24))):
        _comments(org, late, day, 1, 3, f"l{week}")
    _comments(org, late, D(2025, 10, 1), 4, 2, "lr")
    _comments(org, late, D(2025, 10, 2), 1, 10, "lp")
    # friendly staff: six promoters in one week (first comment Sep 10)
    _comments(org, staff, D(2025, 9, 10), 6, 10, "s")
    # price: 4 detractors and 2 passives: mostly detractors, no initiative (one dropped)
    _comments(org, price, D(2025, 9, 16), 4, 5, "p")
    _comments(org, price, D(2025, 9, 17), 2, 8, "pp")
    shipped = _initiative(
        personas, D(2025, 10, 9), D(2025, 10, 29), title="Faster couriers", themes=[late]
    )
    _initiative(
        personas, D(2025, 9, 30), title="Thank the baristas", target_metric="theme_share",
        target_theme=staff,
    )  # fmt: skip
    from closeloop.initiatives.services import initiative_transition

    dropped = _initiative(personas, D(2025, 10, 1), title="Cheaper beans", themes=[price])
    initiative_transition(
        initiative=dropped, to_status="dropped", actor=personas.owner, reason="Not now"
    )
    _initiative(personas, D(2025, 10, 3), title="Fix the app", themes=[crash])
    return {"late": late, "staff": staff, "price": price, "crash": crash, "shipped": shipped}


def test_detractor_themes_and_time_to_act(personas: Personas) -> None:
    made = _themes_and_initiatives(personas)
    figures = loop_figures(organization=personas.org, today=TODAY)
    assert {t.key for t in figures.detractor_themes} == {"late-delivery-x", "price-x"}
    assert [t.key for t in figures.with_initiative] == ["late-delivery-x"]
    assert figures.share_with_initiative == pytest.approx(50.0)
    assert [t.key for t in figures.without_initiative] == ["price-x"]

    timings = {t.theme.key: t for t in figures.timings}
    # the app-crash theme has no comment before its initiative: left out; price's was dropped
    assert set(timings) == {"late-delivery-x", "friendly-staff-x"}
    late = timings["late-delivery-x"]
    assert (late.rise_on, late.rise_kind) == (D(2025, 9, 29), "rise")
    assert (late.days_to_initiative, late.days_to_ship) == (10, 30)
    staff = timings["friendly-staff-x"]
    assert (staff.rise_on, staff.rise_kind) == (D(2025, 9, 10), "first_comment")
    assert (staff.days_to_initiative, staff.days_to_ship) == (20, None)
    assert figures.median_days_to_initiative == pytest.approx(15.0)
    assert figures.n_to_initiative == 2
    assert figures.median_days_to_ship == pytest.approx(30.0)
    assert figures.n_to_ship == 1
    data = loop_figures_data(figures)
    assert data["detractor_themes"] == 2 and data["detractor_themes_with_initiative"] == 1
    assert made["shipped"] is not None


def test_a_rise_needs_more_than_twice_the_baseline(personas: Personas) -> None:
    org = personas.org
    theme = theme_for(org, "steady-x")
    for index in range(6):  # two a week, then three: not a rise (3 is not more than 2 x 2)
        _comments(org, theme, D(2025, 9, 1) + dt.timedelta(days=7 * index), 2, 5, f"a{index}")
    _comments(org, theme, D(2025, 10, 15), 3, 5, "b")
    rise = theme_rise(organization=org, theme=theme, before=local(org, D(2025, 11, 1)))
    assert rise == (D(2025, 9, 1), "first_comment")
    _comments(org, theme, D(2025, 10, 22), 5, 5, "c")  # 5 > 2 x mean(2,2,2,2,2,3,...) -> rise
    rise = theme_rise(organization=org, theme=theme, before=local(org, D(2025, 11, 1)))
    assert rise == (D(2025, 10, 20), "rise")
    # comments after the initiative do not count
    assert theme_rise(organization=org, theme=theme, before=local(org, D(2025, 8, 1))) is None


def _tell(personas: Personas, initiative: Initiative, contacts: list[Contact]) -> None:
    org = personas.org
    announcement = Announcement.objects.create(
        organization=org, initiative=initiative, status="sent", texts={"en": {"subject": "s"}}
    )
    sent = local(org, D(2025, 11, 1), 10)
    for index, contact in enumerate(contacts):
        status = "opened" if index < 3 else "sent"
        if index == 10:
            status = "skipped"
        if index == 11:
            status = "pending"
        AnnouncementRecipient.objects.create(
            announcement=announcement,
            organization=org,
            contact=contact,
            status=status,
            sent_at=sent if status in ("sent", "opened") else None,
            opened_at=sent + dt.timedelta(hours=2) if status == "opened" else None,
        )


def adjusted_se(p: int, d: int, n: int) -> float:
    """DESIGN.md under 30 answers: adjusted Wald (3/4 added to P and to D, 3 to n)."""
    pp, dd = (p + 0.75) / (n + 3), (d + 0.75) / (n + 3)
    return 100 * math.sqrt(((pp + dd) - (pp - dd) ** 2) / (n + 3))


def test_customers_told_and_their_score_change(personas: Personas) -> None:
    made = _themes_and_initiatives(personas)
    org = personas.org
    contacts = [make_contact(org, email=f"c{i}@example.test") for i in range(12)]
    initiative = made["shipped"]
    assert isinstance(initiative, Initiative)
    _tell(personas, initiative, contacts)
    survey = survey_for(org)
    told = [c.pk for c in contacts[:10]]
    # before being told: 2 promoters, 3 passives, 5 detractors (NPS -30)
    answers_on_days(
        survey, first=D(2025, 10, 1), last=D(2025, 10, 10),
        promoters=2, passives=3, detractors=5, contact_ids=told, seed="b",
    )  # fmt: skip
    # after: 6 promoters, 3 passives, 1 detractor (NPS 50)
    answers_on_days(
        survey, first=D(2025, 11, 5), last=D(2025, 11, 20),
        promoters=6, passives=3, detractors=1, contact_ids=told, seed="a",
    )  # fmt: skip
    # not counted: a contact whose message was skipped, an answer over a year before, a stranger
    answers_on_days(
        survey, first=D(2025, 11, 5), last=D(2025, 11, 5),
        promoters=0, passives=0, detractors=3, contact_ids=[contacts[10].pk],
    )  # fmt: skip
    answers_on_days(
        survey, first=D(2024, 9, 1), last=D(2024, 9, 1),
        promoters=0, passives=0, detractors=4, contact_ids=[contacts[0].pk],
    )  # fmt: skip
    answers_on_days(
        survey, first=D(2025, 11, 6), last=D(2025, 11, 6), promoters=0, passives=0, detractors=5
    )
    figures = loop_figures(organization=org, today=TODAY)
    assert (figures.told, figures.opened) == (10, 3)
    assert figures.told_before is not None and figures.told_after is not None
    assert (figures.told_before.n, figures.told_after.n) == (10, 10)
    assert figures.told_before.value == pytest.approx(-30.0)
    assert figures.told_after.value == pytest.approx(50.0)
    change = figures.told_change
    assert change is not None and change.difference == pytest.approx(80.0)
    margin = 1.96 * math.sqrt(adjusted_se(2, 5, 10) ** 2 + adjusted_se(6, 1, 10) ** 2)
    assert change.margin_of_error == pytest.approx(margin)
    assert change.exceeds_noise == (margin < 80.0)
    data = loop_figures_data(figures)
    assert data["customers_told"] == 10 and data["customers_opened"] == 3
    assert data["told_nps_before"]["n"] == 10 and data["told_nps_difference"] == 80.0


def test_too_few_answers_after_being_told_are_hidden(personas: Personas) -> None:
    made = _themes_and_initiatives(personas)
    org = personas.org
    contacts = [make_contact(org, email=f"h{i}@example.test") for i in range(12)]
    initiative = made["shipped"]
    assert isinstance(initiative, Initiative)
    _tell(personas, initiative, contacts)
    survey = survey_for(org)
    told = [c.pk for c in contacts[:10]]
    answers_on_days(
        survey, first=D(2025, 10, 1), last=D(2025, 10, 10),
        promoters=5, passives=3, detractors=2, contact_ids=told,
    )  # fmt: skip
    answers_on_days(
        survey, first=D(2025, 11, 5), last=D(2025, 11, 6),
        promoters=3, passives=0, detractors=0, contact_ids=told,
    )  # fmt: skip
    figures = loop_figures(organization=org, today=TODAY)
    assert figures.told_after is not None and figures.told_after.n == 3
    assert figures.told_after_hidden and figures.told_change is None
    data = loop_figures_data(figures)
    assert data["told_nps_after"] == {"value": None, "n": 3, "margin": None, "hidden": True}


def test_an_empty_organization_has_no_figures(personas: Personas) -> None:
    figures = loop_figures(organization=personas.org)
    assert figures.detractor_count == 0 and figures.share_with_initiative is None
    assert figures.median_days_to_initiative is None and figures.told == 0
    page = personas.client_for(personas.viewer).get(
        reverse("accounts:org_home", args=[personas.org.slug])
    )
    assert page.status_code == 200
    assert "No detractor themes in this period." in page.content.decode()


def test_the_cx_overview_shows_the_loop_figures(personas: Personas) -> None:
    from closeloop.initiatives.impact import local_today

    org = personas.org
    today = local_today(org)
    late, price = theme_for(org, "late-delivery-x"), theme_for(org, "price-x")
    _comments(org, late, today - dt.timedelta(days=20), 6, 2, "l")
    _comments(org, price, today - dt.timedelta(days=15), 6, 3, "p")
    _comments(org, theme_for(org, "staff-x"), today - dt.timedelta(days=15), 6, 10, "s")
    _initiative(personas, today - dt.timedelta(days=8), title="Faster couriers", themes=[late])
    cache.clear()
    client = personas.client_for(personas.viewer)
    home = client.get(reverse("accounts:org_home", args=[org.slug])).content.decode()
    assert 'data-testid="loop-figures"' in home
    assert "1 of 2 themes (n = 2)" in home and "50%" in home
    assert "12 days" in home  # from the first comment to the initiative
    overview = client.get(reverse("analytics:overview", args=[org.slug]))
    assert overview.status_code == 200
    assert "1 of 2 themes (n = 2)" in overview.content.decode()
