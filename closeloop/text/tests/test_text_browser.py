"""The explorer in Chromium: a Korean word and a Thai word typed in the search box find their
comments, with the matched words highlighted, on a phone-sized screen."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from closeloop.text.tests.ui_factories import add_comments, days_ago
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"


def test_search_a_korean_and_a_thai_word_with_highlights(
    transactional_db: None, personas: Personas, live_server: Any, browser: Any
) -> None:
    add_comments(
        personas.org,
        [
            {"text": "배송이 너무 늦었어요 ㅠㅠ", "score": 3, "answered_at": days_ago(3)},
            {"text": "커피 맛이 정말 좋아요", "score": 10, "answered_at": days_ago(2)},
            {"text": "ส่งช้ามากครับ รอเกือบชั่วโมง", "score": 2, "answered_at": days_ago(1)},
            {"text": "กาแฟอร่อยมาก พนักงานน่ารัก", "score": 9, "answered_at": days_ago(0)},
        ],
    )
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    login(context, live_server, personas.viewer)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    url = reverse("text:comments", kwargs={"org_slug": personas.org.slug})
    page.goto(f"{live_server.url}{url}")
    assert page.locator("[data-testid=comment]").count() == 4

    search = page.locator("input[type=search]")
    search.fill("늦게")  # "late": finds 늦었어요 ("was late")
    search.press("Enter")
    page.wait_for_url("**q=*")
    comments = page.locator("[data-testid=comment]")
    assert comments.count() == 1
    marks = comments.first.locator("mark")
    assert marks.all_inner_texts() == ["늦었어요"]
    assert marks.first.is_visible()
    assert comments.first.locator(".comment-text").inner_text() == "배송이 너무 늦었어요 ㅠㅠ"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "text-explorer-korean.png"), full_page=True)

    search = page.locator("input[type=search]")
    search.fill("ช้า")  # "slow", inside the unspaced run ส่งช้ามากครับ
    search.press("Enter")
    page.wait_for_url("**q=%E0%B8%8A*")
    comments = page.locator("[data-testid=comment]")
    assert comments.count() == 1
    assert comments.first.locator("mark").all_inner_texts() == ["ช้า"]
    background = comments.first.locator("mark").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert background == "rgb(255, 229, 138)"
    page.screenshot(path=str(ARTIFACTS / "text-explorer-thai.png"), full_page=True)

    assert all(r.startswith(live_server.url) for r in requests), requests
    assert not problems, problems
    context.close()
