"""Demo announcements: for each demo organization's earliest shipped initiative, one sent
announcement (Korean and English for Seoul Bean Roasters, Thai for Bangkok Noodle Bar) with
recipients, a few of whom opened it and one skipped because they unsubscribed.

The emails are sent right here through the outbox (the demo's mailbox backend keeps them for
the Mailbox page), so the demo looks complete before any worker has run."""

from __future__ import annotations

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.contacts.models import Contact
from closeloop.initiatives.choices import InitiativeStatus, RecipientStatus
from closeloop.initiatives.models import Announcement, AnnouncementRecipient, Initiative

SEOUL_SLUG = "demo"
BANGKOK_SLUG = "demo-bkk"
MIN_RECIPIENTS = 5

TEXTS: dict[str, dict[str, dict[str, str]]] = {
    SEOUL_SLUG: {
        "en": {
            "subject": "{{ first_name }}, you asked — we fixed it",
            "body": (
                "Hi {{ first_name }},\n\n"
                "A little while ago you told us:\n"
                "“{{ what_they_said }}”\n\n"
                "You were right, and you were not the only one. Here is what we changed:\n"
                "{{ what_changed }}\n\n"
                "Thank you for telling us. Come by and taste the difference — and tell us "
                "what you think next time we ask.\n\n"
                "The Seoul Bean Roasters team"
            ),
        },
        "ko": {
            "subject": "{{ first_name }}님, 말씀하신 부분을 바꿨습니다",
            "body": (
                "{{ first_name }}님, 안녕하세요.\n\n"
                "얼마 전 이렇게 말씀해 주셨지요.\n"
                "“{{ what_they_said }}”\n\n"
                "같은 말씀을 주신 분들이 많았고, 이렇게 바꿨습니다.\n"
                "{{ what_changed }}\n\n"
                "솔직한 의견 정말 감사합니다. 매장에 들르셔서 달라진 점을 직접 느껴 보시고, "
                "다음에 의견을 여쭐 때 꼭 들려주세요.\n\n"
                "서울빈로스터스 드림"
            ),
        },
    },
    BANGKOK_SLUG: {
        "th": {
            "subject": "คุณ{{ first_name }} เราได้ปรับปรุงตามที่คุณบอกแล้ว",
            "body": (
                "สวัสดีคุณ{{ first_name }}\n\n"
                "เมื่อไม่นานมานี้คุณบอกเราว่า\n"
                "“{{ what_they_said }}”\n\n"
                "มีลูกค้าหลายท่านบอกเราแบบเดียวกัน และนี่คือสิ่งที่เราเปลี่ยน:\n"
                "{{ what_changed }}\n\n"
                "ขอบคุณที่บอกเรานะคะ แวะมาลองชิมอีกครั้ง แล้วบอกเราด้วยว่าเป็นอย่างไรบ้าง\n\n"
                "ทีมงาน Bangkok Noodle Bar"
            ),
        },
    },
}


# Customers who told Bangkok Noodle Bar about the problem in person or on LINE: the demo's
# Bangkok organization has no contact list of its own, so its announcement reaches these.
WALK_IN_CUSTOMERS: dict[str, list[tuple[str, str, str]]] = {
    BANGKOK_SLUG: [
        ("ploy.charoen@example.com", "พลอย", "เจริญ"),
        ("somsak.d@example.com", "สมศักดิ์", "ดีมาก"),
        ("nicha.k@example.com", "ณิชา", "แก้วใส"),
        ("anan.s@example.com", "อนันต์", "สุขใจ"),
        ("kanya.p@example.com", "กัญญา", "พรหมมา"),
        ("wichai.t@example.com", "วิชัย", "ทองดี"),
    ],
}


def _walk_in_customers(org: Organization, languages: list[str]) -> list[Contact]:
    from closeloop.contacts.services import contact_create

    found: list[Contact] = []
    for email, first, last in WALK_IN_CUSTOMERS.get(org.slug, []):
        contact = Contact.objects.filter(organization=org, email=email).first()
        if contact is None:
            contact = contact_create(
                organization=org, actor=None,
                data={"email": email, "first_name": first, "last_name": last,
                      "language": languages[0]},
            )  # fmt: skip
        found.append(contact)
    return found


def _earliest_shipped(org: Organization) -> Initiative | None:
    return (
        Initiative.objects.filter(
            organization=org,
            status__in=(InitiativeStatus.SHIPPED, InitiativeStatus.MEASURED),
        )
        .order_by("shipped_at", "created_at")
        .first()
    )


def _enough_people(initiative: Initiative, languages: list[str]) -> None:
    """Link a few customers who speak the announcement's languages when too few are linked."""
    from closeloop.initiatives.recipients import initiative_recipients

    linked = [r.contact.pk for r in initiative_recipients(initiative) if r.contact is not None]
    have = len(linked)
    if have >= MIN_RECIPIENTS:
        return
    extra = (
        Contact.objects.filter(
            organization_id=initiative.organization_id,
            email__isnull=False,
            erased_at__isnull=True,
            unsubscribed_at__isnull=True,
            language__in=languages,
        )
        .exclude(pk__in=linked)
        .order_by("created_at")[: MIN_RECIPIENTS - have]
    )
    initiative.contacts.add(*extra)
    if have + len(extra) < MIN_RECIPIENTS:
        initiative.contacts.add(*_walk_in_customers(initiative.organization, languages))


def seed_announcement(org: Organization) -> Announcement | None:
    """The organization's demo announcement (none when it has no shipped initiative)."""
    from closeloop.contacts.services import contact_unsubscribe
    from closeloop.initiatives.announcements import (
        announcement_create,
        announcement_deliver_batches,
        announcement_send,
        recipients_planned,
    )
    from closeloop.integrations.outbox import delivery_attempt

    initiative = _earliest_shipped(org)
    if initiative is None:
        return None
    existing = Announcement.objects.filter(organization=org, initiative=initiative).first()
    if existing is not None:
        return existing
    texts = TEXTS.get(org.slug, {})
    languages = list(texts) or [org.default_language]
    _enough_people(initiative, languages)
    planned = [p for p in recipients_planned(initiative=initiative) if not p.skip]
    # One customer unsubscribed meanwhile: the page shows them skipped, with the reason.
    if len(planned) > 2 and planned[-1].recipient.contact is not None:
        contact_unsubscribe(
            contact=planned[-1].recipient.contact, via="link", reason="Too many emails"
        )
    announcement = announcement_create(
        initiative=initiative,
        texts=texts,
        what_changed={lang: initiative.description or initiative.title for lang in languages},
    )
    announcement_send(announcement=announcement)
    announcement_deliver_batches(announcement_id=announcement.pk)
    rows = list(
        AnnouncementRecipient.objects.filter(announcement=announcement, delivery__isnull=False)
    )
    for row in rows:
        delivery_attempt(delivery_id=row.delivery_id)
    now = timezone.now()
    sent = AnnouncementRecipient.objects.filter(
        announcement=announcement, status=RecipientStatus.SENT
    ).order_by("created_at")
    for row in list(sent)[::2]:  # about half open it
        AnnouncementRecipient.objects.filter(pk=row.pk).update(
            status=RecipientStatus.OPENED, opened_at=now
        )
    announcement.refresh_from_db()
    return announcement


def seed_demo_announcements() -> None:
    """Both demo organizations' announcements; running it again changes nothing."""
    for slug in (SEOUL_SLUG, BANGKOK_SLUG):
        org = Organization.objects.filter(slug=slug).first()
        if org is not None:
            seed_announcement(org)
