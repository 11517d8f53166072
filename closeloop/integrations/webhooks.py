"""Outbound webhooks signed as Standard Webhooks (https://www.standardwebhooks.com/).

Every request carries three headers:

- `webhook-id`: the Delivery's id, `msg_<hex>`. A retry, a stale-claim recovery or a manual
  redelivery of that Delivery carries the SAME id, so receivers can drop duplicates.
- `webhook-timestamp`: seconds since the epoch, of this attempt.
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
  base64-decoded part of the endpoint's `whsec_...` secret.

Retries follow Standard Webhooks (the outbox's schedule, `outbox.RETRY_SCHEDULE`, for every
kind): right away, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts, the last about
27.6 hours after the first); then the event is given up.

An endpoint whose attempts have failed without a single success for WEBHOOK_DISABLE_AFTER_DAYS
(default 3) is disabled, and the organization's owners and admins get an email.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.accounts.choices import Role
from closeloop.accounts.models import Membership, Organization, User
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.periodic import periodic
from closeloop.core.services import activity_record
from closeloop.core.tasks import enqueue_on_commit
from closeloop.integrations import outbox
from closeloop.integrations.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    WebhookEndpoint,
)
from closeloop.lib.http import OutboundRefused, check_url

SECRET_PREFIX = "whsec_"
RELATED_ENDPOINT = "webhook_endpoint"
RELATED_POST = "webhook_post"

# Every domain event (closeloop.core.events.emit) an endpoint can choose; a test keeps this
# list in step with the events the code emits.
WEBHOOK_EVENTS: list[tuple[str, Any]] = [
    ("response.started", gettext_lazy("A respondent started a survey")),
    ("response.completed", gettext_lazy("A response was completed")),
    ("response.imported", gettext_lazy("A past response was imported")),
    ("survey.published", gettext_lazy("A survey was published")),
    ("case.created", gettext_lazy("A case was created")),
    ("case.changed", gettext_lazy("A case changed (status, assignee, priority, ...)")),
    ("case.resolved", gettext_lazy("A case was resolved")),
    ("case.reopened", gettext_lazy("A case was reopened")),
    ("case.sla_breached", gettext_lazy("A case breached its SLA")),
    ("contact.unsubscribed", gettext_lazy("A contact unsubscribed")),
    ("comment.enriched", gettext_lazy("A comment's language, sentiment and themes were found")),
    ("initiative.status_changed", gettext_lazy("An initiative changed status")),
]
EVENT_NAMES = [name for name, _label in WEBHOOK_EVENTS]
# Ticked on a new endpoint's form: all but the busiest (every survey started, every row of an
# import of past responses).
DEFAULT_EVENTS = [n for n in EVENT_NAMES if n not in ("response.started", "response.imported")]
TEST_EVENT = "closeloop.test"


def webhook_max_attempts() -> int:
    """Attempts of a webhook delivery: the outbox's, the last about a day after the first."""
    return outbox.MAX_ATTEMPTS


def disable_after() -> timedelta:
    return timedelta(days=getattr(settings, "WEBHOOK_DISABLE_AFTER_DAYS", 3))


# --- signing ------------------------------------------------------------------------------------


def secret_generate() -> str:
    """A new endpoint secret: "whsec_" + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: base64-decoded after "whsec_"; a secret that is not base64
    (one typed for a one-off call) is used as its UTF-8 bytes."""
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return secret.encode()


