"""Sharing a dashboard by a secret link: shown once, stored hashed, read-only for anyone who has
it, not indexed, small groups still hidden, and dead the moment it is revoked. Plus the demo's
dashboards."""

from __future__ import annotations

import json
import re

from django.test import Client
from django.urls import reverse

from closeloop.analytics.dashboards.services import dashboards_ensure_defaults
from closeloop.analytics.models import Dashboard, DashboardKind, ShareLink
from closeloop.analytics.tests.dashboards_factories import (
    answer,
    chart_json,
    touchpoint,
    visit_survey,
)
from closeloop.lib.tokens import hash_token
from conftest import Personas

HX = {"HTTP_HX_REQUEST": "true"}


def _share(personas: Personas, board: Dashboard, label: str = "Store screen") -> str:
    client = personas.client_for(personas.analyst)
    url = reverse("analytics:dashboard_share", args=[personas.org.slug, board.pk])
    page = client.post(url, {"action": "create", "label": label})
    assert page.status_code == 200
    found = re.search(r'data-testid="share-url">([^<]+)<', page.content.decode())
    assert found is not None
    return found.group(1)


def test_secret_link_reads_the_dashboard_until_revoked(personas: Personas) -> None:
    org = personas.org
    survey = visit_survey(org)
    shop, kiosk = touchpoint(org, "shop", "Online shop"), touchpoint(org, "kiosk", "Airport kiosk")
    for n in range(8):
        answer(survey, touchpoint=shop, rec=10 if n % 2 else 8, why="Smooth checkout")
    answer(survey, touchpoint=kiosk, rec=0)
    answer(survey, touchpoint=kiosk, rec=1)
    dashboards_ensure_defaults(organization=org)
    board = Dashboard.objects.get(organization=org, kind=DashboardKind.OVERVIEW)

    link_url = _share(personas, board)
    token = link_url.rstrip("/").rsplit("/", 1)[1]
    stored = ShareLink.objects.get(dashboard=board)
    assert stored.token_hash == hash_token(token) and token not in stored.prefix + stored.label
    # shown once: the share panel lists the link by its prefix only
    panel = personas.client_for(personas.analyst).get(
        reverse("analytics:dashboard_share", args=[org.slug, board.pk])
    )
    assert token not in panel.content.decode() and stored.prefix in panel.content.decode()

    anonymous = Client()
    page = anonymous.get(link_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert page["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert 'id="mainnav"' not in html and "Log out" not in html  # no navigation
    assert reverse("analytics_public:plotly_js", args=[token]) in html
    widgets = [u.replace("&amp;", "&") for u in re.findall(r'hx-get="([^"]+)"', html)]
    assert len(widgets) == 7 and all(u.startswith(f"/d/{token}/widgets/") for u in widgets)
    bodies = "".join(anonymous.get(u, **HX).content.decode() for u in widgets)
    assert "Smooth checkout" in bodies
    assert "/responses/" not in bodies and "/cases/" not in bodies  # no links into the app
    assert "Airport kiosk" in bodies and "fewer than 5 responses" in bodies
    for figure in chart_json(bodies):
        assert "Airport kiosk" not in json.dumps(json.loads(figure))
    plotly = anonymous.get(reverse("analytics_public:plotly_js", args=[token]))
    assert plotly.status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    # a widget of another dashboard cannot be read through this link
    other = Dashboard.objects.filter(organization=org, kind=DashboardKind.TEAM).first()
    assert other is not None
    foreign = other.widgets.first()
    assert foreign is not None
    assert anonymous.get(f"/d/{token}/widgets/{foreign.pk}/", **HX).status_code == 404

    # revoked: every URL of the link answers 404
    client = personas.client_for(personas.analyst)
    client.post(
        reverse("analytics:dashboard_share", args=[org.slug, board.pk]),
        {"action": "revoke", "link": str(stored.pk)},
    )
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert anonymous.get(link_url).status_code == 404
    assert anonymous.get(widgets[0], **HX).status_code == 404
    assert anonymous.get(reverse("analytics_public:plotly_js", args=[token])).status_code == 404
    assert anonymous.get("/d/dsh_not-a-real-token/").status_code == 404


def test_only_editors_manage_links_and_outsiders_cannot_revoke(personas: Personas) -> None:
    dashboards_ensure_defaults(organization=personas.org)
    board = Dashboard.objects.get(organization=personas.org, kind=DashboardKind.OVERVIEW)
    share = reverse("analytics:dashboard_share", args=[personas.org.slug, board.pk])
    viewer = personas.client_for(personas.viewer)
    assert viewer.get(share).status_code == 403
    assert viewer.post(share, {"action": "create"}).status_code == 403
    assert not ShareLink.objects.exists()
    link_url = _share(personas, board)
    link = ShareLink.objects.get()
    outsider = personas.client_for(personas.outsider)
    assert outsider.post(share, {"action": "revoke", "link": str(link.pk)}).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
    assert Client().get(link_url).status_code == 200


def test_demo_orgs_get_their_dashboards_once(db: None) -> None:
    from closeloop.demo.seed import BANGKOK_SLUG, SEOUL_SLUG, seed_bangkok, seed_people, seed_seoul
    from closeloop.demo.seed_dashboards import seed_demo_dashboards

    seed_people()
    seed_seoul()
    seed_bangkok()
    seed_demo_dashboards()
    counts = Dashboard.objects.count()
    seed_demo_dashboards()
    assert Dashboard.objects.count() == counts
    seoul = Dashboard.objects.get(organization__slug=SEOUL_SLUG, kind=DashboardKind.CUSTOM)
    bangkok = Dashboard.objects.get(organization__slug=BANGKOK_SLUG, kind=DashboardKind.CUSTOM)
    assert seoul.name == "매장 경험 한눈에 보기" and seoul.created_by is not None
    assert bangkok.name == "ภาพรวมประสบการณ์ลูกค้าหน้าร้าน"
    assert seoul.widgets.filter(title="터치포인트별 NPS").exists()
    assert bangkok.widgets.filter(title="NPS ตามช่องทาง").exists()
    for slug in (SEOUL_SLUG, BANGKOK_SLUG):
        assert Dashboard.objects.filter(organization__slug=slug, kind="overview").count() == 1
        assert Dashboard.objects.filter(organization__slug=slug, kind="team").count() == 9
