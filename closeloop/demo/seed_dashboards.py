"""Demo dashboards: each demo organization's CX overview and team dashboards, plus one custom
dashboard built by a member in the org's own language (Korean for Seoul Bean Roasters, Thai for
Bangkok Noodle Bar), made through the same services as the pages.

Keyed by the custom dashboard's name, so running the demo again duplicates nothing."""

from __future__ import annotations

from dataclasses import dataclass

from closeloop.accounts.models import Membership, Organization, User
from closeloop.analytics.dashboards.defaults import Spec
from closeloop.analytics.dashboards.services import dashboard_create, dashboards_ensure_defaults
from closeloop.analytics.models import Dashboard, DashboardKind


@dataclass(frozen=True)
class DemoDashboard:
    org_slug: str
    author_email: str
    name: str
    widgets: tuple[Spec, ...]


def _custom() -> tuple[DemoDashboard, ...]:
    from closeloop.demo.seed import BANGKOK_SLUG, SEOUL_SLUG

    return (
        DemoDashboard(
            SEOUL_SLUG,
            "minji.kim@closeloop.local",
            "매장 경험 한눈에 보기",
            (
                Spec("metric_card", {"metric": "nps"}, "순추천지수 (NPS)"),
                Spec("metric_card", {"metric": "csat"}, "고객 만족도 (CSAT)"),
                Spec("trend", {"metric": "nps", "interval": "week"}, "주간 NPS 추이"),
                Spec("breakdown", {"metric": "nps", "by": "touchpoint"}, "터치포인트별 NPS"),
                Spec("breakdown", {"metric": "nps", "by": "language"}, "언어별 NPS"),
                Spec("distribution", {"metric": "nps"}, "NPS 점수 분포"),
                Spec("verbatims", {"band": "detractors", "limit": 8}, "불만 고객의 목소리"),
            ),
        ),
        DemoDashboard(
            BANGKOK_SLUG,
            "kittipong.w@closeloop.local",
            "ภาพรวมประสบการณ์ลูกค้าหน้าร้าน",
            (
                Spec("metric_card", {"metric": "nps"}, "คะแนน NPS"),
                Spec("trend", {"metric": "nps", "interval": "week"}, "แนวโน้ม NPS รายสัปดาห์"),
                Spec("breakdown", {"metric": "nps", "by": "channel"}, "NPS ตามช่องทาง"),
                Spec("verbatims", {"limit": 8}, "ความคิดเห็นล่าสุดจากลูกค้า"),
                Spec("case_metrics", {"team_only": False}, "การติดตามลูกค้าที่ไม่พอใจ"),
            ),
        ),
    )


def seed_demo_dashboards() -> None:
    """The overview and team dashboards of both demo organizations and one custom each."""
    for spec in _custom():
        org = Organization.objects.filter(slug=spec.org_slug).first()
        if org is None:
            continue
        dashboards_ensure_defaults(organization=org)
        if Dashboard.objects.filter(
            organization=org, kind=DashboardKind.CUSTOM, name=spec.name
        ).exists():
            continue
        author = User.objects.filter(email=spec.author_email).first()
        if author is None or not Membership.objects.filter(organization=org, user=author).exists():
            author = None
        dashboard_create(
            organization=org,
            name=spec.name,
            actor=author,
            filters={"period": "90d"},
            widgets=list(spec.widgets),
        )