def signature(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256>` of "{msg_id}.{timestamp}.{body}"."""
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def webhook_id(delivery: Delivery) -> str:
    """The stable message id of a delivery: the same on every attempt and redelivery."""
    return f"msg_{delivery.pk.hex}"


def signed_headers(
    *, delivery: Delivery, body: str, secret: str, now: dt.datetime
) -> dict[str, str]:
    msg_id = webhook_id(delivery)
    timestamp = int(now.timestamp())
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp)}
    if secret:
        headers["webhook-signature"] = signature(
            secret=secret, msg_id=msg_id, timestamp=timestamp, body=body
        )
    return headers


def event_body(*, event: str, data: dict[str, Any], at: dt.datetime | None = None) -> str:
    """The JSON body of an event: {type, timestamp, data}, serialized once so the signature
    covers exactly the bytes sent."""
    when = (at or timezone.now()).astimezone(dt.UTC)
    envelope = {"type": event, "timestamp": when.isoformat().replace("+00:00", "Z"), "data": data}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str)


# --- endpoints ----------------------------------------------------------------------------------


def endpoint_url_check(url: str) -> str:
    """The URL, stripped, or DomainError naming "url" (scheme, host, private addresses)."""
    url = url.strip()
    try:
        check_url(url)
    except OutboundRefused as exc:
        raise DomainError(
            _("This URL cannot receive webhooks: %(reason)s.") % {"reason": exc}, field="url"
        ) from None
    return url


def _clean_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_NAMES]
    if unknown:
        raise DomainError(
            _("Unknown events: %(list)s. Choose from: %(known)s.")
            % {"list": ", ".join(unknown), "known": ", ".join(EVENT_NAMES)},
            field="events",
        )
    return [e for e in EVENT_NAMES if e in events]


def webhook_endpoint_create(
    *,
    organization: Organization,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
    actor: User | None = None,
    api_key: Any = None,
) -> WebhookEndpoint:
    """Add an endpoint with a fresh secret."""
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=endpoint_url_check(url),
        events=_clean_events(events),
        description=description.strip()[:300],
        is_active=is_active,
        secret=secret_generate(),
    )
    activity_record(
        organization=organization, verb="webhook_endpoint.created", actor=actor,
        api_key=api_key, target=endpoint, data={"events": endpoint.events},
    )  # fmt: skip
    return endpoint


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: User | None = None,
    api_key: Any = None,
    **changes: Any,
) -> WebhookEndpoint:
    """Change url, description, events or is_active; turning it on again clears the disabling."""
    fields: list[str] = []
    if "url" in changes and changes["url"] is not None:
        endpoint.url = endpoint_url_check(changes["url"])
        fields.append("url")
    if "description" in changes and changes["description"] is not None:
        endpoint.description = str(changes["description"]).strip()[:300]
        fields.append("description")
    if "events" in changes and changes["events"] is not None:
        endpoint.events = _clean_events(list(changes["events"]))
        fields.append("events")
    if "is_active" in changes and changes["is_active"] is not None:
        active = bool(changes["is_active"])
        if active and not endpoint.is_active:
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
            endpoint.failing_since = None
            fields += ["disabled_at", "disabled_reason", "failing_since"]
        endpoint.is_active = active
        fields.append("is_active")
    if fields:
        endpoint.save(update_fields=[*set(fields), "updated_at"])
        activity_record(
            organization=endpoint.organization, verb="webhook_endpoint.updated", actor=actor,
            api_key=api_key, target=endpoint, data={"fields": sorted(set(fields))},
        )  # fmt: skip
    return endpoint


def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor: User | None = None, api_key: Any = None
) -> WebhookEndpoint:
    """Replace the secret; requests from now on are signed with the new one."""
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "updated_at"])
    activity_record(
        organization=endpoint.organization, verb="webhook_endpoint.secret_rotated",
        actor=actor, api_key=api_key, target=endpoint,
    )  # fmt: skip
    return endpoint


def webhook_endpoint_delete(
    *, endpoint: WebhookEndpoint, actor: User | None = None, api_key: Any = None
) -> None:
    """Remove an endpoint; its unsent deliveries are cancelled, the log stays."""
    outbox.deliveries_cancel(related_type=RELATED_ENDPOINT, related_ids=[str(endpoint.pk)])
    activity_record(
        organization=endpoint.organization, verb="webhook_endpoint.deleted", actor=actor,
        api_key=api_key, data={"url": endpoint.url, "id": str(endpoint.pk)},
    )  # fmt: skip
    endpoint.delete()


def webhook_endpoint_list(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organization=organization)


def endpoints_for_event(*, organization_id: Any, event: str) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to the event (filtered in Python: JSON list lookups vary)."""
    rows = WebhookEndpoint.objects.filter(organization_id=organization_id, is_active=True)
    return [e for e in rows if event in (e.events or [])]


# --- dispatch -----------------------------------------------------------------------------------


def endpoint_enqueue(
    *, endpoint: WebhookEndpoint, event: str, body: str, idempotency_key: str
) -> Delivery:
    """One signed delivery of an event body to one endpoint (once per key and endpoint)."""
    return outbox.delivery_enqueue(
        organization=endpoint.organization,
        kind=DeliveryKind.WEBHOOK,
        target=endpoint.url,
        payload={"event": event, "body": body, "endpoint_id": str(endpoint.pk)},
        idempotency_key=f"webhook:{endpoint.pk}:{idempotency_key}"[:200],
        related_type=RELATED_ENDPOINT,
        related_id=str(endpoint.pk),
        max_attempts=webhook_max_attempts(),
    )


def dispatch(
    *, organization: Organization, event: str, payload: dict[str, Any], idempotency_key: str
) -> list[Delivery]:
    """Enqueue the event to every active endpoint of the organization subscribed to it."""
    endpoints = endpoints_for_event(organization_id=organization.pk, event=event)
    if not endpoints:
        return []
    body = event_body(event=event, data=payload)
    return [
        endpoint_enqueue(endpoint=e, event=event, body=body, idempotency_key=idempotency_key)
        for e in endpoints
    ]


def webhook_endpoint_send_test(*, endpoint: WebhookEndpoint, actor: User | None = None) -> Delivery:
    """Send a `closeloop.test` event to the endpoint now (even if it is not active)."""
    body = event_body(
        event=TEST_EVENT,
        data={"endpoint_id": str(endpoint.pk), "message": "Hello from closeloop"},
    )
    delivery = outbox.delivery_enqueue(
        organization=endpoint.organization,
        kind=DeliveryKind.WEBHOOK,
        target=endpoint.url,
        payload={"event": TEST_EVENT, "body": body, "endpoint_id": str(endpoint.pk), "test": True},
        idempotency_key=f"webhook-test:{endpoint.pk}:{secrets.token_hex(8)}",
        related_type=RELATED_ENDPOINT,
        related_id=str(endpoint.pk),
        max_attempts=1,
    )
    activity_record(
        organization=endpoint.organization, verb="webhook_endpoint.tested", actor=actor,
        target=endpoint,
    )  # fmt: skip
    return delivery


# --- deliveries ---------------------------------------------------------------------------------


def delivery_list(
    *,
    organization: Organization,
    kind: str = "",
    status: str = "",
    endpoint: WebhookEndpoint | None = None,
) -> QuerySet[Delivery]:
    """The organization's outbox rows, newest first, optionally of one kind/status/endpoint."""
    rows = Delivery.objects.filter(organization=organization)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if endpoint is not None:
        rows = rows.filter(related_type=RELATED_ENDPOINT, related_id=str(endpoint.pk))
    return rows.order_by("-created_at")


def delivery_redeliver(
    *, delivery: Delivery, actor: User | None = None, api_key: Any = None
) -> Delivery:
    """One more attempt of the same delivery (same webhook-id), sent as soon as possible; never
    to a recipient who has since unsubscribed or been erased."""
    block = outbox.send_blocked(delivery)
    if block is not None:
        raise ConflictError(block.message, code="not_contactable")
    now = timezone.now()
    stale = now - outbox.SENDING_STALE
    if delivery.status == DeliveryStatus.SENDING and (
        delivery.claimed_at is None or delivery.claimed_at > stale
    ):
        raise ConflictError(_("This delivery is being sent right now."), code="busy")
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            max_attempts=max(delivery.max_attempts, delivery.attempts + 1),
            updated_at=now,
        )
        if delivery.organization is not None:
            activity_record(
                organization=delivery.organization, verb="delivery.redelivered", actor=actor,
                api_key=api_key, target=delivery, data={"attempts": delivery.attempts},
            )  # fmt: skip
        enqueue_on_commit(outbox.outbox_send, str(delivery.pk))
    delivery.refresh_from_db()
    return delivery


# --- health and automatic disabling -------------------------------------------------------------


def endpoint_succeeded(endpoint_id: Any) -> None:
    """Any success ends a run of failures."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=False).update(
        failing_since=None
    )


def endpoint_failed(endpoint_id: Any, *, now: dt.datetime | None = None) -> WebhookEndpoint | None:
    """Note a failed attempt; disable the endpoint once it has failed for long enough."""
    now = now or timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(
        failing_since=now
    )
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None or not endpoint.is_active or endpoint.failing_since is None:
        return endpoint
    if endpoint.failing_since <= now - disable_after():
        return webhook_endpoint_disable(endpoint=endpoint, now=now)
    return endpoint


def _admin_emails(organization: Organization) -> list[str]:
    return sorted(
        {
            m.user.email
            for m in Membership.objects.filter(
                organization=organization, role__in=[Role.OWNER, Role.ADMIN]
            ).select_related("user")
            if m.user.email and m.user.is_active
        }
    )


def webhook_endpoint_disable(
    *, endpoint: WebhookEndpoint, now: dt.datetime | None = None
) -> WebhookEndpoint:
    """Turn a failing endpoint off, cancel what it still had to receive, tell the admins."""
    from closeloop.integrations.notify import notify_email

    now = now or timezone.now()
    days = disable_after().days
    reason = _("Every attempt failed for %(days)d days.") % {"days": days}
    with transaction.atomic():
        changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason, updated_at=now
        )
        endpoint.refresh_from_db()
        if not changed:
            return endpoint
        outbox.deliveries_cancel(related_type=RELATED_ENDPOINT, related_ids=[str(endpoint.pk)])
        activity_record(
            organization=endpoint.organization, verb="webhook_endpoint.disabled",
            target=endpoint, data={"reason": reason},
        )  # fmt: skip
        org = endpoint.organization
        path = reverse("integrations_ui:endpoint", args=[org.slug, endpoint.pk])
        link = f"{settings.BASE_URL.rstrip('/')}{path}"
        to = _admin_emails(org)
        if to:
            notify_email(
                organization=org,
                to=to,
                subject=_("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url},
                text=_(
                    "closeloop stopped sending events to %(url)s of %(org)s: every attempt "
                    "failed for %(days)d days (last error: %(error)s).\n\n"
                    "Fix the receiver, then turn the endpoint on again and redeliver what it "
                    "missed: %(link)s"
                )
                % {
                    "url": endpoint.url,
                    "org": org.name,
                    "days": days,
                    "error": _last_error(endpoint) or "-",
                    "link": link,
                },
                idempotency_key=f"webhook-disabled:{endpoint.pk}:{int(now.timestamp())}",
                # closeloop's own notice, not the organization writing to someone.
                from_email=settings.DEFAULT_FROM_EMAIL,
            )
    return endpoint


def _last_error(endpoint: WebhookEndpoint) -> str:
    row = (
        Delivery.objects.filter(related_type=RELATED_ENDPOINT, related_id=str(endpoint.pk))
        .exclude(last_error="")
        .order_by("-updated_at")
        .first()
    )
    return row.last_error[:300] if row is not None else ""


def endpoints_disable_failing(*, now: dt.datetime | None = None) -> int:
    """Disable every active endpoint failing for too long; returns how many."""
    now = now or timezone.now()
    rows = WebhookEndpoint.objects.filter(
        is_active=True, failing_since__lte=now - disable_after()
    ).select_related("organization")
    count = 0
    for endpoint in rows:
        webhook_endpoint_disable(endpoint=endpoint, now=now)
        count += 1
    return count


@periodic(every=timedelta(hours=1), name="integrations.webhooks_disable_failing")
@task
def webhooks_disable_failing() -> int:
    """Hourly: disable endpoints that have failed for WEBHOOK_DISABLE_AFTER_DAYS."""
    return endpoints_disable_failing()
