"""Dashboards as members use them: the CX overview and team dashboards every org starts with,
custom dashboards built through the pages, widgets lazy-loaded one by one, page filters,
permissions, and small groups kept hidden in the HTML and in the chart JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from closeloop.accounts.models import Team
from closeloop.analytics.dashboards.services import dashboards_ensure_defaults, widget_add
from closeloop.analytics.models import Dashboard, DashboardKind, Widget
from closeloop.analytics.tests.dashboards_factories import (
    answer,
    chart_json,
    touchpoint,
    visit_survey,
)
from closeloop.cases.tests.factories import customer_case, support
from conftest import Personas

HX = {"HTTP_HX_REQUEST": "true"}


def overview_url(personas: Personas) -> str:
    return reverse("analytics:overview", args=[personas.org.slug])


def widget_urls(html: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in re.findall(r'hx-get="([^"]+)"', html)]


def load_widgets(client: Client, page_html: str) -> dict[str, str]:
    """Fetch every lazy widget of a page as htmx would; {widget kind: html}."""
    out: dict[str, str] = {}
    for url in widget_urls(page_html):
        response = client.get(url, **HX)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'data-testid="widget-failed"' not in html, html
        kind = re.search(r'data-testid="widget-([a-z_]+)"', html)
        assert kind is not None, html
        out.setdefault(kind.group(1), "")
        out[kind.group(1)] += html
    return out


def overview(personas: Personas) -> Dashboard:
    dashboards_ensure_defaults(organization=personas.org)
    return Dashboard.objects.get(organization=personas.org, kind=DashboardKind.OVERVIEW)


# --- what every organization starts with --------------------------------------------------------


def test_every_org_gets_a_cx_overview_and_a_dashboard_per_team(personas: Personas) -> None:
    org = personas.org
    assert (
        dashboards_ensure_defaults(organization=org)
        == 1 + Team.objects.filter(organization=org).count()
    )
    assert dashboards_ensure_defaults(organization=org) == 0  # idempotent

    cx = Dashboard.objects.get(organization=org, kind=DashboardKind.OVERVIEW)
    kinds = list(cx.widgets.order_by("position").values_list("kind", "config"))
    assert [k for k, _c in kinds] == [
        "metric_card", "metric_card", "metric_card", "trend", "breakdown", "verbatims",
        "case_metrics",
    ]  # fmt: skip
    assert [c["metric"] for k, c in kinds if k == "metric_card"] == ["nps", "csat", "ces"]

    def team_widgets(slug: str) -> list[tuple[str, dict[str, Any], str]]:
        board = Dashboard.objects.get(organization=org, team__slug=slug)
        return list(board.widgets.order_by("position").values_list("kind", "config", "title"))

    support_widgets = team_widgets("support")
    assert ("case_metrics", {"team_only": True}) in [(k, c) for k, c, _t in support_widgets]
    assert any(k == "verbatims" and c["band"] == "detractors" for k, c, _t in support_widgets)
    marketing = team_widgets("marketing")
    assert any(k == "verbatims" and c["band"] == "promoters" for k, c, _t in marketing)
    product = team_widgets("product")
    assert any(
        k == "verbatims" and c["contains"] and t == "Feature requests" for k, c, t in product
    )

    # a team made later gets its dashboard on the next visit
    client = personas.client_for(personas.admin)
    client.post(reverse("accounts:teams", args=[org.slug]), {"name": "Customer care"})
    client.get(reverse("analytics:dashboards", args=[org.slug]))
    care = Dashboard.objects.get(organization=org, team__name="Customer care")
    assert care.widgets.filter(kind="case_metrics").exists()  # a support-like team


def test_org_home_leads_with_the_overview(personas: Personas) -> None:
    survey = visit_survey(personas.org)
    for score in (10, 9, 3, 8, 10, 9):
        answer(survey, rec=score, sat=5, easy=6)
    client = personas.client_for(personas.viewer)
    home = client.get(reverse("accounts:org_home", args=[personas.org.slug]))
    html = home.content.decode()
    assert 'data-testid="overview-panel"' in html
    assert overview_url(personas) in html
    widgets = load_widgets(client, html)
    assert "metric_card" in widgets and "case_metrics" in widgets
    assert "Dashboards" in html  # the navigation under "Understand"


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "analyst", "viewer", "agent"])
def test_every_member_reads_the_overview(personas: Personas, role: str) -> None:
    client = personas.client_for(getattr(personas, role))
    page = client.get(overview_url(personas))
    assert page.status_code == 200
    html = page.content.decode()
    assert len(widget_urls(html)) == 7
    can_edit = role in ("owner", "analyst")
    assert ('data-testid="edit-dashboard"' in html) is can_edit
    assert client.get(reverse("analytics:dashboards", args=[personas.org.slug])).status_code == 200
    load_widgets(client, html)


def test_viewer_cannot_edit_and_outsider_sees_nothing(personas: Personas) -> None:
    board = overview(personas)
    widget = board.widgets.first()
    assert widget is not None
    slug = personas.org.slug
    edit = reverse("analytics:dashboard_edit", args=[slug, board.pk])
    viewer = personas.client_for(personas.viewer)
    assert viewer.get(edit).status_code == 403
    assert viewer.post(edit, {"name": "Mine now"}).status_code == 403
    assert (
        viewer.post(reverse("analytics:dashboard_new", args=[slug]), {"name": "x"}).status_code
        == 403
    )
    board.refresh_from_db()
    assert board.name == "CX overview"

    outsider = personas.client_for(personas.outsider)
    for url in (
        overview_url(personas),
        reverse("analytics:dashboard", args=[slug, board.pk]),
        reverse("analytics:widget", args=[slug, board.pk, widget.pk]),
    ):
        assert outsider.get(url).status_code == 404
    # the outsider's own org cannot reach Acme's dashboard either
    other = reverse("analytics:dashboard", args=[personas.other_org.slug, board.pk])
    assert outsider.get(other).status_code == 404


def test_private_dashboard_is_only_for_its_author_and_admins(personas: Personas) -> None:
    slug = personas.org.slug
    analyst = personas.client_for(personas.analyst)
    created = analyst.post(
        reverse("analytics:dashboard_new", args=[slug]),
        {"name": "Draft ideas", "visibility": "private"},
    )
    assert created.status_code == 302
    board = Dashboard.objects.get(organization=personas.org, name="Draft ideas")
    url = reverse("analytics:dashboard", args=[slug, board.pk])
    assert analyst.get(url).status_code == 200
    assert personas.client_for(personas.admin).get(url).status_code == 200
    assert personas.client_for(personas.viewer).get(url).status_code == 404
    listing = personas.client_for(personas.viewer).get(reverse("analytics:dashboards", args=[slug]))
    assert "Draft ideas" not in listing.content.decode()

    # shared with every member from the share panel
    share = reverse("analytics:dashboard_share", args=[slug, board.pk])
    analyst.post(share, {"action": "visibility", "visibility": "members"})
    assert personas.client_for(personas.viewer).get(url).status_code == 200


# --- building a custom dashboard through the pages ------------------------------------------------


def test_analyst_builds_a_custom_dashboard(personas: Personas) -> None:
    slug = personas.org.slug
    client = personas.client_for(personas.analyst)
    response = client.post(
        reverse("analytics:dashboard_new", args=[slug]),
        {"name": "Stores", "visibility": "members"},
    )
    board = Dashboard.objects.get(organization=personas.org, name="Stores")
    assert response.url == reverse("analytics:dashboard_edit", args=[slug, board.pk])
    assert client.get(response.url).status_code == 200

    add = reverse("analytics:widget_add", args=[slug, board.pk])
    response = client.post(add, {"kind": "breakdown", "title": ""})
    first = Widget.objects.get(dashboard=board)
    assert response.url == reverse("analytics:widget_edit", args=[slug, board.pk, first.pk])
    form = client.get(response.url).content.decode()
    assert 'name="by"' in form and 'name="attribute"' in form and 'name="band"' not in form

    # settings come from the kind's schema; a bad combination is refused on its field
    edit = reverse("analytics:widget_edit", args=[slug, board.pk, first.pk])
    bad = client.post(edit, {"title": "", "metric": "nps", "by": "attribute", "attribute": ""})
    assert bad.status_code == 400
    assert "Name the contact attribute" in bad.content.decode()
    ok = client.post(edit, {"title": "By channel", "metric": "csat", "by": "channel"})
    assert ok.status_code == 302
    first.refresh_from_db()
    assert (first.title, first.config) == (
        "By channel",
        {"metric": "csat", "by": "channel", "attribute": ""},
    )

    client.post(add, {"kind": "metric_card", "title": "Score"})
    client.post(add, {"kind": "verbatims", "title": ""})
    order = lambda: list(  # noqa: E731
        Widget.objects.filter(dashboard=board).order_by("position").values_list("kind", flat=True)
    )
    assert order() == ["breakdown", "metric_card", "verbatims"]
    verbatims = Widget.objects.get(dashboard=board, kind="verbatims")
    client.post(
        reverse("analytics:widget_move", args=[slug, board.pk, verbatims.pk]),
        {"direction": "up"},
    )
    assert order() == ["breakdown", "verbatims", "metric_card"]
    words = reverse("analytics:widget_edit", args=[slug, board.pk, verbatims.pk])
    client.post(words, {"title": "", "limit": "5", "band": "any", "contains": "late, 배송"})
    verbatims.refresh_from_db()
    assert verbatims.config["contains"] == ["late", "배송"]
    edit_page = client.get(reverse("analytics:dashboard_edit", args=[slug, board.pk]))
    assert "Latest comments" in edit_page.content.decode()  # its title says what it shows

    metric = Widget.objects.get(dashboard=board, kind="metric_card")
    client.post(reverse("analytics:widget_remove", args=[slug, board.pk, metric.pk]))
    assert order() == ["breakdown", "verbatims"]

    client.post(
        reverse("analytics:dashboard_edit", args=[slug, board.pk]),
        {"name": "Our stores", "visibility": "members"},
    )
    board.refresh_from_db()
    assert board.name == "Our stores"

    page = client.get(reverse("analytics:dashboard", args=[slug, board.pk]))
    assert page.status_code == 200 and "Our stores" in page.content.decode()

    client.post(reverse("analytics:dashboard_delete", args=[slug, board.pk]))
    assert not Dashboard.objects.filter(pk=board.pk).exists()
    # the overview cannot be deleted
    cx = overview(personas)
    refused = client.post(reverse("analytics:dashboard_delete", args=[slug, cx.pk]))
    assert refused.status_code == 302 and Dashboard.objects.filter(pk=cx.pk).exists()


# --- what widgets show ----------------------------------------------------------------------------


def test_metric_card_says_the_change_in_words_with_the_numbers_one_click_away(
    personas: Personas,
) -> None:
    survey = visit_survey(personas.org)
    for n in range(40):  # last 30 days: mostly promoters
        answer(survey, days_ago=1 + n % 25, rec=10 if n % 5 else 3, sat=5, easy=6)
    for n in range(40):  # the 30 days before: mostly detractors
        answer(survey, days_ago=32 + n % 25, rec=2 if n % 5 else 9, sat=2, easy=2)
    client = personas.client_for(personas.viewer)
    page = client.get(overview_url(personas) + "?period=30d")
    widgets = load_widgets(client, page.content.decode())
    nps_card = widgets["metric_card"].split("</section>")[0]
    assert 'data-testid="metric-value">60<' in nps_card  # 80% promoters - 20% detractors
    assert "n = 40" in nps_card
    assert "Up 120 points, more than the margin of error" in nps_card
    # the details: both periods with n and margin, and the difference with its margin
    details = nps_card.split('data-testid="metric-details"')[1]
    assert "<td>-60</td><td>40</td>" in details
    assert "+120.0" in details and "larger than the margin" in details
    assert "Promoters: 32 · Passives: 0 · Detractors: 8" in details


def test_breakdown_hides_small_groups_in_html_and_chart(personas: Personas) -> None:
    org = personas.org
    survey = visit_survey(org)
    big, middle, small = (
        touchpoint(org, "online", "Online shop"),
        touchpoint(org, "gangnam", "Gangnam store"),
        touchpoint(org, "hongdae", "Hongdae kiosk"),
    )
    for n in range(12):
        answer(survey, touchpoint=big, rec=9 if n % 2 else 7)
    for _n in range(7):
        answer(survey, touchpoint=middle, rec=1)
    for _n in range(3):
        answer(survey, touchpoint=small, rec=0)
    client = personas.client_for(personas.viewer)
    widgets = load_widgets(client, client.get(overview_url(personas)).content.decode())
    html = widgets["breakdown"]
    rows = dict(re.findall(r"<tr[^>]*><td>([^<]+)</td>(.*?)</tr>", html, re.S))
    assert "fewer than 5 responses" in rows["Hongdae kiosk"]
    # Gangnam (7) is hidden too: the total minus Online would give Hongdae away
    assert "fewer than 5 responses" in rows["Gangnam store"]
    assert "<td>7</td>" not in rows["Gangnam store"] and "-100" not in html
    assert "<td>12</td>" in rows["Online shop"]
    assert 'data-testid="hidden-note"' in html
    figures = chart_json(html)
    assert len(figures) == 1
    chart = json.loads(figures[0])
    assert chart["data"][0]["y"] == ["Online shop"]
    assert "Gangnam" not in figures[0] and "Hongdae" not in figures[0]


def test_page_filters_apply_to_every_widget_and_can_be_saved(personas: Personas) -> None:
    org = personas.org
    survey = visit_survey(org)
    for _n in range(6):
        answer(survey, days_ago=2, rec=10, channel="email", why="Lovely beans")
    for _n in range(6):
        answer(survey, days_ago=3, rec=2, channel="qr", why="Cold coffee")
    client = personas.client_for(personas.analyst)
    page = client.get(overview_url(personas) + "?period=7d&channel=email").content.decode()
    assert 'value="email" selected' in page
    widgets = load_widgets(client, page)
    assert 'data-testid="metric-value">100<' in widgets["metric_card"]
    assert "Lovely beans" in widgets["verbatims"] and "Cold coffee" not in widgets["verbatims"]

    # invalid custom dates keep the saved filters and say what to fix
    bad = client.get(overview_url(personas) + "?period=custom&date_from=2026-02-01")
    assert "Custom dates need both a start and an end." in bad.content.decode()

    # the analyst keeps these filters as the page's default; a viewer may not
    board = overview(personas)
    save = reverse("analytics:dashboard_filters", args=[org.slug, board.pk])
    viewer = personas.client_for(personas.viewer)
    assert viewer.post(save, {"period": "7d", "channel": "email"}).status_code == 403
    assert client.post(save, {"period": "7d", "channel": "email"}).status_code == 302
    board.refresh_from_db()
    assert board.filters == {"period": "7d", "channel": "email"}
    opened = viewer.get(overview_url(personas)).content.decode()
    assert "channel=email" in widget_urls(opened)[0]


def test_verbatims_case_metrics_and_team_dashboard(personas: Personas) -> None:
    org = personas.org
    survey = visit_survey(org)
    answer(survey, rec=2, why="The latte was cold")
    answer(survey, rec=10, why="Best flat white in town")
    team = support(org)
    customer_case(org, team=team)
    dashboards_ensure_defaults(organization=org)
    board = Dashboard.objects.get(organization=org, team=team)
    client = personas.client_for(personas.agent)
    page = client.get(reverse("analytics:dashboard", args=[org.slug, board.pk])).content.decode()
    assert "What matters to Support" in page
    widgets = load_widgets(client, page)
    assert "The latte was cold" in widgets["verbatims"]
    assert "Best flat white" not in widgets["verbatims"]  # Support sees detractors
    detractor = survey.responses.order_by("completed_at").first()
    assert detractor is not None
    assert reverse("responses:detail", args=[org.slug, detractor.pk]) in widgets["verbatims"]
    cases = widgets["case_metrics"]
    assert re.search(r"Open cases</p><p class=\"stat\"><a [^>]*>1</a>", cases)
    assert "Cases of Support" in cases

    # a verbatim list of the team's inbox: only feedback a rule routed to Support
    from closeloop.automation.models import TeamFeedback

    inbox = widget_add(dashboard=board, kind="verbatims", actor=None, config={"team_inbox": True})
    url = reverse("analytics:widget", args=[org.slug, board.pk, inbox.pk])
    assert "No comments match" in client.get(url, **HX).content.decode()
    TeamFeedback.objects.create(organization=org, team=team, response=detractor)
    assert "The latte was cold" in client.get(url, **HX).content.decode()


def test_widgets_work_without_javascript(personas: Personas) -> None:
    survey = visit_survey(personas.org)
    for score in (10, 9, 9, 8, 2, 10):
        answer(survey, rec=score)
    client = personas.client_for(personas.viewer)
    page = client.get(overview_url(personas)).content.decode()
    assert "all=1" in page  # the <noscript> link
    inline = client.get(overview_url(personas) + "?all=1").content.decode()
    assert 'hx-get="' not in inline
    assert inline.count('data-testid="widget-') >= 7
    assert "The numbers" in inline  # each chart has its table
    # a widget URL opened without htmx is a whole page
    url = widget_urls(page)[0]
    alone = client.get(url)
    assert alone.status_code == 200 and "<html" in alone.content.decode()


def test_drivers_widget_explains_without_data(personas: Personas) -> None:
    slug = personas.org.slug
    board = overview(personas)
    widget = widget_add(dashboard=board, kind="drivers", actor=None, config={"target": "nps"})
    client = personas.client_for(personas.viewer)
    html = client.get(
        reverse("analytics:widget", args=[slug, board.pk, widget.pk]), **HX
    ).content.decode()
    assert "Key drivers need a survey" in html
    assert reverse("analytics:drivers", args=[slug]) in html


def test_employee_survey_hides_figures_of_small_groups(personas: Personas) -> None:
    survey = visit_survey(personas.org, name="Pulse", kind="employee")
    for score in (9, 3, 10):
        answer(survey, rec=score, why="My manager never listens")
    client = personas.client_for(personas.viewer)
    page = client.get(overview_url(personas) + f"?period=90d&survey={survey.pk}").content.decode()
    widgets = load_widgets(client, page)
    card = widgets["metric_card"].split("</section>")[0]
    assert 'data-testid="metric-hidden"' in card and "n = 3" not in card
    assert "My manager never listens" not in widgets["verbatims"]
    assert "fewer than 5 responses" in widgets["verbatims"]
    assert chart_json(widgets.get("trend", "")) == []


def test_targets_show_as_gaps_on_cards_and_lines_on_trends(personas: Personas) -> None:
    from closeloop.analytics.alerts.targets import target_create

    survey = visit_survey(personas.org)
    for n in range(40):  # NPS 60 over the last 30 days
        answer(survey, days_ago=1 + n % 25, rec=10 if n % 5 else 3, sat=5, easy=6)
    target_create(organization=personas.org, data={"kind": "target", "metric": "nps",
                                                   "value": 70, "label": "Goal 2026"})  # fmt: skip
    target_create(organization=personas.org, data={"kind": "benchmark", "metric": "nps",
                  "value": 32, "source": "Coffee study 2024"})  # fmt: skip
    client = personas.client_for(personas.viewer)
    widgets = load_widgets(
        client, client.get(overview_url(personas) + "?period=30d").content.decode()
    )
    nps_card = widgets["metric_card"].split("</section>")[0]
    gaps = re.findall(r'data-testid="metric-gap">([^<]+)<', nps_card)
    assert len(gaps) == 2 and "below" in gaps[0] and "above" in gaps[1], gaps
    trend = "".join(chart_json(widgets["trend"]))
    assert '"Goal 2026' in trend or "Goal 2026" in trend
