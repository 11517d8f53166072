"""The business metrics bars drawn by plotly in Chromium, from our own origin, under the CSP."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.urls import reverse

from closeloop.analytics.tests.test_business import population
from closeloop.analytics.tests.test_drivers_browser import ARTIFACTS
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def test_business_chart_is_drawn_on_a_phone(
    transactional_db: None, personas: Personas, live_server: Any, browser: Any
) -> None:
    population(personas)
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    login(context, live_server, personas.viewer)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(f"{live_server.url}{reverse('analytics:business', args=[personas.org.slug])}")

    page.wait_for_selector("[data-business-chart][data-drawn=true] .barlayer .point")
    assert page.locator("[data-business-chart] .barlayer .point").count() == 6  # 2 series x 3
    assert page.locator("[data-testid=business-table]").is_visible()
    assert page.locator("[data-testid=revenue-at-risk]").is_visible()
    assert all(r.startswith(live_server.url) for r in requests), requests
    assert not problems, problems
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "business-phone.png"), full_page=True)
    context.close()
