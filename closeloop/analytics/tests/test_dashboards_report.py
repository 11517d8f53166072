"""The printable report of a dashboard: every widget drawn on the server at once (nothing lazy),
with the organization, the period and filters in words, when it was made (in the organization's
time zone), n and margins unfolded, hidden groups labelled, plotly from our own origin and no
inline script; for members with the page's filters, and behind a secret link with the saved
ones."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from closeloop.accounts.models import Organization
from closeloop.analytics.dashboards.services import (
    dashboard_create,
    dashboards_ensure_defaults,
    share_link_create,
    share_link_revoke,
)
from closeloop.analytics.models import Dashboard, DashboardKind
from closeloop.analytics.tests.dashboards_factories import answer, touchpoint, visit_survey
from conftest import Personas


def _overview(personas: Personas) -> Dashboard:
    dashboards_ensure_defaults(organization=personas.org)
    return Dashboard.objects.get(organization=personas.org, kind=DashboardKind.OVERVIEW)


def _report_url(personas: Personas, board: Dashboard) -> str:
    return reverse("analytics:dashboard_report", args=[personas.org.slug, board.pk])


def _answers(org: Organization) -> None:
    survey = visit_survey(org, name="Store visit")
    shop, kiosk = touchpoint(org, "shop", "Online shop"), touchpoint(org, "kiosk", "Airport kiosk")
    for n in range(12):
        answer(
            survey,
            days_ago=1 + n,
            touchpoint=shop,
            channel="email",
            rec=(10, 9, 6)[n % 3],
            sat=5,
            easy=6,
            why="Lovely flat white",
        )
    answer(survey, touchpoint=kiosk, channel="email", rec=0, why="Queue too long")  # hidden


def _no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_member_prints_the_overview_with_its_filters(personas: Personas) -> None:
    org = personas.org
    org.time_zone = "Asia/Seoul"
    org.save(update_fields=["time_zone"])
    _answers(org)
    board = _overview(personas)
    client = personas.client_for(personas.viewer)

    page = client.get(
        reverse("analytics:overview", args=[org.slug]), {"period": "90d", "channel": "email"}
    )
    link = re.search(r'href="([^"]+)" data-testid="report-link"', page.content.decode())
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith(_report_url(personas, board)) and "channel=email" in url

    before = timezone.localtime(timezone.now(), ZoneInfo(org.time_zone))
    report = client.get(url)
    after = timezone.localtime(timezone.now(), ZoneInfo(org.time_zone))
    assert report.status_code == 200
    html = report.content.decode()
    # every widget is on the page already: nothing to load
    assert "hx-get" not in html and 'data-testid="widget-placeholder"' not in html
    assert html.count('class="widget card') == board.widgets.count() == 7
    assert 'data-testid="widget-failed"' not in html
    # what, whose, for when, with which filters, made when (in Seoul)
    assert f'data-testid="report-org">{org.name}<' in html
    meta = re.search(r'data-testid="report-meta">(.*?)</dl>', html, re.S)
    assert meta is not None
    text = re.sub(r"<[^>]+>", " ", meta.group(1))
    assert "Last 90 days" in text and "90 days in Asia/Seoul" in text
    assert "Channel" in text and "Email" in text and "Every response" in text
    generated = re.search(r'data-testid="report-generated">([^<]+)<', html)
    assert generated is not None
    made = {formats.date_format(t, "DATETIME_FORMAT") for t in (before, after)}
    assert generated.group(1).replace(" (Asia/Seoul)", "") in made
    assert "(Asia/Seoul)" in generated.group(1)
    # n and margins on paper: the cards' details unfolded; hidden groups labelled
    assert "n = 13" in html and "margin of error" in html
    assert '<details class="numbers" data-testid="metric-details" open>' in html
    assert "fewer than 5 responses" in html and "Airport kiosk" in html
    assert "Lovely flat white" in html
    assert "/responses/" not in html  # no links into the app on paper
    # charts: plotly from our own origin, drawn by the static script; printed by a button
    assert reverse("analytics:plotly_js", args=[org.slug]) in html
    assert 'src="/static/analytics/dashboards.js"' in html
    assert "data-print" in html and "Print or save as PDF" in html
    assert 'id="mainnav"' not in html and "Log out" not in html  # no navigation
    _no_inline_script(html)
    csp = report["Content-Security-Policy"]
    script_src = csp.split("script-src", 1)[1].split(";", 1)[0]
    assert script_src.strip() == "'self'"


def test_a_report_of_a_custom_dashboard_and_who_may_print_it(personas: Personas) -> None:
    org = personas.org
    _answers(org)
    private = dashboard_create(
        organization=org, name="My corner", visibility="private", actor=personas.analyst
    )
    url = _report_url(personas, private)
    assert personas.client_for(personas.analyst).get(url).status_code == 200
    assert personas.client_for(personas.owner).get(url).status_code == 200
    # someone else's private dashboard, another organization, no login
    assert personas.client_for(personas.viewer).get(url).status_code == 404
    assert personas.client_for(personas.outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 404
    empty = personas.client_for(personas.analyst).get(url).content.decode()
    assert "This dashboard has no widgets yet." in empty

    # bad filters in the address: the saved ones are used and stated
    board = _overview(personas)
    bad = personas.client_for(personas.viewer).get(
        _report_url(personas, board), {"period": "custom", "date_from": "2026-05-01"}
    )
    assert bad.status_code == 200 and "Last 90 days" in bad.content.decode()


def test_a_secret_link_prints_its_report_until_revoked(personas: Personas) -> None:
    org = personas.org
    _answers(org)
    board = _overview(personas)
    link, token = share_link_create(dashboard=board, actor=personas.owner)
    anonymous = Client()

    shared = anonymous.get(reverse("analytics_public:dashboard", args=[token])).content.decode()
    report_url = reverse("analytics_public:report", args=[token])
    assert f'href="{report_url}"' in shared

    report = anonymous.get(report_url, {"channel": "qr"})  # the link's filters are fixed
    assert report.status_code == 200
    assert report["X-Robots-Tag"].startswith("noindex")
    html = report.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "hx-get" not in html and html.count('class="widget card') == 7
    assert "n = 13" in html and "Queue too long" in html and "fewer than 5 responses" in html
    assert reverse("analytics_public:plotly_js", args=[token]) in html
    assert "/o/" not in html  # no links into the app
    _no_inline_script(html)

    share_link_revoke(link=link, actor=personas.owner)
    assert anonymous.get(report_url).status_code == 404
