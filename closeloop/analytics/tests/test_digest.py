"""The weekly team digest: scores with margins and the change in plain words, the trend, the
newest detractor and promoter comments of the team's inbox, open and breaching cases; sent once
per team and week at the scheduled time, to each member in their language, through a real SMTP
server; members may opt out; admins preview it and send it now."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from closeloop.analytics.alerts.digest_services import digests_send_due
from closeloop.analytics.models import DigestSend
from closeloop.analytics.tests.alerts_factories import join, member, scores, smtp, survey_for, team
from closeloop.automation.models import TeamFeedback
from closeloop.cases.models import Case
from closeloop.cases.tests.factories import make_case
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.integrations.outbox import deliveries_flush
from conftest import Personas

pytestmark = pytest.mark.django_db
__all__ = ["smtp"]

# Monday 10 March 2025, 08:30 in Seoul: the default schedule (Monday 08:00) has come; the
# digest covers 3-9 March and compares with 24 February - 2 March.
MONDAY = dt.datetime(2025, 3, 9, 23, 30, tzinfo=dt.UTC)


def body(message: Any, kind: str = "plain") -> str:
    return str(message.get_body((kind,)).get_content())


def support_week(personas: Personas) -> dict[str, Any]:
    """Support's members (Korean, Thai, English, one who opted out) and its week of feedback."""
    org = personas.org
    support = team(org)
    korean = member(org, "minji@acme.test", language="ko")
    thai = member(org, "somchai@acme.test", language="th")
    english = personas.membership(personas.agent)
    join(support, korean, thai, english)
    survey = survey_for(org)
    before = scores(survey, "2025-02-26", [10] * 20 + [8] * 10 + [3] * 10)  # NPS 25, n = 40
    week = scores(survey, "2025-03-05", [10] * 8 + [8] * 12 + [3] * 20)  # NPS -30, n = 40
    cold = scores(survey, "2025-03-07", [2], why="The latte was cold and the queue endless.")
    praise = scores(survey, "2025-03-08", [10], why="Best flat white in Seoul!")
    for response in before + week + cold + praise:
        TeamFeedback.objects.create(organization=org, team=support, response=response)
    breached = make_case(org, title="Refund still missing", team=support, response=cold[0])
    Case.objects.filter(pk=breached.pk).update(breached_first_response=True)
    make_case(org, title="Wrong beans delivered", team=support)
    return {"team": support, "korean": korean, "thai": thai, "english": english}


def test_the_weekly_digest_reaches_each_member_in_their_language(
    personas: Personas, smtp: SmtpServer
) -> None:
    setup = support_week(personas)
    assert digests_send_due(now=MONDAY) >= 1
    assert deliveries_flush() == 3

    [korean] = smtp.sink.to("minji@acme.test")
    [thai] = smtp.sink.to("somchai@acme.test")
    [english] = smtp.sink.to("agent@acme.test")
    assert korean["Content-Language"] == "ko" and thai["Content-Language"] == "th"

    text = body(english)
    assert english["Subject"] == "Support weekly digest: March 3, 2025 to March 9, 2025"
    assert "NPS: -28.6" in text  # 8 + 1 promoters, 12 passives, 20 + 1 detractors of 42
    assert "(n = 42)" in text
    assert "Down 53.6 points, more than the margin of error" in text  # from 25
    assert "The latte was cold and the queue endless." in text
    assert "Best flat white in Seoul!" in text
    assert "2 open cases · 1 past its due time · 0 new this week" in text
    assert "Refund still missing" in text
    assert "== NPS, last eight weeks ==" in text
    assert any(block in text for block in "▁▂▃▄▅▆▇█")
    assert f"/o/{personas.org.slug}/analytics/digest/" in text  # where to opt out

    ko_text, ko_html = body(korean), body(korean, "html")
    assert "팀: Support" in ko_text and "케이스" in ko_text  # "Team", "Cases" in Korean
    assert "2025년 3월 3일" in ko_text  # the period in Korean
    assert 'lang="ko"' in ko_html and "The latte was cold" in ko_html
    th_text = body(thai)
    assert "ทีม: Support" in th_text and "เคส" in th_text  # "Team", "Cases" in Thai
    assert "มีนาคม" in th_text  # March, in Thai
    assert 'lang="th"' in body(thai, "html")

    # the hourly job runs again, and later that day: nothing more is sent
    sends = DigestSend.objects.filter(organization=personas.org)
    before = sends.count()
    assert digests_send_due(now=MONDAY + dt.timedelta(minutes=60)) == 0
    digests_send_due(now=MONDAY + dt.timedelta(hours=10))  # Monday morning in UTC: Other Shop's
    assert sends.count() == before
    assert deliveries_flush() == 0
    assert DigestSend.objects.filter(team=setup["team"]).count() == 1


