"""The idea portal in Chromium with a real SMTP server: a visitor proposes an idea and
confirms it from the emailed link; a second visitor votes (confirming by email); staff approve
it, plan it, then ship it with a public reply; voter and author get the shipped email; the
portal shows the status and the reply."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.initiatives.models import Idea
from closeloop.initiatives.tests.ideas_helpers import open_portal
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

CONFIRM = re.compile(r"(http://\S+/ideas/\S+/confirm/\S+)")


def _text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def _link(live_smtp: SmtpServer, address: str) -> str:
    run_ready_tasks()
    [message] = [m for m in live_smtp.sink.to(address) if "Confirm" in str(m["Subject"])][-1:]
    match = CONFIRM.search(_text(message))
    assert match, _text(message)
    return match.group(1)


def test_idea_from_proposal_to_shipped(
    transactional_db: None,
    personas: Personas,
    live_smtp: SmtpServer,
    live_server: Any,
    browser: Any,
    artifacts: Path,
) -> None:
    cache.clear()
    org = personas.org
    open_portal(org, moderate_ideas=True, accent_color="#1f6f5c",
                intro={"en": "Tell us what would make your coffee better."})  # fmt: skip
    portal_url = f"{live_server.url}/ideas/{org.slug}/"

    # 1. A visitor proposes an idea on a phone-sized screen and confirms from the email.
    author_ctx = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    author_ctx.set_default_timeout(15_000)
    author = author_ctx.new_page()
    author.goto(portal_url + "?lang=en")
    author.get_by_role("link", name="Propose an idea").click()
    author.get_by_label("Your idea in a few words").fill("Oat milk for every drink")
    author.get_by_label("Tell us more (optional)").fill("Many of us avoid dairy.")
    author.get_by_label("Your name").fill("Mina")
    author.get_by_label("Your email").fill("mina@example.kr")
    with author.expect_navigation():
        author.get_by_role("button", name="Send my idea").click()
    assert author.get_by_text("Check your email").is_visible()
    author.goto(_link(live_smtp, "mina@example.kr"))
    with author.expect_navigation():
        author.get_by_role("button", name="Confirm").click()
    assert author.get_by_test_id("note").get_by_text("awaiting review").is_visible()
    idea = Idea.objects.get(organization=org)
    assert idea.status == "pending"

    # 2. Staff approve it from the moderation queue.
    staff_ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    staff_ctx.set_default_timeout(15_000)
    login(staff_ctx, live_server, personas.agent)
    staff = staff_ctx.new_page()
    staff.goto(f"{live_server.url}/o/{org.slug}/ideas/moderation/")
    assert staff.get_by_text("Oat milk for every drink").is_visible()
    with staff.expect_navigation():
        staff.get_by_role("button", name="Approve").first.click()
    idea.refresh_from_db()
    assert idea.status == "open"

    # 3. A second visitor votes, confirming by email.
    voter_ctx = browser.new_context(locale="en-US")
    voter_ctx.set_default_timeout(15_000)
    voter = voter_ctx.new_page()
    voter.goto(portal_url + "?lang=en")
    with voter.expect_navigation():
        voter.get_by_role("button", name=re.compile("Vote")).first.click()
    voter.get_by_label("Your name").fill("Joe")
    voter.get_by_label("Your email").fill("joe@example.com")
    with voter.expect_navigation():
        voter.get_by_role("button", name="Email me the link").click()
    voter.goto(_link(live_smtp, "joe@example.com"))
    with voter.expect_navigation():
        voter.get_by_role("button", name="Confirm").click()
    assert voter.get_by_text("Your vote is counted.").is_visible()
    assert voter.get_by_test_id("votes").inner_text() == "1"

    # 4. Staff plan it, then ship it with a public reply.
    staff.goto(f"{live_server.url}/o/{org.slug}/ideas/")
    staff.get_by_role("link", name="Oat milk for every drink").click()
    staff.get_by_label("New status").select_option("planned")
    staff.get_by_role("textbox", name="Public reply").fill("We are testing oat milk suppliers.")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Set status and notify voters").click()
    assert staff.get_by_text("Status set to Planned").is_visible()
    staff.get_by_label("New status").select_option("shipped")
    staff.get_by_role("textbox", name="Public reply").fill("Oat milk is now free with every drink.")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Set status and notify voters").click()
    staff.screenshot(path=str(artifacts / "ideas-staff-detail.png"), full_page=True)

    # 5. Both voter and author receive the shipped email through SMTP.
    run_ready_tasks()
    for address in ("joe@example.com", "mina@example.kr"):
        shipped = [m for m in live_smtp.sink.to(address) if "Shipped" in str(m["Subject"])]
        assert len(shipped) == 1, [str(m["Subject"]) for m in live_smtp.sink.to(address)]
        body = _text(shipped[0])
        assert "Oat milk is now free with every drink." in body
        assert f"/ideas/{org.slug}/{idea.number}/" in body
        assert shipped[0]["List-Unsubscribe"]

    # 6. The portal shows the status and the reply.
    voter.goto(f"{portal_url}{idea.number}/?lang=en")
    assert voter.get_by_test_id("status").inner_text().strip() == "Shipped"
    assert voter.get_by_test_id("public-reply").get_by_text("Oat milk is now free").is_visible()
    voter.screenshot(path=str(artifacts / "ideas-portal-idea.png"), full_page=True)
    author.goto(portal_url + "?lang=en")
    author.screenshot(path=str(artifacts / "ideas-portal-home-phone.png"), full_page=True)
