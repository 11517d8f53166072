"""The CX overview in Chromium: the widgets load one by one, plotly (served from our own origin)
draws the charts under the page's CSP, a page filter changes what they show, and on a 390px
phone the page does not scroll sideways (tables scroll inside their card). Its printable report:
every chart drawn, the print button waits for the charts, and Chromium's PDF of it has pages.

(One module for both: Playwright's sync API runs once per session fixture, which each module
importing it would start anew.)"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from closeloop.analytics.dashboards.services import share_link_create
from closeloop.analytics.models import Dashboard, DashboardKind
from closeloop.analytics.tests.dashboards_factories import answer, touchpoint, visit_survey
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def test_overview_draws_charts_filters_and_fits_a_phone(
    transactional_db: None,
    personas: Personas,
    live_server: Any,
    browser: Any,
    artifacts: Path,
) -> None:
    org = personas.org
    survey = visit_survey(org)
    points = [touchpoint(org, key, name) for key, name in (
        ("online", "Online shop"), ("gangnam", "Gangnam store"), ("airport", "Airport kiosk"),
    )]  # fmt: skip
    for n in range(60):
        answer(
            survey,
            days_ago=1 + (n * 7) % 80,
            touchpoint=points[0 if n % 5 < 3 else 1],  # 36 online, 24 in the store
            channel="email" if n % 3 else "qr",
            rec=(10, 9, 8, 6, 3, 10)[n % 6],
            sat=(5, 4, 2)[n % 3],
            easy=(7, 6, 3)[n % 3],
            why=("Great beans, slow delivery", "배송이 너무 늦어요", "พนักงานน่ารักมาก")[n % 3],
        )
    answer(survey, days_ago=2, touchpoint=points[2], rec=0)  # a group of one: hidden

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    errors: list[str] = []
    login(context, live_server, personas.viewer)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/o/{org.slug}/analytics/")
    page.wait_for_selector('[data-testid="widget-trend"] .chart.drawn')
    page.wait_for_selector('[data-testid="widget-breakdown"] .chart.drawn svg.main-svg')
    # every other widget arrives on its own (htmx, one request each)
    page.wait_for_function("() => !document.querySelector('[data-testid=widget-placeholder]')")
    # the trend's table folds away once the chart is drawn, one click from view
    numbers = page.locator('[data-testid="widget-trend"] details[data-numbers]')
    assert numbers.get_attribute("open") is None
    bars = page.locator('[data-testid="widget-breakdown"] .chart').inner_text()
    # the kiosk (1 response) is hidden, and the store too: total minus online would reveal it
    assert "Online shop" in bars and "Airport kiosk" not in bars and "Gangnam" not in bars
    assert "fewer than 5 responses" in page.locator('[data-testid="widget-breakdown"]').inner_text()
    assert "n = 61" in page.locator('[data-testid="widget-metric_card"]').first.inner_text()
    page.screenshot(path=str(artifacts / "dashboard-overview.png"), full_page=True)

    # a page filter: only email answers
    page.select_option("select[name=channel]", "email")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    assert "channel=email" in page.url
    page.wait_for_selector('[data-testid="widget-trend"] .chart.drawn')
    assert page.locator("select[name=channel]").input_value() == "email"
    card = page.locator('[data-testid="widget-metric_card"]').first
    assert "n = 40" in card.inner_text()

    # the numbers behind the card are one click away
    card.locator("summary").click()
    assert card.locator("table").is_visible()

    # a phone: the page body does not scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    # plotly's charts resize on the window's resize event
    page.wait_for_function(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    page.screenshot(path=str(artifacts / "dashboard-overview-phone.png"), full_page=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "dashboard-overview-phone-top.png"))
    page.locator('[data-testid="widget-trend"]').scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dashboard-overview-phone-trend.png"))

    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    assert not errors, errors
    context.close()

    # the same dashboard through a secret link, in a browser that is not signed in
    board = Dashboard.objects.get(organization=org, kind=DashboardKind.OVERVIEW)
    _link, token = share_link_create(dashboard=board, actor=personas.owner)
    stranger = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    stranger.set_default_timeout(20_000)
    public = stranger.new_page()
    public.on("pageerror", lambda e: errors.append(str(e)))
    public.goto(f"{live_server.url}/d/{token}/")
    public.wait_for_selector('[data-testid="widget-trend"] .chart.drawn')
    assert public.locator("nav").count() == 0
    public.screenshot(path=str(artifacts / "dashboard-shared-phone.png"))
    assert not errors, errors
    stranger.close()


# Stands in for the browser's print dialog: counts the calls and how many charts were still
# undrawn at the moment of printing.
PRINT_SPY = """
window.__prints = [];
window.print = function () {
  window.__prints.push(document.querySelectorAll("[data-chart]:not(.drawn)").length);
};
"""


def test_report_draws_every_chart_then_prints_to_a_pdf(
    transactional_db: None,
    personas: Personas,
    live_server: Any,
    browser: Any,
    artifacts: Path,
) -> None:
    org = personas.org
    org.time_zone = "Asia/Seoul"
    org.save(update_fields=["time_zone"])
    survey = visit_survey(org)
    shop, store = touchpoint(org, "online", "Online shop"), touchpoint(org, "store", "Gangnam")
    for n in range(40):
        answer(
            survey,
            days_ago=1 + (n * 5) % 80,
            touchpoint=shop if n % 4 else store,
            channel="email",
            rec=(10, 9, 8, 6, 3)[n % 5],
            sat=(5, 4, 2)[n % 3],
            easy=(7, 6, 3)[n % 3],
            why=("Great beans, slow delivery", "배송이 너무 늦어요", "พนักงานน่ารักมาก")[n % 3],
        )
    answer(survey, days_ago=2, touchpoint=touchpoint(org, "kiosk", "Airport kiosk"), rec=0)

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    context.add_init_script(PRINT_SPY)
    errors: list[str] = []
    login(context, live_server, personas.viewer)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/o/{org.slug}/analytics/")
    with page.expect_navigation():
        page.get_by_test_id("report-link").click()
    assert re.search(r"/analytics/dashboards/[0-9a-f-]+/report/\?", page.url)
    page.wait_for_selector("body[data-charts-ready=yes]")
    charts = page.locator("[data-chart]")
    assert charts.count() == 2  # the trend and the breakdown
    assert page.locator("[data-chart].drawn").count() == charts.count()
    assert page.locator("[data-chart].drawn:has(svg.main-svg)").count() == charts.count()
    assert page.get_by_text("Ready to print.").is_visible()

    card = page.locator('[data-testid="widget-metric_card"]').first
    card_text = card.inner_text()
    assert "n = 41" in card_text and "margin of error" in card_text
    assert card.locator("table").is_visible()  # the two periods, unfolded
    assert "fewer than 5 responses" in page.locator('[data-testid="widget-breakdown"]').inner_text()
    assert "(Asia/Seoul)" in page.get_by_test_id("report-generated").inner_text()

    button = page.get_by_role("button", name="Print or save as PDF")
    assert button.is_enabled()
    button.click()
    assert page.evaluate("window.__prints") == [0]  # printed once, with every chart drawn
    page.screenshot(path=str(artifacts / "dashboard-report.png"), full_page=True)

    # on paper: no tools or navigation; the same numbers
    page.emulate_media(media="print")
    assert not page.get_by_test_id("report-tools").is_visible()
    assert page.locator("nav").count() == 0
    assert "n = 41" in card.inner_text()
    page.set_viewport_size({"width": 703, "height": 1077})  # A4 less its margins, at 96 dpi
    page.screenshot(path=str(artifacts / "dashboard-report-print.png"), full_page=True)
    pdf_path = artifacts / "dashboard-report.pdf"
    pdf = page.pdf(path=str(pdf_path), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-") and pdf_path.stat().st_size > 20_000
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 2, pages

    assert not errors, errors
    context.close()
