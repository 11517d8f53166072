"""Demo data of the customer advocacy review: the customer-experience team of each demo
organization flagged as its advocacy team, the weekly meeting and digest, and a few past
decisions about the organization's own most mentioned themes (Korean and English in Seoul, Thai
in Bangkok), linked to the demo initiatives about the same theme where there are some.

Idempotent: an organization that already has decisions keeps them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.accounts.services import team_set_members, team_update
from closeloop.initiatives.choices import DecisionKind, InitiativeStatus
from closeloop.initiatives.decisions import decision_record, review_settings_update
from closeloop.initiatives.models import Decision, Initiative
from closeloop.text.models import Theme

SEOUL_SLUG = "demo"
BANGKOK_SLUG = "demo-bkk"

# Per theme key: (kind without an initiative, Korean, English, Thai).
TEXTS: dict[str, tuple[str, str, str, str]] = {
    "delivery": (
        DecisionKind.ESCALATE,
        "배송 지연 불만이 3주 연속 늘었습니다. "
        "물류팀과 택배사 변경을 검토하고 다음 회의에서 보고합니다.",
        "Late deliveries rose three weeks running. Tech and Support review the courier contract "
        "and report back next meeting.",
        "ลูกค้าบ่นเรื่องส่งช้าเพิ่มขึ้นสามสัปดาห์ติด ทีมซัพพอร์ตจะคุยกับไรเดอร์และรายงานในประชุมครั้งหน้า",
    ),
    "price_value": (
        DecisionKind.WATCH,
        "가격 관련 언급은 많지만 NPS 차이는 오차 범위 안입니다. 한 달 더 지켜봅니다.",
        "Many mention price, but the NPS gap is within the margin of error. Watch for another "
        "month before acting.",
        "มีคนพูดถึงราคาเยอะ แต่ส่วนต่าง NPS ยังอยู่ในช่วงคลาดเคลื่อน ติดตามต่ออีกหนึ่งเดือน",
    ),
    "customer_support": (
        DecisionKind.INITIATIVE,
        "응답 시간이 SLA를 자주 넘깁니다. 고객 지원팀이 주말 당번제를 제안합니다.",
        "Support replies miss the SLA too often. Support proposes a weekend rota as an initiative.",
        "การตอบกลับลูกค้าช้ากว่า SLA บ่อย ทีมซัพพอร์ตเสนอจัดเวรวันหยุดเป็นโครงการ",
    ),
    "product_quality": (
        DecisionKind.INITIATIVE,
        "원두 신선도 불만이 가장 많은 추천 고객 손실을 일으킵니다. 로스팅 일자 표시를 추진합니다.",
        "Stale beans cost the most promoters. Product will print the roast date on every bag.",
        "เส้นไม่สดทำให้เสียลูกค้าที่แนะนำต่อมากที่สุด ครัวจะเปลี่ยนรอบการลวกเส้นให้ถี่ขึ้น",
    ),
    "ease_of_use": (
        DecisionKind.WATCH,
        "앱 주문 화면이 어렵다는 의견이 있습니다. UI 디자인팀이 사용성 테스트 결과를 가져옵니다.",
        "Some find the ordering app hard to use. UI design brings usability test results next "
        "time.",
        "ลูกค้าบางคนบอกว่าสั่งผ่านแอปยาก ทีมเทคจะทดสอบการใช้งานแล้วมารายงาน",
    ),
    "billing": (
        DecisionKind.ESCALATE,
        "이중 결제 사례가 반복됩니다. 기술팀에 긴급 이슈로 올립니다.",
        "Double charges keep coming back. Escalated to Tech as an urgent issue.",
        "มีการตัดเงินซ้ำหลายครั้ง ส่งเรื่องด่วนให้ทีมเทค",
    ),
    "staff": (
        DecisionKind.NO_ACTION,
        "직원 친절에 대한 칭찬이 대부분입니다. 조치는 필요 없고 매장에 공유합니다.",
        "Mostly praise for the baristas. No action; share the comments with the shops.",
        "ส่วนใหญ่เป็นคำชมพนักงาน ไม่ต้องดำเนินการ แชร์คำชมให้ทีมหน้าร้าน",
    ),
    "feature_request": (
        DecisionKind.WATCH,
        "정기 구독 요청이 늘고 있습니다. 아이디어 포털의 투표 수를 다음 달에 다시 봅니다.",
        "Requests for a subscription keep growing. Revisit with the idea portal's votes next "
        "month.",
        "มีคำขอเมนูใหม่เพิ่มขึ้น ดูคะแนนโหวตในพอร์ทัลไอเดียเดือนหน้า",
    ),
}
GENERIC = (
    DecisionKind.WATCH,
    "{name}: 다음 회의까지 추이를 지켜봅니다.",
    "{name}: watch the trend until the next meeting.",
    "{name}: ติดตามแนวโน้มจนถึงการประชุมครั้งหน้า",
)


def _past_meetings(org: Organization, weekday: int, count: int) -> list[dt.date]:
    """The last `count` meeting days before today (org time zone), oldest first."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()
    last = today - dt.timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return [last - dt.timedelta(days=7 * n) for n in reversed(range(count))]


