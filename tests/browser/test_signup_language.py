"""A person signs up, logs out, logs back in, switches the interface to Korean and sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

pytestmark = pytest.mark.browser

EMAIL = "jisoo@cafe.test"
PASSWORD = "correct-horse-battery-staple"


def _submit(page: Any) -> None:
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_signup_login_and_korean_navigation(
    page: Any, live_server: Any, artifacts: Path, transactional_db: None
) -> None:
    base = live_server.url

    page.goto(f"{base}/signup/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=full_name]", "Kim Jisoo")
    page.fill("input[name=password1], input[name=password]", PASSWORD)
    page.fill("input[name=password2], input[name=password_confirm]", PASSWORD)
    page.fill("input[name=organization_name]", "Jisoo's Cafe")
    _submit(page)
    assert "/o/" in page.url, page.content()
    org_home = page.url

    page.locator("details.usermenu summary").click()
    page.locator("details.usermenu button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login/" in page.url

    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    _submit(page)
    assert "/login/" not in page.url, page.content()

    page.goto(f"{base}/profile/")
    page.select_option("select[name=language]", "ko")
    _submit(page)

    page.goto(org_home)
    assert page.locator("html").get_attribute("lang") == "ko"
    page.screenshot(path=str(artifacts / "korean-navigation.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts / "org-home-phone.png"), full_page=True)

    with translation.override("ko"):
        members_ko = translation.gettext("Members")
    assert members_ko != "Members", "compile the catalogs first (scripts/test does)"
    nav = page.locator("nav#mainnav")
    assert nav.get_by_text(members_ko, exact=True).count() == 1
    assert nav.get_by_text("Members", exact=True).count() == 0
