"""The impact of a shipped initiative in Chromium: seeded answers whose true effect is known
(NPS 0 before, 40 after), the initiative page draws the weekly chart with plotly from our own
origin under the CSP, the ship date marked and both windows shaded, before and after with n and
± margins; and the CX overview shows the loop-closure figures."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from closeloop.initiatives.impact import local_today
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.tests.impact_factories import (
    answers_on_days,
    comments_on_days,
    local,
    shipped_initiative,
    survey_for,
    theme_for,
)
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

DAY = dt.timedelta(days=1)


def test_impact_chart_and_loop_figures(
    transactional_db: None, personas: Personas, live_server: Any, browser: Any, artifacts: Path
) -> None:
    cache.clear()
    org = personas.org
    ship_day = local_today(org) - 65 * DAY
    survey = survey_for(org)
    answers_on_days(
        survey, first=ship_day - 60 * DAY, last=ship_day - DAY,
        promoters=30, passives=40, detractors=30, seed="before",
    )  # fmt: skip
    answers_on_days(
        survey, first=ship_day, last=ship_day + 59 * DAY,
        promoters=50, passives=40, detractors=10, seed="after",
    )  # fmt: skip
    theme = theme_for(org, "late-delivery", "Late delivery")
    # the theme: 30 of 100 comments before (from detractors), 10 of 100 after
    for first, last, about, tag in (
        (ship_day - 60 * DAY, ship_day - DAY, 30, "b"),
        (ship_day, ship_day + 59 * DAY, 10, "a"),
    ):
        comments_on_days(
            org, first=first, last=last, total=about, about=about, theme=theme, score=2,
            tag=f"{tag}t",
        )  # fmt: skip
        other = theme_for(org, "good-coffee", "Good coffee")
        comments_on_days(
            org, first=first, last=last, total=100 - about, about=0, theme=other, score=10,
            tag=f"{tag}o",
        )  # fmt: skip
    initiative = shipped_initiative(
        org, personas.owner, ship_at=local(org, ship_day, 9), title="Same-day delivery",
        target_metric="nps", target_survey=survey, themes=[theme], expected_change=10,
    )  # fmt: skip
    # made a month before shipping (the services stamp now)
    Initiative.objects.filter(pk=initiative.pk).update(created_at=local(org, ship_day - 30 * DAY))

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    login(context, live_server, personas.owner)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    url = reverse("initiatives:detail", args=[org.slug, initiative.pk])
    page.goto(f"{live_server.url}{url}")
    chart = page.locator("[data-testid=impact-chart]")
    page.wait_for_selector("[data-testid=impact-chart][data-drawn=yes] .main-svg")
    # the weekly points with error bars, two shaded windows and the ship-date line
    assert chart.locator(".scatterlayer .point").count() >= 8
    assert chart.locator(".errorbar").count() >= 8
    assert chart.locator(".shapelayer path").count() >= 3
    shipped_label = chart.locator(".annotation-text", has_text="Shipped")
    assert shipped_label.count() == 1
    assert ship_day.isoformat() in (shipped_label.text_content() or "")

    before = page.locator("[data-testid=impact-before]")
    after = page.locator("[data-testid=impact-after]")
    assert before.locator("[data-testid=figure-value]").inner_text() == "0"
    assert before.locator("[data-testid=figure-margin]").inner_text() == "±15.2 · n = 100"
    assert after.locator("[data-testid=figure-value]").inner_text() == "40"
    assert after.locator("[data-testid=figure-margin]").inner_text() == "±13.0 · n = 100"
    verdict = page.locator("[data-testid=impact-verdict]").inner_text()
    assert verdict == (
        "NPS rose 40 points after shipping (from 0 to 40), more than the margin of error (±20)."
    )
    share_before = page.locator("[data-testid=impact-share-before]").inner_text()
    share_after = page.locator("[data-testid=impact-share-after]").inner_text()
    assert page.locator("[data-testid=impact-share-sentence]").inner_text() == (
        "The theme's share of comments fell 20 percentage points after shipping (from 30% to "
        "10%), more than the margin of error (±10.7)."
    )
    assert "30%" in share_before and "n = 100" in share_before
    assert "10%" in share_after and "n = 100" in share_after
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "impact-initiative.png"), full_page=True)

    # On a phone: the chart is drawn again at the phone's width and nothing overflows the page.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("[data-testid=impact-chart][data-drawn=yes] .main-svg")
    width = page.evaluate("document.querySelector('[data-testid=impact-panel]').scrollWidth")
    assert width <= 390
    page.screenshot(path=str(artifacts / "impact-initiative-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The CX overview on the home page: the theme is a detractor theme with an initiative.
    cache.clear()
    page.goto(f"{live_server.url}{reverse('accounts:org_home', args=[org.slug])}")
    figures = page.locator("[data-testid=loop-figures]")
    figures.wait_for()
    themes_card = page.locator("[data-testid=loop-detractor-themes]").inner_text()
    assert "100%" in themes_card and "1 of 1 themes" in themes_card
    # the theme's first comment came 60 days before shipping, 30 before the initiative
    to_initiative = page.locator("[data-testid=loop-time-to-initiative]").inner_text()
    assert "30 days" in to_initiative and "n = 1" in to_initiative
    to_ship = page.locator("[data-testid=loop-time-to-ship]").inner_text()
    assert "60 days" in to_ship and "n = 1" in to_ship
    figures.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "impact-loop-figures.png"), full_page=True)

    assert all(r.startswith(live_server.url) for r in requests), requests
    assert not problems, problems
    context.close()