def test_members_opt_out_on_the_digest_page(personas: Personas, smtp: SmtpServer) -> None:
    setup = support_week(personas)
    korean = setup["korean"]
    client = personas.client_for(korean.user)
    page = client.get(reverse("analytics:digest", args=[personas.org.slug]))
    field = f"team_{setup['team'].pk}"
    assert page.status_code == 200 and page.context["subscriptions"].fields[field].initial is True
    saved = client.post(reverse("analytics:digest_subscriptions", args=[personas.org.slug]), {})
    assert saved.status_code == 302

    digests_send_due(now=MONDAY)
    deliveries_flush()
    assert smtp.sink.to("minji@acme.test") == []
    assert len(smtp.sink.to("somchai@acme.test")) == 1

    client.post(reverse("analytics:digest_subscriptions", args=[personas.org.slug]), {field: "on"})
    page = client.get(reverse("analytics:digest", args=[personas.org.slug]))
    assert page.context["subscriptions"].fields[field].initial is True


def test_the_schedule_is_the_organizations_weekday_and_hour(personas: Personas) -> None:
    support_week(personas)
    owner = personas.client_for(personas.owner)
    saved = owner.post(
        reverse("analytics:digest_settings", args=[personas.org.slug]),
        {"enabled": "on", "weekday": "4", "hour": "17"},
    )
    assert saved.status_code == 302
    friday_morning = dt.datetime(2025, 3, 14, 0, 0, tzinfo=dt.UTC)  # 09:00 in Seoul
    assert digests_send_due(now=MONDAY) == 0  # Monday is no longer the day
    assert digests_send_due(now=friday_morning) == 0  # Friday, before 17:00 in Seoul
    friday_evening = dt.datetime(2025, 3, 14, 8, 5, tzinfo=dt.UTC)  # 17:05 in Seoul
    assert digests_send_due(now=friday_evening) >= 1
    sent = DigestSend.objects.get(team=team(personas.org))
    assert sent.week_start == dt.date(2025, 3, 7)  # the seven days before Friday
    assert sent.recipients == 3
    # a worker down for more than a day skips that week rather than sending it late
    assert digests_send_due(now=friday_evening + dt.timedelta(days=8)) == 0

    owner.post(
        reverse("analytics:digest_settings", args=[personas.org.slug]),
        {"weekday": "4", "hour": "17"},  # unticked: no digests
    )
    assert digests_send_due(now=friday_evening + dt.timedelta(days=7)) == 0
    assert (
        personas.client_for(personas.analyst)
        .post(
            reverse("analytics:digest_settings", args=[personas.org.slug]),
            {"enabled": "on", "weekday": "0", "hour": "8"},
        )
        .status_code
        == 403
    )


def test_admins_preview_and_send_now(personas: Personas, smtp: SmtpServer) -> None:
    setup = support_week(personas)
    admin = personas.client_for(personas.admin)
    preview_url = reverse("analytics:digest_preview", args=[personas.org.slug])
    page = admin.get(f"{preview_url}?team={setup['team'].pk}")
    assert page.status_code == 200
    assert page.context["recipients"] == [
        setup["english"].user,
        setup["korean"].user,
        setup["thai"].user,
    ]
    assert "digest-preview" in page.content.decode()
    assert personas.client_for(personas.viewer).get(preview_url).status_code == 403

    send_url = reverse("analytics:digest_send", args=[personas.org.slug])
    sent = admin.post(send_url, {"team": str(setup["team"].pk)}, follow=True)
    assert "on its way to 3 members" in sent.content.decode()
    admin.post(send_url, {"team": str(setup["team"].pk)})  # a double click sends nothing more
    assert deliveries_flush() == 3
    assert len(smtp.sink.to("minji@acme.test")) == 1
    other_team = team(personas.other_org)
    assert admin.post(send_url, {"team": str(other_team.pk)}).status_code == 404


def test_a_team_without_its_own_feedback_gets_the_organizations_scores(
    personas: Personas, smtp: SmtpServer
) -> None:
    org = personas.org
    marketing = team(org, "marketing")
    join(marketing, member(org, "emma@acme.test", language="en"))
    survey = survey_for(org)
    scores(survey, "2025-03-05", [10, 9, 9, 10, 7, 3])
    digests_send_due(now=MONDAY)
    deliveries_flush()
    [mail] = smtp.sink.to("emma@acme.test")
    text = body(mail)
    assert "these are the organization's scores" in text
    assert "NPS: 50 ±" in text
    assert "No new comments in the team's inbox this week." in text


def test_small_groups_stay_hidden_in_the_digest(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org
    support = team(org)
    join(support, member(org, "minji@acme.test"))
    survey = survey_for(org)
    for response in scores(survey, "2025-03-05", [0, 3, 10]):
        TeamFeedback.objects.create(organization=org, team=support, response=response)
    digests_send_due(now=MONDAY)
    deliveries_flush()
    [mail] = smtp.sink.to("minji@acme.test")
    text = body(mail)
    assert "Fewer than 5 responses this week: not shown." in text
    assert "NPS: " not in text
