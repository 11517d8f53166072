"""Demo cases for Seoul Bean Roasters: business hours in Asia/Seoul, 2026-2027 Korean public
holidays, reply templates in English, Korean and Thai, and ~25 cases over the last 60 days for
Support, Client success and Product in every status — with replies, internal notes, root causes,
a couple of SLA breaches and a few recovered customers.

Keyed by the reply templates' names and the cases' titles, so running the demo again
duplicates nothing. Each case is worked through the services, then its timeline is moved back
to when it "happened"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone

from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.cases.config import case_defaults_ensure, holiday_add, reply_template_save
from closeloop.cases.escalation import sla_breaches_check
from closeloop.cases.followup import follow_up_answer
from closeloop.cases.models import Case, CaseEvent, CaseReply, Holiday, ReplyTemplate, RootCause
from closeloop.cases.services import (
    case_add_note,
    case_assign,
    case_close,
    case_create,
    case_reply,
    case_resolve,
    case_transition,
)
from closeloop.contacts.models import Contact
from closeloop.responses.models import AnswerFact, Response

KOREAN_HOLIDAYS = [
    ("2026-01-01", "신정"), ("2026-02-16", "설날 연휴"), ("2026-02-17", "설날"),
    ("2026-02-18", "설날 연휴"), ("2026-03-02", "삼일절 대체공휴일"), ("2026-05-05", "어린이날"),
    ("2026-05-25", "부처님오신날 대체공휴일"), ("2026-06-03", "전국동시지방선거"),
    ("2026-08-17", "광복절 대체공휴일"), ("2026-09-24", "추석 연휴"), ("2026-09-25", "추석"),
    ("2026-09-28", "추석 대체공휴일"), ("2026-10-05", "개천절 대체공휴일"), ("2026-10-09", "한글날"),  # noqa: E501
    ("2026-12-25", "성탄절"),
    ("2027-01-01", "신정"), ("2027-02-08", "설날 연휴"), ("2027-02-09", "설날 대체공휴일"),
    ("2027-03-01", "삼일절"), ("2027-05-05", "어린이날"), ("2027-05-13", "부처님오신날"),
    ("2027-08-16", "광복절 대체공휴일"), ("2027-09-14", "추석 연휴"), ("2027-09-15", "추석"),
    ("2027-09-16", "추석 연휴"), ("2027-10-04", "개천절 대체공휴일"),
    ("2027-10-11", "한글날 대체공휴일"), ("2027-12-27", "성탄절 대체공휴일"),
]  # fmt: skip

TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "Apology and next steps": {
        "en": {
            "subject": "We are sorry, {{contact.first_name}}",
            "body": "Hi {{contact.first_name}},\n\nThank you for telling us. We are sorry about "
            "your experience and we are fixing it now. I will write again as soon as it is "
            "sorted.\n\n{{agent.name}}, {{org.name}}",
        },
        "ko": {
            "subject": "{{contact.first_name}}님, 불편을 드려 죄송합니다",
            "body": "{{contact.first_name}}님, 안녕하세요.\n\n소중한 의견 감사합니다. 불편을 "
            "드려 정말 죄송합니다. 지금 바로 해결하고 있으며, 해결되는 대로 다시 연락드리겠습니다."
            "\n\n{{org.name}} {{agent.name}} 드림",
        },
        "th": {
            "subject": "ขออภัยค่ะ คุณ{{contact.first_name}}",
            "body": "สวัสดีค่ะ คุณ{{contact.first_name}}\n\nขอบคุณที่แจ้งให้เราทราบ "
            "ขออภัยในความไม่สะดวก เรากำลังแก้ไขอยู่และจะแจ้งให้ทราบอีกครั้งเมื่อเรียบร้อยค่ะ"
            "\n\n{{agent.name}} {{org.name}}",
        },
    },
    "Checking in": {
        "en": {
            "subject": "Is everything fine now? (case {{case.number}})",
            "body": "Hi {{contact.first_name}},\n\nWe made the change you asked for. Could you "
            "tell us whether it works for you now?\n\n{{agent.name}}",
        },
        "ko": {
            "subject": "이제 괜찮으신가요? (문의 {{case.number}})",
            "body": "{{contact.first_name}}님,\n\n말씀하신 부분을 반영했습니다. 이제 문제가 "
            "없으신지 알려주시겠어요?\n\n{{agent.name}} 드림",
        },
        "th": {
            "subject": "ตอนนี้เรียบร้อยดีไหมคะ (เคส {{case.number}})",
            "body": "สวัสดีค่ะ คุณ{{contact.first_name}}\n\nเราได้แก้ไขตามที่แจ้งแล้ว "
            "รบกวนแจ้งให้เราทราบว่าตอนนี้ใช้งานได้ดีหรือยังคะ\n\n{{agent.name}}",
        },
    },
}


@dataclass(frozen=True)
class DemoCase:
    """One scripted case: who, what, and how far it got."""

    team: str
    language: str
    title: str
    plan: str  # new | open | waiting | resolved | closed | reopened | breached | recovered
    days_ago: float
    priority: str = "normal"
    cause: str = "other"
    reply: str = ""
    note: str = ""
    resolution: str = ""
    score: int | None = None  # follow-up score


SCRIPT: tuple[DemoCase, ...] = (
    DemoCase("support", "ko", "원두가 너무 늦게 도착했어요", "recovered", 52, "high", "delivery-delay",  # noqa: E501
             "고객님, 배송 지연 정말 죄송합니다. 배송비를 환불해 드렸습니다.", "택배사 파업 영향",
             "배송비 환불, 다음 주문 무료 배송 쿠폰 발급", 9),
    DemoCase("support", "en", "Grinder arrived broken", "recovered", 47, "high", "product-defect",
             "Sorry about the grinder! A replacement ships today.", "Check the packaging supplier",
             "Sent a replacement grinder by express", 8),
    DemoCase("support", "th", "กาแฟที่ได้รับรสชาติไม่เหมือนเดิม", "closed", 44, "normal",
             "expectation-mismatch", "ขออภัยค่ะ เราเปลี่ยนแหล่งเมล็ดกาแฟในเดือนนี้ค่ะ", "",
             "อธิบายเรื่องการเปลี่ยนเมล็ด และส่งตัวอย่างสูตรเดิมให้ลอง", 7),
    DemoCase("support", "ko", "결제가 두 번 되었습니다", "recovered", 40, "urgent", "billing-error",
             "이중 결제 확인했습니다. 바로 취소 처리해 드렸습니다.", "PG사 재시도 버그",
             "중복 결제 취소, 사과 쿠폰 제공", 10),
    DemoCase("support", "en", "Barista was rude at Gangnam store", "reopened", 36, "high",
             "staff-behaviour", "We are very sorry. The store manager will call you today.",
             "Store manager informed", "Store manager apologised by phone", 3),
    DemoCase("support", "ko", "앱에서 주문 취소가 안 돼요", "resolved", 31, "normal",
             "website-usability", "취소 버튼 오류를 확인했습니다. 직접 취소해 드렸어요.", "",
             "수동 취소 처리, 제품팀에 버그 전달"),
    DemoCase("support", "th", "สั่งกาแฟแล้วได้ของไม่ครบ", "closed", 27, "normal", "delivery-delay",
             "ขออภัยค่ะ เราจัดส่งสินค้าที่ขาดไปให้แล้วค่ะ", "", "ส่งสินค้าที่ขาดเพิ่มเติม", 6),
    DemoCase("support", "en", "Subscription renewed without notice", "closed", 23, "high",
             "billing-error", "You are right, the reminder email failed. Refund issued.",
             "Reminder emails bounced for a week", "Refunded the renewal, fixed the reminder job"),
    DemoCase("support", "ko", "매장 와이파이가 계속 끊겨요", "waiting", 4, "low", "other",
             "불편을 드려 죄송합니다. 어느 매장인지 알려주실 수 있을까요?"),
    DemoCase("support", "en", "Order stuck in 'preparing' for 2 days", "breached", 12, "high",
             "delivery-delay", note="Warehouse did not answer yet"),
    DemoCase("support", "ko", "포인트가 적립되지 않았어요", "breached", 9, "normal", "billing-error"),  # noqa: E501
    DemoCase("support", "th", "แก้วกาแฟรั่ว", "open", 1.2, "normal", "product-defect",
             note="ขอรูปถ่ายจากลูกค้า"),
    DemoCase("support", "en", "Cold brew tasted sour", "new", 0.2, "normal"),
    DemoCase("support", "ko", "배송 기사님이 불친절했어요", "new", 0.1, "high"),
    DemoCase("client-success", "en", "Office plan: invoice in wrong company name", "closed", 50,
             "normal", "billing-error", "Corrected invoice attached. Sorry for the trouble!", "",
             "Reissued the invoice", 9),
    DemoCase("client-success", "th", "ต้องการเปลี่ยนรอบจัดส่งสำหรับสำนักงาน", "resolved", 33, "low",
             "expectation-mismatch", "เปลี่ยนรอบจัดส่งเป็นทุกวันจันทร์ให้แล้วค่ะ", "",
             "ปรับรอบจัดส่งให้ตามที่ขอ"),
    DemoCase("client-success", "ko", "사무실 정기배송 수량이 부족해요", "recovered", 25, "high",
             "delivery-delay", "정기배송 수량을 늘리고 부족분을 바로 보내드렸습니다.", "VIP 고객사",
             "부족분 퀵 배송, 다음 달 수량 조정", 9),
    DemoCase("client-success", "en", "Want a tasting session for our team", "waiting", 3, "low",
             "other", "Happy to! Which dates suit your team?"),
    DemoCase("client-success", "ko", "계약 갱신 조건 문의", "open", 2, "normal", "other",
             "문의 감사합니다. 조건 정리해서 내일까지 안내드리겠습니다.", "영업팀과 조건 확인 중"),
    DemoCase("client-success", "th", "ใบกำกับภาษีไม่ถูกต้อง", "new", 0.5, "normal"),
    DemoCase("product", "en", "Please add oat milk to the app menu", "resolved", 38, "low",
             "missing-feature", "", "Top request this quarter", "Oat milk added in app 3.4"),
    DemoCase("product", "ko", "앱 결제 화면 글씨가 너무 작아요", "closed", 29, "normal",
             "website-usability", "", "디자인팀 검토", "결제 화면 글자 크기 개선 배포"),
    DemoCase("product", "th", "อยากให้มีภาษาไทยในแอป", "open", 15, "normal", "missing-feature",
             "ขอบคุณสำหรับคำแนะนำค่ะ เรากำลังพิจารณาเพิ่มภาษาไทยในแอป", "อยู่ในแผนไตรมาสหน้า"),
    DemoCase("product", "en", "Reorder button missing on web", "waiting", 6, "normal",
             "missing-feature", "Thanks! Would a 'buy again' button on past orders work for you?"),
    DemoCase("product", "ko", "원두 로스팅 날짜를 보여주세요", "new", 0.8, "low"),
)  # fmt: skip


def _members(org: Organization) -> dict[str, list[Membership]]:
    out: dict[str, list[Membership]] = {}
    for team in Team.objects.filter(
        organization=org, slug__in=["support", "client-success", "product"]
    ):
        out[team.slug] = [
            m
            for m in team.members.select_related("user").order_by("created_at")
            if has_perm(m.role, Perm.WORK_CASES)
        ]
    return out


def _detractor_responses(org: Organization) -> dict[str, list[Response]]:
    """Completed detractor responses with a contact and no case, by the contact's language."""
    taken = set(Case.objects.filter(organization=org).values_list("response_id", flat=True))
    rows = AnswerFact.objects.filter(
        organization_id=org.pk,
        question_type="nps",
        number__lte=6,
        response__contact_id__isnull=False,
    ).values_list("response_id", flat=True)
    responses = (
        Response.objects.filter(pk__in=list(rows)).exclude(pk__in=taken).order_by("completed_at")
    )
    contacts = {c.pk: c for c in Contact.objects.filter(organization=org, email__isnull=False)}
    out: dict[str, list[Response]] = {}
    for response in responses:
        contact = contacts.get(response.contact_id) if response.contact_id else None
        if contact is not None:
            out.setdefault(contact.language or "en", []).append(response)
    return out


