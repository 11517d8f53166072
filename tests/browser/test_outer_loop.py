"""The outer loop in one story, in Chromium: customers complain about a theme; an analyst turns
the theme into an initiative and ships it; the answers that follow are measured against the ones
before (true effect known: NPS 0 before, 40 after); the announcement reaches each customer who
raised it through a real SMTP server, in their language, and nobody who unsubscribed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from closeloop.contacts.services import contact_unsubscribe
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.tests.announce_factories import person, say
from closeloop.initiatives.tests.impact_factories import answers_on_days, survey_for, theme_for
from conftest import Personas
from tests.browser.fixtures import login

pytestmark = pytest.mark.browser


def _plain(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def test_theme_to_initiative_to_measured_impact_and_told_customers(
    transactional_db: None,
    personas: Personas,
    live_smtp: SmtpServer,
    live_server: Any,
    page: Any,
    artifacts: Path,
) -> None:
    org = personas.org
    today = timezone.localdate(timezone=ZoneInfo(org.time_zone))
    theme = theme_for(org, "late-delivery", "Late delivery")
    survey = survey_for(org)
    jiwoo = person(org, "jiwoo@example.kr", "지우", "ko")
    emma = person(org, "emma@example.com", "Emma", "en")
    quinn = person(org, "quinn@example.com", "Quinn", "en")
    say(org, jiwoo, theme, "배송이 일주일이나 걸렸어요. 너무 늦어요.", language="ko")
    say(org, emma, theme, "My order took nine days to arrive.", language="en")
    say(org, quinn, theme, "Late again.", language="en")
    contact_unsubscribe(contact=quinn, via="link")
    # 60 days before shipping: 30 promoters, 40 passives, 30 detractors (NPS 0)
    answers_on_days(
        survey, first=today - dt.timedelta(days=60), last=today - dt.timedelta(days=1),
        promoters=30, passives=40, detractors=30, seed="before",
    )  # fmt: skip
    login(page.context, live_server, personas.analyst)

    # the theme becomes an initiative
    page.goto(live_server.url + reverse("text:theme", args=[org.slug, theme.pk]))
    with page.expect_navigation():
        page.get_by_test_id("create-initiative").click()
    page.select_option("#id_target_metric", "nps")
    page.select_option("#id_target_survey", str(survey.pk))
    page.fill("#id_expected_change", "10")
    page.fill("#id_description", "Every order now leaves the roastery the day it is placed.")
    with page.expect_navigation():
        page.get_by_role("button", name="Create initiative").click()
    initiative = Initiative.objects.get(organization=org)
    assert list(initiative.themes.all()) == [theme]

    # ... and ships
    for label in ("Move to Planned", "Move to In progress", "Move to Shipped"):
        with page.expect_navigation():
            page.get_by_role("button", name=label).click()
    initiative.refresh_from_db()
    assert initiative.status == "shipped" and initiative.shipped_at is not None

    # the answers since shipping: 50 promoters, 40 passives, 10 detractors (NPS 40)
    answers_on_days(
        survey, first=today, last=today, promoters=50, passives=40, detractors=10, seed="after"
    )
    page.reload()
    verdict = page.get_by_test_id("impact-verdict").inner_text()
    assert "NPS rose 40 points" in verdict and "more than the margin of error" in verdict
    before = page.get_by_test_id("impact-before").inner_text()
    after = page.get_by_test_id("impact-after").inner_text()
    assert "n = 100" in before and "±" in before and "n = 100" in after and "±" in after
    page.locator("[data-testid='impact-panel'] .main-svg").first.wait_for()
    page.screenshot(path=str(artifacts / "outer-loop-impact.png"), full_page=True)

    # tell the customers who raised it
    with page.expect_navigation():
        page.get_by_test_id("tell-customers").get_by_role("link").first.click()
    korean = page.get_by_test_id("language-ko")
    korean.get_by_label("What changed (Korean)").fill("이제 주문하신 날 바로 발송해 드립니다.")
    page.get_by_test_id("language-en").get_by_label("What changed (English)").fill(
        "Every order now leaves the roastery the day you place it."
    )
    with page.expect_navigation():
        page.get_by_test_id("send-now").click()
    run_ready_tasks()  # the announcement task, then the outbox to the SMTP server

    [ko] = live_smtp.sink.to("jiwoo@example.kr")
    ko_text = _plain(ko)
    assert ko["Content-Language"] == "ko"
    assert "지우님" in ko_text and "배송이 일주일이나 걸렸어요" in ko_text
    assert "주문하신 날 바로 발송" in ko_text
    [en] = live_smtp.sink.to("emma@example.com")
    en_text = _plain(en)
    assert en["Content-Language"] == "en"
    assert "Emma" in en_text and "My order took nine days to arrive." in en_text
    assert "the day you place it" in en_text
    assert live_smtp.sink.to("quinn@example.com") == []
    page.reload()
    assert page.get_by_test_id("count-sent").inner_text() == "2"
    page.screenshot(path=str(artifacts / "outer-loop-announcement.png"), full_page=True)
