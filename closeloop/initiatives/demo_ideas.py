"""The ideas step of the demo: each demo organization's idea portal open with its branding,
ten or so ideas in its customers' languages with votes from verified visitors (some of them
demo contacts), comments with an official reply, statuses across the range with public
replies, one merged duplicate, two ideas waiting in the moderation queue, and links to themes
and to an initiative of the initiatives step. Built through the services; statuses are set
before the votes arrive so seeding emails nobody. Running it again adds nothing."""

# ruff: noqa: E501  (the demo content is long sentences)
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

DEMO_SLUGS = ("demo", "demo-bkk")


@dataclass(frozen=True)
class IdeaSpec:
    title: str
    body: str
    language: str
    votes: int
    status: str = "open"
    reply: str = ""
    theme: str = ""
    comments: tuple[str, ...] = ()
    official: str = ""
    initiative: bool = False
    merge_into: int | None = None  # index of the idea kept
    author: tuple[str, str] = ("", "")
    extra: dict[str, Any] = field(default_factory=dict)


SEOUL_PORTAL = {
    "title": {"en": "Seoul Bean Roasters — ideas", "ko": "서울빈로스터스 아이디어 게시판"},
    "intro": {
        "en": "Tell us what would make your coffee, our cafés and our app better. Vote for the "
        "ideas you like; we reply to every one and tell voters when something ships.",
        "ko": "커피, 매장, 앱을 더 좋게 만들 아이디어를 알려 주세요. 마음에 드는 아이디어에 투표하면 "
        "진행 상황을 이메일로 알려 드립니다.",
    },
    "default_language": "ko",
    "accent_color": "#7c4a1e",
}
BANGKOK_PORTAL = {
    "title": {"th": "ไอเดียสำหรับ Bangkok Noodle Bar", "en": "Bangkok Noodle Bar — ideas"},
    "intro": {
        "th": "บอกเราว่าอยากให้ร้านปรับปรุงอะไร โหวตไอเดียที่ชอบ แล้วเราจะแจ้งเมื่อมีความคืบหน้า",
        "en": "Tell us what we should improve. Vote for the ideas you like; we tell you when "
        "they happen.",
    },
    "default_language": "th",
    "accent_color": "#c2410c",
}

SEOUL_IDEAS = (
    IdeaSpec(
        "Oat milk at no extra charge",
        "Many of us avoid dairy; the 700 won surcharge feels unfair.",
        "en",
        23,
        "planned",
        "We are testing two oat milk suppliers and plan to drop the surcharge in spring.",
        "price_value",
        ("Yes please, I skip lattes because of the surcharge.",),
        "Thanks for all the votes — the supplier tests start next week.",
        True,
    ),
    IdeaSpec(
        "배송 시간 예약 기능",
        "원두 정기배송을 받을 시간을 고를 수 있으면 좋겠어요. 낮에는 집에 없어요.",
        "ko",
        31,
        "in_progress",
        "배송 시간대 선택 기능을 개발 중입니다. 다음 달 앱 업데이트에 포함될 예정입니다.",
        "delivery",
        ("저도 필요해요! 경비실에 맡겨지면 원두가 식어요.", "저녁 7시 이후 배송 옵션 부탁드려요."),
        "",
        True,
    ),
    IdeaSpec(
        "Reusable cup discount",
        "A 300 won discount when I bring my own cup.",
        "en",
        17,
        "shipped",
        "Shipped! Bring your own cup to any café and get 300 won off.",
        "price_value",
        ("Used it this morning, thank you!",),
    ),
    IdeaSpec(
        "앱에서 스탬프 적립 확인",
        "종이 쿠폰을 자꾸 잃어버려요. 앱에서 스탬프를 보고 싶어요.",
        "ko",
        26,
        "under_review",
        "좋은 제안 감사합니다. 멤버십 개편과 함께 검토하고 있습니다.",
        "ease_of_use",
    ),
    IdeaSpec(
        "Decaf single origin",
        "Decaf is always a blend; a single-origin decaf would be lovely.",
        "en",
        9,
        "open",
        "",
        "product_quality",
    ),
    IdeaSpec(
        "영수증 이메일 발송",
        "카드 영수증을 이메일로 받고 싶어요.",
        "ko",
        6,
        "declined",
        "검토했지만 결제 단말기에서 지원하지 않아 당분간 어렵습니다. 대신 앱 주문 내역에서 영수증을 볼 수 있습니다.",
        "billing",
    ),
    IdeaSpec(
        "More seats with power outlets",
        "I work from the Seongsu café; outlets are always taken.",
        "en",
        12,
        "open",
        "",
        "staff",
        ("+1, especially near the windows.",),
    ),
    IdeaSpec(
        "Plant-based milk without surcharge",
        "Same as oat milk — soy and almond too.",
        "en",
        5,
        "open",
        "",
        "price_value",
        merge_into=0,
    ),
    IdeaSpec(
        "원두 구독 일시정지",
        "여행 갈 때 구독을 잠시 멈추고 싶어요.",
        "ko",
        8,
        "open",
        "",
        "feature_request",
    ),
    IdeaSpec(
        "Cold brew in 1 litre bottles",
        "For the office fridge.",
        "en",
        0,
        "pending",
        author=("Daniel Park", "daniel.park@example.com"),
    ),
    IdeaSpec(
        "매장 와이파이 비밀번호 표시",
        "계산대 옆에 와이파이 비밀번호를 붙여 주세요.",
        "ko",
        0,
        "pending",
        author=("이수진", "sujin.lee@example.kr"),
    ),
)