def _contacts(org: Organization) -> dict[str, list[Contact]]:
    out: dict[str, list[Contact]] = {}
    for contact in Contact.objects.filter(
        organization=org, email__isnull=False, kind="customer"
    ).order_by("email"):
        out.setdefault(contact.language or "en", []).append(contact)
    return out


DUE_FIELDS = ["created_at", "sla_started_at", "first_response_due_at", "resolution_due_at"]
LATER_FIELDS = [
    "first_responded_at", "resolved_at", "closed_at", "escalated_at", "follow_up_sent_at",
    "follow_up_answered_at", "waiting_since",
]  # fmt: skip


def _shift(case: Case, since: dt.datetime, delta: dt.timedelta, *, whole: bool = False) -> None:
    """Move what happened to the case after `since` back by `delta` (demo history); `whole`
    moves the case's creation and due times too."""
    updates: dict[str, Any] = {}
    for name in (DUE_FIELDS if whole else []) + LATER_FIELDS:
        value = getattr(case, name)
        if value is not None and (whole or value >= since):
            updates[name] = F(name) - delta
    if updates:
        Case.objects.filter(pk=case.pk).update(**updates)
    for model in (CaseEvent, CaseReply):
        model.objects.filter(case=case, created_at__gte=since).update(  # type: ignore[attr-defined]
            created_at=F("created_at") - delta
        )


