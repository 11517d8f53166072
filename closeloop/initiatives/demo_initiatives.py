"""Demo initiatives for Seoul Bean Roasters (Korean and English titles) and Bangkok Noodle Bar
(Thai): six each across every status and several teams, linked to the org's themes, root
causes and resolved cases. In each org exactly one initiative is shipped (45 days ago, I-1,
targeting NPS of the org's main NPS survey: the impact step seeds before/after answers for
it), one is measured and one dropped.

Made through the services, then moved back in time; keyed by title, so running the demo again
duplicates nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.core.models import Activity
from closeloop.initiatives import selectors, services
from closeloop.initiatives.models import Initiative

SHIPPED_DAYS_AGO = 45


@dataclass(frozen=True)
class DemoInitiative:
    title: str
    description: str
    status: str
    owner_team: str
    theme: str
    contributors: tuple[str, ...] = ()
    root_cause: str = ""
    created_days_ago: int = 30
    due_in_days: int | None = None
    expected_change: float | None = None
    target_metric: str = "nps"
    shipped_days_ago: int | None = None
    reason: str = ""


def _steps(status: str) -> tuple[str, ...]:
    return {
        "proposed": (),
        "planned": ("planned",),
        "in_progress": ("planned", "in_progress"),
        "shipped": ("planned", "in_progress", "shipped"),
        "measured": ("planned", "in_progress", "shipped", "measured"),
        "dropped": ("dropped",),
    }[status]


SEOUL = [
    # First: the one shipped initiative (I-1), the impact step's subject.
    DemoInitiative(
        title="배송 2일 보장 (Two-day delivery)",
        description="주문 후 2일 안에 배송합니다. 새 택배사와 오후 3시 마감 로스팅 일정으로 "
        "바꿨습니다.\nShip every order within two days: a new courier and a 3 pm roasting "
        "cut-off.",
        status="shipped",
        owner_team="product",
        contributors=("support", "tech"),
        theme="delivery",
        root_cause="delivery-delay",
        created_days_ago=110,
        due_in_days=-50,
        expected_change=6,
        shipped_days_ago=SHIPPED_DAYS_AGO,
    ),
    DemoInitiative(
        title="앱 결제 오류 수정 (Fix failed app payments)",
        description="앱 결제 실패를 줄이기 위해 결제 모듈을 교체했습니다.\nReplace the payment "
        "module of the app so payments stop failing.",
        status="measured",
        owner_team="tech",
        contributors=("ui-design",),
        theme="billing",
        root_cause="billing-error",
        created_days_ago=200,
        due_in_days=-130,
        expected_change=4,
        shipped_days_ago=130,
    ),
    DemoInitiative(
        title="메뉴 가격 안내 개선 (Clearer prices on the menu)",
        description="원두 가격과 배송비를 주문 전에 분명히 보여줍니다.\nShow bean prices and "
        "delivery fees clearly before checkout.",
        status="in_progress",
        owner_team="marketing",
        contributors=("branding",),
        theme="price_value",
        root_cause="expectation-mismatch",
        created_days_ago=40,
        due_in_days=20,
        expected_change=3,
    ),
    DemoInitiative(
        title="고객센터 응답 시간 단축 (Faster support replies)",
        description="평일 4시간 안에 첫 답변을 드립니다.\nFirst reply within 4 business hours.",
        status="planned",
        owner_team="support",
        contributors=("client-success",),
        theme="customer_support",
        root_cause="staff-behaviour",
        created_days_ago=20,
        due_in_days=45,
        expected_change=3,
    ),
    DemoInitiative(
        title="원두 정기 구독 (Bean subscription)",
        description="많은 고객이 정기 배송을 요청했습니다.\nMany customers asked for a "
        "regular delivery of their beans.",
        status="proposed",
        owner_team="product",
        contributors=("sales",),
        theme="feature_request",
        root_cause="missing-feature",
        created_days_ago=8,
        due_in_days=90,
    ),
    DemoInitiative(
        title="매장 와이파이 교체 (New café Wi-Fi)",
        description="매장 와이파이 속도 개선.\nFaster Wi-Fi in the cafés.",
        status="dropped",
        owner_team="tech",
        theme="staff",
        created_days_ago=70,
        reason="Few customers mention it; the cost is not worth it this year.",
    ),
]

BANGKOK = [
    DemoInitiative(
        title="สั่งอาหารในแอปให้ง่ายขึ้น",
        description="ออกแบบหน้าเมนูในแอปใหม่ ให้หาเมนูและสั่งได้ในสามขั้นตอน",
        status="shipped",
        owner_team="product",
        contributors=("ui-design", "tech"),
        theme="ease_of_use",
        root_cause="website-usability",
        created_days_ago=100,
        due_in_days=-48,
        expected_change=8,
        shipped_days_ago=SHIPPED_DAYS_AGO,
    ),
    DemoInitiative(
        title="แก้แอปค้างตอนชำระเงิน",
        description="เปลี่ยนระบบชำระเงินในแอปเพื่อไม่ให้ค้างตอนจ่ายเงิน",
        status="measured",
        owner_team="tech",
        theme="billing",
        root_cause="billing-error",
        created_days_ago=210,
        due_in_days=-140,
        expected_change=4,
        shipped_days_ago=140,
    ),
    DemoInitiative(
        title="ส่งอาหารให้เร็วขึ้นช่วงเที่ยง",
        description="เพิ่มไรเดอร์ช่วง 11:00-13:00 และแยกครัวสำหรับออร์เดอร์เดลิเวอรี",
        status="in_progress",
        owner_team="support",
        contributors=("customer-experience",),
        theme="delivery",
        root_cause="delivery-delay",
        created_days_ago=30,
        due_in_days=25,
        expected_change=3,
    ),
    DemoInitiative(
        title="อบรมพนักงานต้อนรับ",
        description="อบรมการต้อนรับลูกค้าและการแนะนำเมนูสำหรับพนักงานใหม่",
        status="planned",
        owner_team="customer-experience",
        theme="staff",
        root_cause="staff-behaviour",
        created_days_ago=15,
        due_in_days=40,
    ),
    DemoInitiative(
        title="เมนูมังสวิรัติ",
        description="ลูกค้าหลายคนขอเมนูมังสวิรัติและเจ",
        status="proposed",
        owner_team="product",
        contributors=("marketing",),
        theme="feature_request",
        root_cause="missing-feature",
        created_days_ago=6,
        due_in_days=120,
    ),
    DemoInitiative(
        title="คูปองส่วนลดวันเกิด",
        description="ส่งคูปองส่วนลดในวันเกิดของลูกค้า",
        status="dropped",
        owner_team="marketing",
        theme="price_value",
        created_days_ago=60,
        reason="ลูกค้าพูดถึงน้อย ยังไม่คุ้มค่าในปีนี้",
    ),
]

PLANS = {"demo": SEOUL, "demo-bkk": BANGKOK}


def _team(org: Organization, slug: str) -> Team | None:
    return (
        Team.objects.filter(organization=org, slug=slug).first()
        or Team.objects.filter(organization=org).order_by("name").first()
    )


def _owner_of(org: Organization, team: Team | None) -> User | None:
    if team is not None:
        member = (
            Membership.objects.filter(organization=org, teams=team)
            .select_related("user")
            .order_by("created_at")
            .first()
        )
        if member is not None:
            return member.user
    first = Membership.objects.filter(organization=org, role="owner").select_related("user").first()
    return first.user if first is not None else None


def _seed_one(org: Organization, spec: DemoInitiative, now: dt.datetime) -> None:
    from closeloop.cases.models import Case, RootCause
    from closeloop.text.models import Theme

    theme = Theme.objects.filter(organization=org, key=spec.theme).first()
    cause = (
        RootCause.objects.filter(organization=org, default_key=spec.root_cause).first()
        if spec.root_cause
        else None
    )
    cases = (
        list(
            Case.objects.filter(
                organization=org, root_cause=cause, status__in=("resolved", "closed")
            ).order_by("number")[:6]
        )
        if cause is not None
        else []
    )
    team = _team(org, spec.owner_team)
    contributors = [
        t
        for slug in spec.contributors
        if (t := Team.objects.filter(organization=org, slug=slug).first()) is not None and t != team
    ]
    owner = _owner_of(org, team)
    created_at = now - dt.timedelta(days=spec.created_days_ago)
    today = timezone.localdate()
    initiative = services.initiative_create(
        organization=org,
        actor=owner,
        title=spec.title,
        description=spec.description,
        origin="theme" if theme is not None else "manual",
        owner_team=team,
        owner=owner,
        contributors=contributors,
        due_date=today + dt.timedelta(days=spec.due_in_days) if spec.due_in_days else None,
        target_metric=spec.target_metric,
        target_survey=selectors.main_nps_survey(org),
        target_theme=theme,
        expected_change=spec.expected_change,
        themes=[theme] if theme is not None else [],
        root_causes=[cause] if cause is not None else [],
        cases=cases,
    )
    shipped_at = now - dt.timedelta(days=spec.shipped_days_ago) if spec.shipped_days_ago else None
    steps = _steps(spec.status)
    step_times: dict[str, dt.datetime] = {}
    for index, status in enumerate(steps):
        initiative = services.initiative_transition(
            initiative=initiative, to_status=status, actor=owner, reason=spec.reason
        )
        if status == "shipped" and shipped_at is not None:
            # Ship it in the past before measuring, so the frozen figures use its real windows.
            Initiative.objects.filter(pk=initiative.pk).update(shipped_at=shipped_at)
            initiative.shipped_at = shipped_at
            step_times[status] = shipped_at
        elif status == "measured" and shipped_at is not None:
            step_times[status] = min(now, shipped_at + dt.timedelta(days=initiative.after_days))
        else:
            end = shipped_at or now - dt.timedelta(days=1)
            span = (end - created_at) / (len(steps) + 1)
            step_times[status] = created_at + span * (index + 1)
    Initiative.objects.filter(pk=initiative.pk).update(
        created_at=created_at,
        measured_at=step_times.get("measured"),
    )
    activities = Activity.objects.filter(organization=org, object_id=str(initiative.pk))
    activities.filter(verb="initiative.created").update(created_at=created_at)
    for activity in activities.exclude(verb="initiative.created"):
        when = step_times.get(str(activity.data.get("to", "")))
        if when is not None:
            Activity.objects.filter(pk=activity.pk).update(created_at=when)


def seed_demo_initiatives() -> None:
    """The initiatives step of the demo (both organizations)."""
    now = timezone.now()
    for slug, plan in PLANS.items():
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            continue
        existing = set(Initiative.objects.filter(organization=org).values_list("title", flat=True))
        for spec in plan:
            if spec.title in existing:
                continue
            with transaction.atomic():
                _seed_one(org, spec, now)
