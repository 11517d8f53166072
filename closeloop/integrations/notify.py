"""Notifications for the other apps (automation, cases, advocacy): each creates outbox rows with
an idempotency key, so calling twice with the same key never sends twice."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from closeloop.accounts.models import Organization
from closeloop.core.errors import DomainError
from closeloop.integrations import outbox, webhooks
from closeloop.integrations.models import Delivery, DeliveryKind
from closeloop.integrations.transports import slack_message, teams_message

RELATED_NOTIFY = "notification"


def notify_email(
    *,
    organization: Organization | None,
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    idempotency_key: str,
    language: str | None = None,
    headers: dict[str, str] | None = None,
    related_type: str = RELATED_NOTIFY,
    related_id: str = "",
    from_email: str | None = None,
) -> Delivery:
    """Email each address (one outbox row per recipient, keyed "<key>:<address>"); returns the
    first recipient's row."""
    addresses = list(dict.fromkeys(a.strip() for a in to if a and a.strip()))
    if not addresses:
        raise DomainError(_("Give at least one email address."), field="to")
    mail_headers = dict(headers or {})
    if language:
        mail_headers.setdefault("Content-Language", language)
    payload: dict[str, Any] = {"subject": subject, "text": text, "html": html}
    if mail_headers:
        payload["headers"] = mail_headers
    if from_email:
        payload["from"] = from_email
    rows = [
        outbox.delivery_enqueue(
            organization=organization,
            kind=DeliveryKind.EMAIL,
            target=address,
            payload=payload,
            idempotency_key=f"{idempotency_key}:{address.lower()}"[:200],
            related_type=related_type,
            related_id=related_id,
        )
        for address in addresses
    ]
    return rows[0]


def _chat(
    kind: str,
    message: dict[str, Any],
    *,
    organization: Organization | None,
    webhook_url: str,
    idempotency_key: str,
) -> Delivery:
    url = webhooks.endpoint_url_check(webhook_url)
    return outbox.delivery_enqueue(
        organization=organization,
        kind=kind,
        target=url,
        payload={"message": message},
        idempotency_key=idempotency_key[:200],
        related_type=RELATED_NOTIFY,
        max_attempts=webhooks.webhook_max_attempts(),
    )


def notify_slack(
    *,
    organization: Organization | None,
    webhook_url: str,
    title: str,
    text: str,
    fields: dict[str, str],
    link: str | None,
    idempotency_key: str,
) -> Delivery:
    """Post a message (header, text, fields, a button) to a Slack incoming webhook."""
    message = slack_message(title=title, text=text, fields=fields, link=link)
    return _chat(
        DeliveryKind.SLACK,
        message,
        organization=organization,
        webhook_url=webhook_url,
        idempotency_key=idempotency_key,
    )


def notify_teams(
    *,
    organization: Organization | None,
    webhook_url: str,
    title: str,
    text: str,
    fields: dict[str, str],
    link: str | None,
    idempotency_key: str,
) -> Delivery:
    """Post an Adaptive Card message to a Microsoft Teams incoming webhook."""
    message = teams_message(title=title, text=text, fields=fields, link=link)
    return _chat(
        DeliveryKind.TEAMS,
        message,
        organization=organization,
        webhook_url=webhook_url,
        idempotency_key=idempotency_key,
    )


def webhook_post(
    *,
    organization: Organization | None,
    url: str,
    payload: dict[str, Any],
    secret: str | None,
    idempotency_key: str,
) -> Delivery:
    """A one-off signed POST of `payload` as JSON (an automation action); with a secret it is
    signed like endpoint webhooks (the secret is kept on the row and never shown)."""
    target = webhooks.endpoint_url_check(url)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
    stored: dict[str, Any] = {"event": str(payload.get("type", "")), "body": body}
    if secret:
        stored["secret"] = secret
    return outbox.delivery_enqueue(
        organization=organization,
        kind=DeliveryKind.WEBHOOK,
        target=target,
        payload=stored,
        idempotency_key=idempotency_key[:200],
        related_type=webhooks.RELATED_POST,
        max_attempts=webhooks.webhook_max_attempts(),
    )


def webhooks_dispatch(
    *, organization: Organization, event: str, payload: dict[str, Any], idempotency_key: str
) -> list[Delivery]:
    """Send the event ({type, timestamp, data: payload}) to every active endpoint of the
    organization subscribed to it."""
    return webhooks.dispatch(
        organization=organization, event=event, payload=payload, idempotency_key=idempotency_key
    )