def _automation_cases(org: Organization) -> dict[str, list[Case]]:
    """Cases the demo's automation rules opened for detractors and nobody worked yet."""
    out: dict[str, list[Case]] = {}
    cases = Case.objects.filter(
        organization=org, status="new", rule__isnull=False, original_score__lte=6
    ).select_related("contact", "response")
    for case in cases.order_by("number"):
        language = (case.contact.language if case.contact else "") or case.language or "en"
        out.setdefault(language, []).append(case)
    return out


def _work(case: Case, spec: DemoCase, agent: User | None, causes: dict[str, RootCause],
          template: ReplyTemplate | None) -> None:  # fmt: skip
    if spec.note:
        case_add_note(case=case, body=spec.note, actor=agent)
    if spec.plan in ("new", "breached"):
        return
    if spec.reply and case.contact is not None and case.contact.email:
        case_reply(case=case, body=spec.reply, actor=agent, template=template)
        case.refresh_from_db()
    else:
        case_transition(case=case, to_status="open", actor=agent)
    if spec.plan in ("open", "waiting"):
        if spec.plan == "open" and case.status == "waiting_on_customer":
            case_transition(case=case, to_status="open", actor=agent, note="Customer answered")
        return
    case = case_resolve(
        case=case, root_cause=causes[spec.cause], note=spec.resolution or spec.title, actor=agent
    )
    if spec.plan == "closed" and spec.score is None:
        case_close(case=case, actor=agent)
    elif spec.plan in ("closed", "recovered") and case.follow_up_sent_at is not None:
        follow_up_answer(case=case, resolved=True, score=spec.score)
    elif spec.plan in ("closed", "recovered"):
        case_close(case=case, actor=agent)
    elif spec.plan == "reopened" and case.follow_up_sent_at is not None:
        follow_up_answer(case=case, resolved=False, score=spec.score)
    elif spec.plan == "reopened":
        case_transition(case=case, to_status="reopened", actor=agent)


