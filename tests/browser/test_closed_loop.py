"""The inner loop in Chromium: a detractor answers an NPS survey from their personal link; the
default automation rule opens a case for Support; the agent opens it, replies (the email reaches
a real SMTP server), resolves it with a root cause; the follow-up email arrives, and following
its "no" link and sending the answer reopens the case."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from closeloop.automation.services import automation_ensure_defaults
from closeloop.cases.models import Case, CaseReply
from closeloop.cases.tests.factories import join_team, support
from closeloop.contacts.models import Contact
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.invitations import invitation_create, invitation_token
from closeloop.distribution.tests.campaigns_factories import SmtpServer, customer, nps_survey
from conftest import Personas
from tests.browser.fixtures import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

FOLLOW_UP_NO = re.compile(r"(http://\S+/cases/f/\S+/\?resolved=no)")


def test_detractor_to_reply_resolve_and_reopen(
    transactional_db: None,
    personas: Personas,
    live_smtp: SmtpServer,
    live_server: Any,
    browser: Any,
    artifacts: Path,
) -> None:
    cache.clear()
    org = personas.org
    automation_ensure_defaults(org)  # "Detractors open a Support case"
    join_team(support(org), personas.membership(personas.agent))
    survey = nps_survey(org)
    hana: Contact = customer(org, "hana@example.kr", "Hana", "en")
    invitation = invitation_create(organization=org, survey=survey, contact=hana, channel="email")
    link = f"{live_server.url}/s/{invitation_token(invitation)}/"

    # 1. The customer answers in a browser of their own.
    customer_context = browser.new_context(locale="en-US")
    customer_context.set_default_timeout(15_000)
    page = customer_context.new_page()
    page.goto(link)
    page.locator("label[for=q-q1-3]").click()
    with page.expect_navigation():
        page.locator("button[value=next]").click()
    page.get_by_label("Speed").check()
    page.locator("textarea[name=q3]").fill("The beans arrived a week late and stale.")
    with page.expect_navigation():
        page.locator("button[value=next]").click()
    assert page.get_by_text("Thanks for your feedback").is_visible()

    # 2. The worker runs the rules: a case for Support, assigned round robin to the agent.
    run_ready_tasks()
    case = Case.objects.get(organization=org)
    assert case.team == support(org) and case.contact == hana and case.original_score == 3
    assert case.assignee == personas.membership(personas.agent)
    assert case.priority == "high" and case.first_response_due_at is not None

    # 3. The agent opens the case from the queue and replies.
    agent_context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    agent_context.set_default_timeout(15_000)
    login(agent_context, live_server, personas.agent)
    agent = agent_context.new_page()
    agent.goto(f"{live_server.url}/o/{org.slug}/cases/?tab=mine")
    agent.get_by_role("link", name=case.title).click()
    agent.wait_for_url(f"**/cases/{case.pk}/")
    assert agent.get_by_test_id("answers").get_by_text("The beans arrived a week late").is_visible()
    agent.get_by_label("Message").fill(
        "Hi {{contact.first_name}},\n\nSorry about the late beans — a fresh bag ships today."
    )
    with agent.expect_navigation():
        agent.get_by_role("button", name="Send reply").click()
    assert agent.get_by_text("Reply sent to hana@example.kr").is_visible()
    run_ready_tasks()
    [reply_email] = live_smtp.sink.to("hana@example.kr")
    text = reply_email.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hi Hana," in text and "a fresh bag ships today" in text
    case.refresh_from_db()
    assert case.first_responded_at is not None and case.status == "waiting_on_customer"
    assert CaseReply.objects.filter(case=case).count() == 1

    # 4. Resolve with a root cause: the follow-up goes out.
    agent.locator("#resolve summary").click()
    agent.get_by_label("Root cause").select_option(label="Delivery delay")
    agent.get_by_label("Resolution note").fill("Courier delay; refunded shipping.")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Resolve case").click()
    case.refresh_from_db()
    assert case.status == "resolved" and case.root_cause is not None
    run_ready_tasks()
    follow_up = [
        m for m in live_smtp.sink.to("hana@example.kr") if "Did we resolve" in str(m["Subject"])
    ]
    assert len(follow_up) == 1
    body = follow_up[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    no_link = FOLLOW_UP_NO.search(body)
    assert no_link is not None

    # 5. The customer says "no": the case is open again.
    page.goto(no_link.group(1))
    # The link only opens the page with "No" chosen; the customer's button sends it.
    with page.expect_navigation():
        page.get_by_role("button", name="Send my answer").click()
    assert page.get_by_text("Your case is open again").is_visible()
    page.screenshot(path=str(artifacts / "closed-loop-follow-up.png"), full_page=True)
    case.refresh_from_db()
    assert case.status == "reopened" and case.follow_up_resolved is False

    agent.reload()
    assert agent.get_by_test_id("case-status").get_by_text("Reopened").is_visible()
    assert agent.get_by_test_id("timeline").get_by_text("Follow-up answered").is_visible()
    agent.screenshot(path=str(artifacts / "closed-loop-case.png"), full_page=True)
    agent.goto(f"{live_server.url}/o/{org.slug}/cases/board/")
    agent.screenshot(path=str(artifacts / "closed-loop-board.png"), full_page=True)
    for name, path in (
        ("queue", "cases/"),
        ("sla", "cases/sla/"),
        ("team", f"inbox/{case.team_id}/"),
    ):
        agent.goto(f"{live_server.url}/o/{org.slug}/{path}")
        agent.screenshot(path=str(artifacts / f"closed-loop-{name}.png"), full_page=True)
    customer_context.close()
    agent_context.close()