def _themes(org: Organization) -> list[Theme]:
    from closeloop.text.selectors import theme_counts, themes_for

    since = timezone.now() - dt.timedelta(days=120)
    ranked = [c.theme for c in theme_counts(org, since=since) if c.comments > 0]
    if len(ranked) < 5:
        ranked += [t for t in themes_for(org) if t not in ranked]
    return ranked[:5]


def _flag(org: Organization, extra_member_emails: tuple[str, ...] = ()) -> Team | None:
    team = Team.objects.filter(organization=org, slug="customer-experience").first()
    if team is None:
        return None
    if not team.is_advocacy_team:
        team_update(
            team=team, name=team.name, description=team.description, actor=None,
            is_advocacy_team=True,
        )  # fmt: skip
    members = list(team.members.all())
    leads = list(
        Membership.objects.filter(teammember__team=team, teammember__is_lead=True).distinct()
    )
    extra = list(
        Membership.objects.filter(organization=org, user__email__in=extra_member_emails).exclude(
            pk__in=[m.pk for m in members]
        )
    )
    if extra:
        team_set_members(team=team, memberships=members + extra, leads=leads, actor=None)
    return team


def _seed(org: Organization, *, weekday: int, time: dt.time, languages: tuple[str, ...]) -> None:
    if Decision.objects.filter(organization=org).exists():
        return
    review_settings_update(
        organization=org, actor=None, meeting_weekday=weekday, meeting_time=time,
        digest_hours_before=24, review_period_days=30, digest_enabled=True,
    )  # fmt: skip
    author = (
        User.objects.filter(
            memberships__organization=org,
            memberships__teammember__team__is_advocacy_team=True,
        )
        .order_by("email")
        .first()
    )
    themes = _themes(org)
    meetings = _past_meetings(org, weekday, 3)
    for n, theme in enumerate(themes):
        key = theme.key
        name = theme.name_in(languages[n % len(languages)])
        kind, ko, en, th = TEXTS.get(key, GENERIC)
        texts = {"ko": ko, "en": en, "th": th}
        language = languages[n % len(languages)]
        initiative = (
            Initiative.objects.filter(organization=org, themes=theme)
            .exclude(status=InitiativeStatus.DROPPED)
            .order_by("number")
            .first()
        )
        decision_record(
            organization=org,
            kind=DecisionKind.INITIATIVE if initiative is not None else kind,
            text=texts[language].format(name=name),
            theme=theme,
            initiative=initiative,
            meeting_on=meetings[min(n // 2, len(meetings) - 1)],
            actor=author,
        )
    # One general decision at the latest meeting.
    general = {
        "ko": "다음 분기부터 모든 부서가 매주 회의에 한 명씩 참석합니다.",
        "en": "From next quarter every department sends one person to the weekly review.",
        "th": "ตั้งแต่ไตรมาสหน้า ทุกแผนกส่งตัวแทนหนึ่งคนเข้าประชุมรีวิวทุกสัปดาห์",
    }
    decision_record(
        organization=org, kind=DecisionKind.NO_ACTION, text=general[languages[0]],
        meeting_on=meetings[-1], actor=author,
    )  # fmt: skip


def seed_demo_review() -> None:
    """Flag the advocacy teams, set the meetings, and record past decisions (both orgs)."""
    seoul = Organization.objects.filter(slug=SEOUL_SLUG).first()
    if seoul is not None:
        _flag(seoul)
        _seed(seoul, weekday=1, time=dt.time(10, 0), languages=("ko", "en"))
    bangkok = Organization.objects.filter(slug=BANGKOK_SLUG).first()
    if bangkok is not None:
        # Support's lead joins, so Support is represented in Bangkok too.
        _flag(bangkok, ("nattaya.srisuk@closeloop.local",))
        _seed(bangkok, weekday=2, time=dt.time(9, 30), languages=("th",))
