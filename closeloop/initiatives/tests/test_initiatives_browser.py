"""In Chromium: an analyst opens a theme, clicks "Create initiative", fills the owner team, the
due date and the target, saves, then moves it to planned, in progress and shipped with the
buttons of its page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from closeloop.initiatives.models import Initiative
from closeloop.initiatives.tests.factories_initiatives import a_team, a_theme
from conftest import Personas
from tests.browser.fixtures import login

pytestmark = pytest.mark.browser


def test_theme_to_shipped_initiative(
    transactional_db: None,
    personas: Personas,
    live_server: Any,
    page: Any,
    artifacts: Path,
) -> None:
    org = personas.org
    theme = a_theme(org)
    product = a_team(org, "product")
    login(page.context, live_server, personas.analyst)

    page.goto(live_server.url + reverse("text:theme", args=[org.slug, theme.pk]))
    with page.expect_navigation():
        page.get_by_test_id("create-initiative").click()
    assert page.locator("#id_title").input_value() == theme.name_in("en")
    assert "It will be linked to" in page.content()
    page.select_option("#id_owner_team", str(product.pk))
    page.fill("#id_due_date", "2031-06-30")
    page.select_option("#id_target_metric", "nps")
    page.fill("#id_expected_change", "6")
    page.fill("#id_description", "Ship orders within two days, tracked from the café.")
    with page.expect_navigation():
        page.get_by_role("button", name="Create initiative").click()

    initiative = Initiative.objects.get(organization=org)
    assert page.url.endswith(reverse("initiatives:detail", args=[org.slug, initiative.pk]))
    assert "I-1" in page.get_by_test_id("initiative-title").inner_text()
    assert product.name in page.get_by_test_id("initiative-facts").inner_text()

    for status, label in (
        ("planned", "Move to Planned"),
        ("in_progress", "Move to In progress"),
        ("shipped", "Move to Shipped"),
    ):
        with page.expect_navigation():
            page.get_by_role("button", name=label).click()
        assert page.get_by_test_id("initiative-status").locator(".badge").first.inner_text()
        initiative.refresh_from_db()
        assert initiative.status == status

    assert initiative.shipped_at is not None
    assert list(initiative.themes.all()) == [theme]
    assert initiative.owner_team == product and str(initiative.due_date) == "2031-06-30"
    status_text = page.get_by_test_id("initiative-status").inner_text()
    assert "Shipped" in status_text and "shipped" in status_text
    assert "Tell the customers" in page.get_by_test_id("tell-customers").inner_text()
    assert "shipped an initiative" in page.get_by_test_id("timeline").inner_text()
    page.screenshot(path=str(artifacts / "initiative_shipped.png"), full_page=True)

    page.goto(live_server.url + reverse("initiatives:board", args=[org.slug]) + "?team=all")
    shipped_col = page.locator('[data-status="shipped"]')
    assert "I-1" in shipped_col.inner_text()
    page.screenshot(path=str(artifacts / "initiative_board.png"), full_page=True)