BANGKOK_IDEAS = (
    IdeaSpec(
        "เพิ่มระดับความเผ็ดให้เลือก",
        "อยากให้มีระดับความเผ็ด 1-5 ในแอปสั่งอาหาร",
        "th",
        28,
        "shipped",
        "เพิ่มแล้ว! เลือกระดับความเผ็ดได้ 5 ระดับตอนสั่งในแอป",
        "feature_request",
        ("ขอบคุณมากค่ะ สั่งง่ายขึ้นเยอะ",),
        "ขอบคุณทุกคนที่โหวตนะคะ",
        True,
    ),
    IdeaSpec(
        "ส่งอาหารเร็วขึ้นช่วงเที่ยง",
        "ช่วงเที่ยงรอนานเกิน 50 นาที",
        "th",
        34,
        "in_progress",
        "เรากำลังเพิ่มไรเดอร์ช่วง 11:30-13:30 และแยกครัวสำหรับออเดอร์เดลิเวอรี",
        "delivery",
        ("เห็นด้วยค่ะ ก๋วยเตี๋ยวอืดหมด",),
        "",
        True,
    ),
    IdeaSpec(
        "เมนูมังสวิรัติ",
        "อยากได้ก๋วยเตี๋ยวน้ำใสแบบมังสวิรัติ",
        "th",
        19,
        "planned",
        "วางแผนเปิดตัวเมนูเจ/มังสวิรัติ 3 รายการในเดือนหน้า",
        "product_quality",
    ),
    IdeaSpec(
        "บัตรสะสมแต้ม",
        "สะสมครบ 10 ชามฟรี 1 ชาม",
        "th",
        15,
        "under_review",
        "กำลังพิจารณาร่วมกับระบบสมาชิกใหม่",
        "price_value",
    ),
    IdeaSpec(
        "ภาชนะรักษ์โลก",
        "เปลี่ยนกล่องโฟมเป็นกล่องกระดาษ",
        "th",
        22,
        "open",
        "",
        "product_quality",
        ("สนับสนุนค่ะ",),
    ),
    IdeaSpec(
        "ที่จอดรถหน้าร้าน",
        "หาที่จอดยากมาก",
        "th",
        7,
        "declined",
        "ขออภัยค่ะ พื้นที่หน้าร้านเป็นของอาคาร เราจึงเพิ่มที่จอดไม่ได้ แต่มีส่วนลดค่าจอดที่ลานจอดข้างร้าน",
        "staff",
    ),
    IdeaSpec(
        "กล่องใส่อาหารรักษ์โลก", "ไม่เอาโฟมแล้ว", "th", 4, "open", "", "product_quality", merge_into=4
    ),
    IdeaSpec(
        "ชำระเงินด้วย QR ที่โต๊ะ", "สแกนจ่ายที่โต๊ะได้เลยไม่ต้องรอพนักงาน", "th", 11, "open", "", "billing"
    ),
    IdeaSpec(
        "เปิดร้านดึกขึ้นวันศุกร์",
        "อยากให้เปิดถึงเที่ยงคืน",
        "th",
        0,
        "pending",
        author=("สมชาย ใจดี", "somchai@example.co.th"),
    ),
    IdeaSpec(
        "เพิ่มเส้นบะหมี่ไข่แบบไม่มีกลูเตน",
        "แพ้กลูเตนค่ะ",
        "th",
        0,
        "pending",
        author=("Anna Weber", "anna.weber@example.com"),
    ),
)

FIRST_NAMES = {
    "ko": ["민준", "서연", "지호", "하은", "도윤", "수아", "예준", "지유", "시우", "하린"],
    "en": ["Alex", "Sam", "Jordan", "Taylor", "Chris", "Morgan", "Jamie", "Casey", "Riley", "Drew"],
    "th": ["สมหญิง", "ปิยะ", "อนันต์", "มาลี", "วิชัย", "กมล", "ศิริ", "ธนา", "นภา", "ชัย"],
}


def seed_demo_ideas() -> None:
    """Seed the idea portal of every demo organization that exists (idempotent)."""
    from closeloop.accounts.models import Organization

    for slug in DEMO_SLUGS:
        org = Organization.objects.filter(slug=slug).first()
        if org is not None:
            _seed_org(org)


