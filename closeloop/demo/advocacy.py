"""Demo advocacy and webhooks for Seoul Bean Roasters: review sites (Google, Naver Place,
Trustpilot), everyone-mode wording in English, Korean and Thai, review invitations with a few
clicks, and an inactive webhook endpoint whose failed deliveries fill the delivery log."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.advocacy.models import ReviewInvitation, ReviewMode, ReviewSite, ReviewSiteKind
from closeloop.advocacy.services import (
    click_token,
    review_click_record,
    review_invitation_send,
    review_settings_update,
    review_site_create,
)
from closeloop.integrations import webhooks
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus, WebhookEndpoint
from closeloop.integrations.outbox import delivery_enqueue

SEOUL_SLUG = "demo"
DEMO_WEBHOOK_URL = "http://127.0.0.1:9/closeloop-demo"
INVITATIONS = 12

SITES = [
    ("Google", ReviewSiteKind.GOOGLE, "https://g.page/r/seoul-bean-roasters-demo/review"),
    ("Naver Place", ReviewSiteKind.OTHER, "https://m.place.naver.com/restaurant/0000000/review"),
    (
        "Trustpilot",
        ReviewSiteKind.TRUSTPILOT,
        "https://www.trustpilot.com/evaluate/seoulbean.example",
    ),
]

TEXTS = {
    "en": {
        "promoters": {
            "subject": "Loved your coffee? Tell others!",
            "body": "Thank you for the kind words! A short review helps other coffee lovers "
            "find Seoul Bean Roasters.",
        },
        "detractors": {
            "subject": "Thank you for your honest feedback",
            "body": "We are sorry your visit was not what it should be; our team is on it. "
            "If you want to share your experience, you can review us here.",
        },
    },
    "ko": {
        "promoters": {
            "subject": "커피가 마음에 드셨나요? 후기를 남겨 주세요!",
            "body": "좋은 말씀 감사합니다! 짧은 후기가 다른 분들께 큰 도움이 됩니다.",
        },
        "passives": {
            "subject": "의견 감사합니다",
            "body": "소중한 의견 감사합니다. 시간이 되시면 방문 후기를 남겨 주세요.",
        },
        "detractors": {
            "subject": "솔직한 의견 감사합니다",
            "body": "불편을 드려 죄송합니다. 개선하고 있습니다. 경험을 공유하고 싶으시면 "
            "아래에서 후기를 남기실 수 있습니다.",
        },
    },
    "th": {
        "promoters": {
            "subject": "ชอบกาแฟของเราไหม? บอกต่อได้เลย!",
            "body": "ขอบคุณสำหรับคำชม! รีวิวสั้น ๆ ช่วยให้คนอื่นรู้จักเรามากขึ้น",
        },
        "detractors": {
            "subject": "ขอบคุณสำหรับความคิดเห็นที่ตรงไปตรงมา",
            "body": "ขออภัยในความไม่สะดวก เรากำลังปรับปรุง หากต้องการแบ่งปันประสบการณ์ สามารถรีวิวได้ที่นี่",
        },
    },
}


def seed_advocacy(org: Organization) -> None:
    """Review sites, wording, invitations and clicks (skipped when the sites exist)."""
    if ReviewSite.objects.filter(organization=org).exists():
        return
    sites = [
        review_site_create(organization=org, name=name, kind=kind, url=url)
        for name, kind, url in SITES
    ]
    review_settings_update(organization=org, mode=ReviewMode.EVERYONE, texts=TEXTS)
    from closeloop.responses.models import Response

    responses = Response.objects.filter(
        organization=org, status="complete", contact_id__isnull=False
    ).order_by("completed_at")[: INVITATIONS * 2]
    sent: list[ReviewInvitation] = []
    for response in responses:
        invitation = review_invitation_send(
            response=response, idempotency_key=f"demo-review:{response.pk}"
        )
        if invitation is not None:
            sent.append(invitation)
        if len(sent) >= INVITATIONS:
            break
    for i, invitation in enumerate(sent):
        if i % 3 == 2:
            continue  # not everyone clicks
        site = sites[i % 2] if invitation.language != "ko" else sites[1]
        review_click_record(token=click_token(invitation, site), user_agent="demo-browser")


def seed_webhook_endpoint(org: Organization) -> None:
    """An inactive endpoint at a closed local port, with failed deliveries in its log."""
    if WebhookEndpoint.objects.filter(organization=org, url=DEMO_WEBHOOK_URL).exists():
        return
    now = timezone.now()
    # Created directly: the URL is local on purpose, which the checked service would refuse.
    endpoint = WebhookEndpoint.objects.create(
        organization=org,
        url=DEMO_WEBHOOK_URL,
        description="Demo CRM sync (nothing listens on port 9)",
        events=["response.completed", "case.created", "case.resolved"],
        secret=webhooks.secret_generate(),
        is_active=False,
        disabled_at=now - timedelta(hours=2),
        disabled_reason="Every attempt failed for 3 days.",
        failing_since=now - timedelta(days=3, hours=2),
    )
    for n, event in enumerate(["response.completed", "case.created", "case.resolved"]):
        at = now - timedelta(days=3 - n)
        body = webhooks.event_body(event=event, data={"demo": True, "n": n + 1}, at=at)
        delivery = delivery_enqueue(
            organization=org,
            kind=DeliveryKind.WEBHOOK,
            target=endpoint.url,
            payload={"event": event, "body": body, "endpoint_id": str(endpoint.pk)},
            idempotency_key=f"demo-webhook:{endpoint.pk}:{n}",
            related_type=webhooks.RELATED_ENDPOINT,
            related_id=str(endpoint.pk),
            max_attempts=webhooks.webhook_max_attempts(),
            dispatch=False,
        )
        headers = webhooks.signed_headers(
            delivery=delivery, body=body, secret=endpoint.secret, now=at
        )
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED if n < 2 else DeliveryStatus.CANCELLED,
            attempts=webhooks.webhook_max_attempts() if n < 2 else 3,
            last_error="OSError: [Errno 111] Connection refused",
            request_headers=headers,
            created_at=at,
            next_attempt_at=at,
        )


def seed_demo_advocacy() -> None:
    org = Organization.objects.filter(slug=SEOUL_SLUG).first()
    if org is None:
        return
    seed_advocacy(org)
    seed_webhook_endpoint(org)
