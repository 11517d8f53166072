"""Telling the customers, in Chromium: a shipped initiative linked to a theme that a Korean and
an English customer wrote about (and one who unsubscribed); the composer edits the Korean
subject and sends; a real SMTP server receives each customer's message in their language, with
their name and what they said, and nothing for the unsubscribed one; the page shows the counts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from closeloop.contacts.services import contact_unsubscribe
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.initiatives.models import Announcement
from closeloop.initiatives.tests.announce_factories import make_initiative, make_theme, person, say
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def _plain(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def test_shipped_initiative_announced_in_each_language(
    transactional_db: None,
    personas: Personas,
    live_smtp: SmtpServer,
    live_server: Any,
    browser: Any,
    artifacts: Path,
) -> None:
    org = personas.org
    initiative = make_initiative(
        org, title="Fresh beans, every order",
        description="Beans now leave the roastery within 24 hours of roasting.",
    )  # fmt: skip
    theme = make_theme(org, "freshness")
    initiative.themes.add(theme)
    jiwoo = person(org, "jiwoo@example.kr", "지우", "ko")
    emma = person(org, "emma@example.com", "Emma", "en")
    quiet = person(org, "quiet@example.com", "Quinn", "en")
    say(org, jiwoo, theme, "원두가 너무 오래된 것 같아요. 향이 없어요.")
    say(org, emma, theme, "The beans tasted stale when they arrived.")
    say(org, quiet, theme, "Stale again.")
    contact_unsubscribe(contact=quiet, via="link")

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(15_000)
    login(context, live_server, personas.owner)
    page = context.new_page()
    page.goto(f"{live_server.url}/o/{org.slug}/initiatives/{initiative.pk}/")
    tell = page.locator(f"a[href$='/announcements/new/{initiative.pk}/']")
    if tell.count():  # the initiative page's "Tell the customers" panel
        tell.first.click()
        page.wait_for_url("**/announcements/new/**")
    else:  # the initiative page is not there yet: open the compose page directly
        page.goto(f"{live_server.url}/o/{org.slug}/announcements/new/{initiative.pk}/")
    recipients = page.get_by_test_id("planned-recipients")
    assert recipients.get_by_text("jiwoo@example.kr").is_visible()
    assert (
        recipients.locator("tr[data-email='quiet@example.com']")
        .get_by_text("Unsubscribed")
        .is_visible()
    )
    korean = page.get_by_test_id("language-ko")
    assert korean.is_visible() and page.get_by_test_id("language-en").is_visible()
    assert page.get_by_test_id("language-th").count() == 0
    korean.get_by_label("Subject (Korean)").fill("{{ first_name }}님, 이제 원두가 신선해요")
    korean.get_by_label("What changed (Korean)").fill(
        "이제 로스팅 후 24시간 안에 원두를 보내 드립니다."
    )
    page.screenshot(path=str(artifacts / "announce-compose.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_test_id("send-now").click()
    announcement = Announcement.objects.get(initiative=initiative)
    assert announcement.status == "sending"

    run_ready_tasks()  # the announcement task, then the outbox sends to the SMTP server

    [ko] = live_smtp.sink.to("jiwoo@example.kr")
    assert str(ko["Subject"]) == "지우님, 이제 원두가 신선해요"
    ko_text = _plain(ko)
    assert "지우님, 안녕하세요." in ko_text
    assert "원두가 너무 오래된 것 같아요" in ko_text and "24시간 안에" in ko_text
    assert ko["List-Unsubscribe"] and ko["Content-Language"] == "ko"
    assert "Acme Coffee" in str(ko["From"])
    [en] = live_smtp.sink.to("emma@example.com")
    assert str(en["Subject"]) == "You told us — here is what we changed"
    en_text = _plain(en)
    assert "Hi Emma," in en_text and "The beans tasted stale when they arrived." in en_text
    assert "within 24 hours of roasting" in en_text
    assert live_smtp.sink.to("quiet@example.com") == []

    page.reload()
    progress = page.get_by_test_id("announcement-progress")
    assert progress.get_attribute("data-status") == "sent"
    assert page.get_by_test_id("count-sent").inner_text() == "2"
    assert page.get_by_test_id("count-skipped").inner_text() == "1"
    skipped_row = page.locator("tr[data-status='skipped']")
    assert skipped_row.get_by_text("Unsubscribed").is_visible()
    page.screenshot(path=str(artifacts / "announce-detail.png"), full_page=True)
    context.close()
