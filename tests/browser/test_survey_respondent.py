"""A respondent takes a real survey in Chromium: Korean on a phone, interrupted and resumed, the
one-click NPS link, keyboard only, and an axe-core check for WCAG 2.1 AA."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from closeloop.responses.choices import ResponseStatus
from closeloop.responses.models import Response
from closeloop.responses.testing import (
    every_type_definition,
    feedback_definition,
    publish_survey,
)
from closeloop.surveys.models import Survey
from conftest import Personas

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def survey(transactional_db: None, personas: Personas) -> Iterator[Survey]:
    cache.clear()
    yield publish_survey(personas.org, feedback_definition())
    cache.clear()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def survey_url(live_server: Any, survey: Survey, query: str = "") -> str:
    return f"{live_server.url}/s/{survey.public_token}/" + (f"?{query}" if query else "")


def current_page_key(page: Any) -> str:
    return str(page.locator("input[name=_page]").get_attribute("value"))


def click_next(page: Any) -> None:
    with page.expect_navigation():
        page.locator("button[value=next]").click()


def test_korean_phone_interrupted_resumed_and_completed(
    survey: Survey, live_server: Any, new_context: Any, artifacts: Path
) -> None:
    context = new_context(
        locale="ko-KR", viewport=PHONE, extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"}
    )
    page = context.new_page()
    page.goto(survey_url(live_server, survey))
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.get_by_text("저희를 추천하실 가능성은 얼마나 되나요?").is_visible()
    page.screenshot(path=str(artifacts / "survey-ko-phone-page1.png"), full_page=True)

    page.locator("label[for=q-q1-5]").click()
    page.get_by_label("이름").fill("민아")
    click_next(page)
    assert current_page_key(page) == "improve"
    saved = Response.objects.get()
    assert saved.answers == {"q1": 5, "name": "민아"} and saved.language == "ko"

    # Interrupted: the tab is closed, and the link opened again later in the same browser.
    page.close()
    page = context.new_page()
    page.goto(survey_url(live_server, survey))
    assert current_page_key(page) == "improve"
    assert page.get_by_text("민아님, 더 하실 말씀이 있나요?").is_visible()
    assert page.locator("progress").get_attribute("value") == "33"
    page.screenshot(path=str(artifacts / "survey-ko-phone-resumed.png"), full_page=True)

    page.get_by_label("속도").check()
    page.get_by_label("직원").check()
    page.locator("textarea[name=q3]").fill("대기 시간이 길었어요")
    click_next(page)
    assert page.get_by_text("의견 감사합니다").is_visible()
    page.screenshot(path=str(artifacts / "survey-ko-phone-ending.png"), full_page=True)

    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETE and response.language == "ko"
    facts = sorted((f.question_key, f.number, f.choice, f.text) for f in response.facts.all())
    assert facts == [
        ("name", None, "", "민아"),
        ("q1", 5.0, "", ""),
        ("q2", None, "speed", ""),
        ("q2", None, "staff", ""),
        ("q3", None, "", "대기 시간이 길었어요"),
    ]
    # Reopening the link shows the ending, not a new survey.
    page.goto(survey_url(live_server, survey))
    assert page.get_by_test_id("already").is_visible()
    assert Response.objects.count() == 1


def test_one_click_nps_link(
    survey: Survey, live_server: Any, new_context: Any, artifacts: Path
) -> None:
    page = new_context(viewport=PHONE).new_page()
    page.goto(survey_url(live_server, survey, "nps=9&source=email"))
    assert current_page_key(page) == "praise"
    assert page.get_by_text("What did you like most?").is_visible()
    page.screenshot(path=str(artifacts / "survey-one-click.png"), full_page=True)
    response = Response.objects.get()
    assert response.answers == {"q1": 9} and response.hidden == {"source": "email"}


def test_keyboard_only_nps(survey: Survey, live_server: Any, new_context: Any) -> None:
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(survey_url(live_server, survey, "lang=en"))

    # Sending the page empty moves focus to the error summary.
    page.keyboard.press("Tab")
    for _ in range(20):
        if page.evaluate("document.activeElement.value") == "next":
            break
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.className") == "summary"
    assert not Response.objects.exists()

    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "q1":
            break
    assert page.evaluate("document.activeElement.name") == "q1"
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.value") == "8"
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.value") == "next":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert current_page_key(page) == "improve"
    assert Response.objects.get().answers["q1"] == 8


def test_survey_pages_have_no_wcag_aa_violations(
    survey: Survey, live_server: Any, new_context: Any, artifacts: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}
    page = new_context(viewport=PHONE).new_page()

    def check(name: str) -> None:
        results = axe.run(page, options=options)
        assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"

    page.goto(survey_url(live_server, survey, "lang=en"))
    check("page 1")
    click_next(page)  # nothing answered: the page with its error summary
    check("page 1 with errors")
    page.screenshot(path=str(artifacts / "survey-errors.png"), full_page=True)
    page.locator("label[for=q-q1-3]").click()
    click_next(page)
    check("page 2")
    page.goto(survey_url(live_server, survey, "lang=ko"))
    check("page 2 in Korean")

    every = publish_survey(survey.organization, every_type_definition(), name="Every type")
    page.goto(survey_url(live_server, every))
    check("every question type")
    page.screenshot(path=str(artifacts / "survey-every-type.png"), full_page=True)
