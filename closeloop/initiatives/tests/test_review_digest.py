"""The advocacy review digest: sent once per meeting, inside the window [meeting - hours before,
meeting) in the organization's time zone, to each advocacy-team member in their own language,
through the outbox and a real SMTP server; not outside the window, not twice, not when off."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from closeloop.analytics.tests.alerts_factories import smtp
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.initiatives.decisions import decision_record, review_settings_update
from closeloop.initiatives.digest import digest_window, review_digests_send_due
from closeloop.initiatives.models import OuterLoopSettings
from closeloop.initiatives.tests.review_factories import World, theme, world
from closeloop.integrations.models import Delivery
from closeloop.integrations.outbox import deliveries_flush
from conftest import Personas

pytestmark = pytest.mark.django_db
__all__ = ["smtp"]

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def body(message: Any, kind: str = "plain") -> str:
    return str(message.get_body((kind,)).get_content())


@pytest.fixture
def acme(personas: Personas) -> World:
    """The world, and a meeting 20 hours from now (Seoul) with the digest 24 hours before: the
    window opened 4 hours ago."""
    w = world(personas)
    meeting = (timezone.now() + dt.timedelta(hours=20)).astimezone(SEOUL)
    review_settings_update(
        organization=w.org, actor=None, meeting_weekday=meeting.weekday(),
        meeting_time=dt.time(meeting.hour, meeting.minute), digest_hours_before=24,
        review_period_days=30, digest_enabled=True,
    )  # fmt: skip
    decision_record(organization=w.org, kind="escalate", text="Escalate late deliveries.",
                    theme=theme(w.org, "delivery"),
                    meeting_on=(meeting - dt.timedelta(days=7)).date())  # fmt: skip
    return w


def test_the_window(acme: World) -> None:
    row = OuterLoopSettings.objects.get(organization=acme.org)
    now = timezone.now()
    opens, meeting = digest_window(row, now)
    assert meeting.tzinfo is not None and str(meeting.tzinfo) == "Asia/Seoul"
    assert meeting - now == pytest.approx(dt.timedelta(hours=20), abs=dt.timedelta(minutes=1))
    assert meeting - opens == dt.timedelta(hours=24)


def test_sent_once_per_meeting_in_each_members_language(acme: World, smtp: SmtpServer) -> None:
    now = timezone.now()
    # Five hours ago the window had not opened yet.
    assert review_digests_send_due(now=now - dt.timedelta(hours=5)) == 0
    assert not Delivery.objects.filter(related_type="review_digest").exists()

    assert review_digests_send_due(now=now) == 1
    assert deliveries_flush() == 3
    [korean] = smtp.sink.to("minji@acme.test")
    [thai] = smtp.sink.to("somchai@acme.test")
    [english] = smtp.sink.to("agent@acme.test")
    assert korean["Content-Language"] == "ko" and thai["Content-Language"] == "th"
    assert english["Content-Language"] == "en"

    text = body(english)
    assert english["Subject"].startswith("Advocacy review ")
    assert "1. Delivery: about 7.4 promoters lost (n = 10)" in text
    assert "NPS \u2212100 ±" in text  # the mentioners' NPS with its margin
    assert "10 mentions (+6 on the previous period)" in text
    assert '"배송이 너무 늦었어요" [1/10] (ko)' in text  # a verbatim for the theme
    assert "Support: 3 open, 2 breaching" in text
    assert "Delivery delay: 2 (+1)" in text
    assert "2 customers won back" in text
    assert "I-1 Faster courier — In progress · Product · due" in text
    assert "Delivery — Escalate: Escalate late deliveries." in text
    assert f"/o/{acme.org.slug}/advocacy-review/" in text

    ko_text, ko_html = body(korean), body(korean, "html")
    assert "1. 배송:" in ko_text  # the theme's Korean name
    assert "년" in ko_text  # dates in Korean
    assert 'lang="ko"' in ko_html and "배송이 너무 늦었어요" in ko_html
    th_text = body(thai)
    assert "1. การจัดส่ง:" in th_text and 'lang="th"' in body(thai, "html")

    # Later runs in the same window, and a second worker, send nothing more.
    assert review_digests_send_due(now=now + dt.timedelta(minutes=30)) == 0
    assert review_digests_send_due(now=now + dt.timedelta(hours=19)) == 0
    assert deliveries_flush() == 0
    row = OuterLoopSettings.objects.get(organization=acme.org)
    assert row.last_digest_for == (now + dt.timedelta(hours=20)).astimezone(SEOUL).date()
    # After the meeting, the next window is six days away.
    assert review_digests_send_due(now=now + dt.timedelta(hours=21)) == 0
    assert Delivery.objects.filter(related_type="review_digest").count() == 3


def test_not_sent_when_off_or_without_a_team(acme: World) -> None:
    OuterLoopSettings.objects.filter(organization=acme.org).update(digest_enabled=False)
    assert review_digests_send_due() == 0
    OuterLoopSettings.objects.filter(organization=acme.org).update(digest_enabled=True)
    acme.cx.is_advocacy_team = False
    acme.cx.save()
    assert review_digests_send_due() == 0
    assert not Delivery.objects.filter(related_type="review_digest").exists()


def test_a_claimed_meeting_is_not_sent_again(acme: World) -> None:
    """Another worker claimed it (last_digest_for already says this meeting)."""
    row = OuterLoopSettings.objects.get(organization=acme.org)
    _opens, meeting = digest_window(row, timezone.now())
    OuterLoopSettings.objects.filter(pk=row.pk).update(last_digest_for=meeting.date())
    assert review_digests_send_due() == 0
    assert not Delivery.objects.filter(related_type="review_digest").exists()
