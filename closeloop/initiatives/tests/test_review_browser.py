"""The advocacy review in Chromium: a member of the advocacy team opens the review, records a
decision on the costliest theme and sees it listed under the theme and among the decisions; the
page also reads on a phone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from closeloop.initiatives.models import Decision
from closeloop.initiatives.tests.review_factories import theme, world
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def test_record_a_decision_in_the_review(
    transactional_db: None, personas: Personas, live_server: Any, page: Any, artifacts: Path
) -> None:
    w = world(personas)
    member = w.english.user  # the agent: on the advocacy team, English
    login(page.context, live_server, member)
    delivery = theme(w.org, "delivery")

    page.goto(f"{live_server.url}/o/{w.org.slug}/advocacy-review/")
    page.get_by_role("heading", name="Customer advocacy review").wait_for()
    impact = page.get_by_test_id("themes-by-impact")
    assert impact.locator("tbody tr").first.inner_text().startswith("Delivery")
    assert "Marketing" in page.get_by_test_id("uncovered").inner_text()
    page.screenshot(path=str(artifacts / "review-page.png"), full_page=True)
    page.screenshot(path=str(artifacts / "review-top.png"))
    with page.expect_navigation():
        page.get_by_test_id("review-period").get_by_role("link", name="Last 7 days").click()
    assert page.url.endswith("?days=7")
    assert page.get_by_test_id("stat-recovered").inner_text().strip() == "1"  # Ana only

    card = page.locator(f"#theme-{delivery.pk}")
    card.get_by_text("Record decision", exact=True).first.click()
    card.get_by_label("Decision").select_option("escalate")
    card.get_by_label("What was decided").fill("Tech reviews the courier contract this week.")
    with page.expect_navigation():
        card.get_by_role("button", name="Record decision").click()

    card = page.locator(f"#theme-{delivery.pk}")
    decisions = card.get_by_test_id("theme-decisions")
    decisions.get_by_text("Tech reviews the courier contract this week.").wait_for()
    assert "Escalate" in decisions.inner_text()
    listed = page.get_by_test_id("decisions")
    assert "Tech reviews the courier contract this week." in listed.inner_text()
    assert "Decision recorded." in page.inner_text("body")
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(artifacts / "review-decision.png"))
    decision = Decision.objects.get(organization=w.org)
    assert decision.theme == delivery and decision.author == member

    # On a phone: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    page.screenshot(path=str(artifacts / "review-phone.png"), full_page=False)
    # Printed for the meeting: the decision forms and the menu stay off the paper.
    page.emulate_media(media="print")
    assert not page.locator("form[data-testid=decision-form]").first.is_visible()
    assert not page.locator("#mainnav").is_visible()
    page.emulate_media(media="screen")
