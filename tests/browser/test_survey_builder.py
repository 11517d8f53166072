"""An analyst builds a survey in Chromium: from a template, reorders with the keyboard, previews
on a phone-sized frame and publishes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from closeloop.accounts.choices import Role
from closeloop.accounts.services import organization_create
from closeloop.accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from closeloop.surveys.models import Survey, SurveyVersion

pytestmark = pytest.mark.browser


def _keys(survey: Survey) -> list[str]:
    version = SurveyVersion.objects.filter(survey=survey).order_by("-number").first()
    assert version is not None
    return [q["key"] for page in version.definition["pages"] for q in page["questions"]]


def test_build_reorder_preview_publish(
    page: Any, live_server: Any, artifacts: Path, transactional_db: None
) -> None:
    owner = UserFactory(email="owner@builder.test")
    org = organization_create(name="Builder Cafe", owner=owner, time_zone="Asia/Seoul")
    analyst = UserFactory(email="analyst@builder.test")
    MembershipFactory(organization=org, user=analyst, role=Role.ANALYST)
    base = live_server.url

    page.goto(f"{base}/login/")
    page.fill("input[name=username]", analyst.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()

    page.goto(f"{base}/o/{org.slug}/surveys/")
    page.get_by_test_id("new-survey").click()
    page.fill("input[name=name]", "Onboarding check-in")
    page.locator("input[name=source][value=csat_support]").check()
    page.locator("input[name=languages][value=en]").check()
    page.locator("input[name=languages][value=ko]").uncheck()
    page.locator("input[name=languages][value=th]").uncheck()
    page.get_by_role("button", name="Create survey").click()
    page.wait_for_load_state()
    assert "/surveys/" in page.url and "tab=questions" in page.url, page.url
    survey = Survey.objects.get(organization=org, name="Onboarding check-in")
    before = _keys(survey)
    assert len(before) >= 2

    # Keyboard-only reorder: focus the first question's move-down button and press Enter.
    first = before[0]
    page.locator(f"#down-{first}").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "key => document.querySelector('.question-card')?.dataset.key !== key", arg=first
    )
    after = _keys(survey)
    assert after.index(first) == before.index(first) + 1, (before, after)
    # htmx swapped the builder in place and kept the focus on the same button
    assert page.evaluate("document.activeElement && document.activeElement.id") == f"down-{first}"

    # Drag and drop: drag the first card below the last one on its page; the order is posted.
    cards = page.locator(".question-list").first.locator(":scope > .question-card")
    dragged_key = cards.first.get_attribute("data-key")
    box = cards.last.bounding_box()
    assert box is not None
    cards.first.drag_to(cards.last, target_position={"x": 20, "y": box["height"] - 8})
    page.wait_for_function(
        "key => document.querySelector('.question-list > .question-card:last-child')"
        "?.dataset.key === key && !document.querySelector('.dragging')",
        arg=dragged_key,
    )
    page.wait_for_load_state("networkidle")
    count = page.locator(".question-list").first.locator(":scope > .question-card").count()
    assert _keys(survey)[count - 1] == dragged_key, _keys(survey)

    # Add a question from the type menu and give it a title.
    page.locator("details.add-menu summary").first.click()
    page.get_by_test_id("add-rating").first.click()
    editor = page.get_by_test_id("question-editor")
    editor.wait_for()
    editor.locator("textarea[name=title]").fill("How would you rate the onboarding?")
    editor.get_by_role("button", name="Save question").click()
    page.get_by_text("How would you rate the onboarding?").wait_for()
    page.screenshot(path=str(artifacts / "builder.png"), full_page=True)

    # Preview on a phone-sized frame.
    page.get_by_role("link", name="Preview").click()
    page.wait_for_load_state()
    page.get_by_test_id("preview-desktop").click()
    page.get_by_test_id("preview-phone").click()
    frame_box = page.get_by_test_id("preview-frame").bounding_box()
    assert frame_box is not None and 380 <= frame_box["width"] <= 400, frame_box
    frame = page.frame_locator("#preview-frame")
    frame.get_by_test_id("preview-note").wait_for()
    frame.locator("h1").first.wait_for()
    page.screenshot(path=str(artifacts / "builder-preview-phone.png"), full_page=True)

    # Publish.
    page.go_back()
    page.wait_for_load_state()
    page.get_by_test_id("publish-link").click()
    page.wait_for_load_state()
    page.get_by_test_id("publish").click()
    page.wait_for_load_state()
    assert "/versions/" in page.url, page.url
    survey.refresh_from_db()
    assert survey.status == "active" and survey.current_version is not None
    assert page.get_by_test_id("public-url").inner_text().endswith(f"/s/{survey.public_token}/")
    assert not Survey.objects.filter(organization=org).exclude(pk=survey.pk).exists()
