"""The priority matrix drawn by plotly in Chromium, from our own origin, under the page's CSP."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from closeloop.analytics.tests.drivers_factories import add_responses, drivers_survey
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"


def test_matrix_is_drawn_on_a_phone(
    transactional_db: None, personas: Personas, live_server: Any, browser: Any
) -> None:
    survey = drivers_survey(personas.org)
    add_responses(survey, 80)
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    login(context, live_server, personas.viewer)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    url = reverse("analytics:drivers", kwargs={"org_slug": personas.org.slug})

    page.goto(f"{live_server.url}{url}?survey={survey.pk}")

    page.wait_for_selector("[data-drivers-chart][data-drawn=true] .scatterlayer .point")
    points = page.locator("[data-drivers-chart] .scatterlayer .point").count()
    assert points == 6  # every driver with a performance
    assert page.get_by_text("Delivery speed explains the most of NPS").is_visible()
    assert page.locator("[data-testid=drivers-table]").is_visible()
    assert all(r.startswith(live_server.url) for r in requests), requests
    assert not problems, problems
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "drivers-phone.png"), full_page=True)
    context.close()