def _visitors(org: Any, count: int, languages: tuple[str, ...], rng: random.Random) -> list[Any]:
    """Verified visitors: demo contacts with an email first, then made-up customers."""
    from closeloop.contacts.models import Contact
    from closeloop.initiatives.ideas import services

    now = timezone.now()
    people: list[Any] = []
    contacts = Contact.objects.filter(organization=org, erased_at__isnull=True).exclude(email="")
    for contact in contacts.order_by("created_at")[: count // 3]:
        language = contact.language if contact.language in ("en", "ko", "th") else languages[0]
        people.append(services.visitor_get_or_create(
            organization=org, email=contact.email or "", name=contact.first_name or "",
            language=language,
        ))  # fmt: skip
    n = 0
    while len(people) < count:
        language = languages[n % len(languages)]
        name = FIRST_NAMES[language][n % 10]
        domain = {"ko": "example.kr", "th": "example.co.th"}.get(language, "example.com")
        people.append(services.visitor_get_or_create(
            organization=org, email=f"ideas.{org.slug}.{n}@{domain}", name=name, language=language
        ))  # fmt: skip
        n += 1
    for visitor in people:
        if visitor.verified_at is None:
            visitor.verified_at = now - dt.timedelta(days=rng.randint(1, 90))
            visitor.save(update_fields=["verified_at"])
    rng.shuffle(people)
    return people


@transaction.atomic
def _seed_org(org: Any) -> None:
    from closeloop.accounts.models import Membership
    from closeloop.initiatives.ideas import services
    from closeloop.initiatives.ideas.selectors import portal_get
    from closeloop.initiatives.models import Idea, IdeaVote, Initiative, PortalVisitor
    from closeloop.text.models import Theme

    seoul = org.slug == "demo"
    portal = portal_get(organization=org)
    if not portal.enabled:
        services.portal_update(
            portal=portal, actor=None, enabled=True, moderate_ideas=True,
            **(SEOUL_PORTAL if seoul else BANGKOK_PORTAL),
        )  # fmt: skip
    if Idea.objects.filter(organization=org).exists():
        return
    rng = random.Random(f"ideas-{org.slug}")
    specs = SEOUL_IDEAS if seoul else BANGKOK_IDEAS
    languages = ("ko", "en") if seoul else ("th", "en")
    people = _visitors(org, 40, languages, rng)
    staff = Membership.objects.filter(organization=org, role="owner").select_related("user").first()
    staff_user = staff.user if staff is not None else None
    initiative = (
        Initiative.objects.filter(organization=org, themes__key__in=["feature_request", "delivery", "price_value"])
        .order_by("number").first()
        or Initiative.objects.filter(organization=org).order_by("number").first()
    )  # fmt: skip
    ideas: list[Any] = []
    for spec in specs:
        if spec.status == "pending":
            name, email = spec.author
            author = services.visitor_get_or_create(
                organization=org, email=email, name=name, language=spec.language
            )
            PortalVisitor.objects.filter(pk=author.pk).update(verified_at=timezone.now())
            author.refresh_from_db()
            idea = services.idea_propose(
                portal=portal, visitor=author, title=spec.title, body=spec.body,
                language=spec.language,
            )  # fmt: skip
            ideas.append(idea)
            continue
        idea = services.idea_create(
            organization=org, title=spec.title, body=spec.body, language=spec.language,
            actor=staff_user,
        )  # fmt: skip
        theme = (
            Theme.objects.filter(organization=org, key=spec.theme).first() if spec.theme else None
        )
        services.idea_update(
            idea=idea, actor=staff_user, themes=[theme] if theme else [],
            initiative=initiative if spec.initiative and initiative is not None else None,
        )  # fmt: skip
        if spec.status != "open":
            steps = {"planned": ["under_review"], "in_progress": ["under_review", "planned"],
                     "shipped": ["planned", "in_progress"], "declined": ["under_review"]}  # fmt: skip
            for step in steps.get(spec.status, []):
                services.idea_transition(idea=idea, to_status=step, actor=staff_user)
            services.idea_transition(
                idea=idea, to_status=spec.status, reply=spec.reply, actor=staff_user
            )
        # The author and the voters arrive after the statuses: seeding emails nobody.
        voters = rng.sample(people, min(spec.votes, len(people)))
        if voters:
            Idea.objects.filter(pk=idea.pk).update(author=voters[0], author_user=None)
            idea.refresh_from_db()
        IdeaVote.objects.bulk_create(
            [IdeaVote(idea=idea, visitor=v) for v in voters], ignore_conflicts=True
        )
        for i, text in enumerate(spec.comments):
            services.comment_add(
                portal=portal, idea=idea, visitor=voters[(i + 1) % len(voters)], body=text
            )
        if spec.official and staff_user is not None:
            services.comment_add(idea=idea, body=spec.official, author_user=staff_user)
        services._recount(idea)
        ideas.append(idea)
    for index, spec in enumerate(specs):
        if spec.merge_into is not None:
            services.idea_merge(idea=ideas[index], into=ideas[spec.merge_into], actor=staff_user)
