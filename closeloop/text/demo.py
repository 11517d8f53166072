"""The text step of the demo: every stored open answer of the demo organizations becomes a
comment (the analytics step stores its year of history in bulk, without events), plus a few
reviews and tickets from other sources; the demo's worker enriches them all."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.text.services import comment_create, comments_backfill

DEMO_SLUGS = ("demo", "demo-bkk")

# (source, reference, days ago, score, text)
OTHER_SOURCES: dict[str, list[tuple[str, str, int, float | None, str]]] = {
    "demo": [
        ("review", "naver-101", 3, 4, "원두는 좋은데 배송이 너무 늦게 와요. 일주일 걸렸어요."),
        ("review", "naver-102", 9, 10, "바리스타님들이 친절하고 라떼가 정말 맛있어요!"),
        ("review", "google-201", 12, 6, "Great beans but the subscription price went up again."),
        ("ticket", "zd-3301", 2, None, "앱에서 결제가 두 번 됐어요. 환불 부탁드립니다."),
        ("chat", "chat-88", 1, None, "배송 조회가 안 돼요. 송장번호가 안 나와요."),
    ],
    "demo-bkk": [
        ("review", "wongnai-501", 4, 3, "ส่งช้ามาก ก๋วยเตี๋ยวเย็นชืดหมดแล้ว"),
        ("review", "wongnai-502", 10, 10, "น้ำซุปอร่อยมาก พนักงานบริการดีค่ะ"),
        ("review", "google-601", 6, 5, "Tasty noodles, but the app keeps crashing at checkout."),
        ("ticket", "line-7001", 2, None, "สั่งผ่านแอปแล้วโดนตัดเงินสองครั้งค่ะ ขอเงินคืนด้วย"),
    ],
}


def seed_demo_text() -> None:
    """Comments for the demo organizations' stored answers, and a few from other sources."""
    now = timezone.now()
    for slug in DEMO_SLUGS:
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            continue
        comments_backfill(organization=org)
        for source, ref, days, score, text in OTHER_SOURCES.get(slug, []):
            comment_create(
                organization=org, text=text, score=score, source=source, source_ref=ref,
                answered_at=now - dt.timedelta(days=days),
            )  # fmt: skip