def seed_cases(org: Organization) -> None:
    """Settings, templates and the scripted cases of one organization (once)."""
    if ReplyTemplate.objects.filter(organization=org, name="Checking in").exists():
        return
    case_defaults_ensure(organization=org)
    for day, name in KOREAN_HOLIDAYS:
        date = dt.date.fromisoformat(day)
        if not Holiday.objects.filter(organization=org, date=date).exists():
            holiday_add(organization=org, date=date, name=name)
    for name, texts in TEMPLATES.items():
        if not ReplyTemplate.objects.filter(organization=org, name=name).exists():
            reply_template_save(organization=org, name=name, texts=texts)
    templates = {t.name: t for t in ReplyTemplate.objects.filter(organization=org)}
    causes = {c.default_key: c for c in RootCause.objects.filter(organization=org) if c.default_key}
    teams = {t.slug: t for t in Team.objects.filter(organization=org)}
    members = _members(org)
    responses = _detractor_responses(org)
    contacts = _contacts(org)
    taken = _automation_cases(org)
    now = timezone.now()
    for index, spec in enumerate(SCRIPT):
        created = now - dt.timedelta(days=spec.days_ago)
        team_members = members.get(spec.team) or []
        assignee = (
            team_members[index % len(team_members)] if team_members and spec.plan != "new" else None
        )
        needs_score = spec.plan in ("recovered", "reopened") or spec.score is not None
        pool = responses.get(spec.language) or []
        response = pool.pop(0) if spec.team != "product" and pool else None
        adopted = None
        if response is None and needs_score:
            every = [c for v in taken.values() for c in v]
            same = taken.get(spec.language) or []
            reachable = [c for c in same + every if c.contact is not None and c.contact.email]
            if spec.plan == "recovered":  # the follow-up needs someone to answer it
                candidates = reachable
            else:
                candidates = [c for c in same + every if c not in reachable] or same or every
            adopted = candidates[0] if candidates else None
            if adopted is not None:
                for group in taken.values():
                    if adopted in group:
                        group.remove(adopted)
        if adopted is not None:
            # Work the case a rule opened, as if it had opened on that day.
            case = adopted
            _shift(case, dt.datetime.min.replace(tzinfo=dt.UTC), now - created, whole=True)
            case.refresh_from_db()
            if assignee is not None:
                case = case_assign(case=case, assignee=assignee, actor=None)
        else:
            contact = None
            if response is None:
                people = contacts.get(spec.language) or contacts.get("en") or []
                contact = people[index % len(people)] if people else None
            case = case_create(
                organization=org,
                title=spec.title,
                team=teams.get(spec.team),
                priority=spec.priority,
                response=response,
                contact=contact,
                assignee=assignee,
                assignee_strategy="none",
                created_at=created,
            )
        since = timezone.now()
        agent = assignee.user if assignee is not None else None
        if spec.plan == "new" and spec.days_ago > 0.3 and team_members:
            case_assign(case=case, assignee=team_members[0], actor=None)
        template = templates.get("Apology and next steps") if index % 3 == 0 else None
        _work(case, spec, agent, causes, template)
        case.refresh_from_db()
        # What followed happened within the first days of the case.
        span = min(spec.days_ago * 0.6, 3.0)
        _shift(case, since, (timezone.now() - created) - dt.timedelta(days=span))
    sla_breaches_check()


def seed_demo_cases() -> None:
    """The cases step of the demo: Seoul Bean Roasters' cases; Bangkok gets the defaults."""
    from closeloop.demo.seed import BANGKOK_SLUG, SEOUL_SLUG

    seoul = Organization.objects.filter(slug=SEOUL_SLUG).first()
    if seoul is not None:
        seed_cases(seoul)
    bangkok = Organization.objects.filter(slug=BANGKOK_SLUG).first()
    if bangkok is not None:
        case_defaults_ensure(organization=bangkok)
