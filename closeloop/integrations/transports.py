"""Outbox transports for HTTP deliveries: signed webhooks, Slack and Microsoft Teams messages.

Each is registered into the outbox's registry (`@transport(kind)`) and sends through the one
outbound client (closeloop.lib.http), so every call is SSRF-guarded, never redirected, logged.
Slack and Teams messages are formatted when the delivery is created (so the log shows exactly
what was posted); the transport posts the stored message.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.integrations import webhooks
from closeloop.integrations.models import Delivery, DeliveryKind, WebhookEndpoint
from closeloop.integrations.outbox import DeliveryError, SendSession, transport
from closeloop.lib.http import HttpResult, http_post

BODY_EXCERPT = 4000
TIMEOUT = 10
SLACK_FIELDS_MAX = 10


def _record(delivery: Delivery, result: HttpResult, headers: dict[str, str]) -> None:
    """Keep the request headers and the response excerpt on the row (the outbox's own finish
    writes the status code and error)."""
    delivery.response_status = result.status
    delivery.response_body = result.body[:BODY_EXCERPT]
    delivery.request_headers = headers
    Delivery.objects.filter(pk=delivery.pk).update(
        response_body=delivery.response_body,
        request_headers=headers,
        response_status=result.status,
    )


def _raise_for(result: HttpResult) -> None:
    if result.ok:
        return
    if result.error:
        # A refused address is a configuration problem: retrying will not help.
        raise DeliveryError(result.error, permanent=result.error.startswith("refused"))
    raise DeliveryError(f"HTTP {result.status}", code=result.status)


@transport(DeliveryKind.WEBHOOK)
def send_webhook(delivery: Delivery, session: SendSession) -> None:
    """POST the stored body with Standard Webhooks headers; 2xx is success."""
    payload: dict[str, Any] = delivery.payload or {}
    body = str(payload.get("body", ""))
    endpoint: WebhookEndpoint | None = None
    secret = str(payload.get("secret") or "")
    endpoint_id = payload.get("endpoint_id")
    if endpoint_id:
        endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
        if endpoint is None:
            raise DeliveryError("the endpoint was deleted", permanent=True)
        if not endpoint.is_active and not payload.get("test"):
            raise DeliveryError("the endpoint is disabled", permanent=True)
        secret = endpoint.secret
    headers = webhooks.signed_headers(
        delivery=delivery, body=body, secret=secret, now=timezone.now()
    )
    headers["Content-Type"] = "application/json"
    result = http_post(delivery.target, data=body.encode(), headers=headers, timeout=TIMEOUT)
    _record(delivery, result, headers)
    if endpoint is not None:
        if result.ok:
            webhooks.endpoint_succeeded(endpoint.pk)
        elif not payload.get("test"):
            after = webhooks.endpoint_failed(endpoint.pk)
            if after is not None and not after.is_active:
                # Just disabled: this delivery ends here (turn it on again, then redeliver).
                reason = result.error or f"HTTP {result.status}"
                raise DeliveryError(
                    f"{reason}; the endpoint was disabled", permanent=True, code=result.status
                )
    _raise_for(result)


def _post_json(delivery: Delivery) -> None:
    message = (delivery.payload or {}).get("message") or {}
    headers = {"Content-Type": "application/json"}
    result = http_post(delivery.target, json=message, headers=headers, timeout=TIMEOUT)
    _record(delivery, result, headers)
    _raise_for(result)


@transport(DeliveryKind.SLACK)
def send_slack(delivery: Delivery, session: SendSession) -> None:
    """POST the stored Slack message to the incoming webhook URL."""
    _post_json(delivery)


@transport(DeliveryKind.TEAMS)
def send_teams(delivery: Delivery, session: SendSession) -> None:
    """POST the stored Adaptive Card message to the Teams incoming webhook URL."""
    _post_json(delivery)


# --- formatting ---------------------------------------------------------------------------------


def slack_message(
    *, title: str, text: str, fields: dict[str, str], link: str | None
) -> dict[str, Any]:
    """A Slack incoming-webhook message: fallback `text` plus blocks (header, text, fields,
    a button to the link)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
    ]
    if text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    items = list(fields.items())[:SLACK_FIELDS_MAX]
    if items:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{key}*\n{value}"[:2000]} for key, value in items
                ],
            }
        )
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": _("Open in closeloop")},
                        "url": link,
                    }
                ],
            }
        )
    fallback = f"{title}: {text}" if text else title
    return {"text": fallback[:3000], "blocks": blocks}


def teams_message(
    *, title: str, text: str, fields: dict[str, str], link: str | None
) -> dict[str, Any]:
    """A Teams incoming-webhook message carrying one Adaptive Card (title, text, facts, a
    button to the link)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    if text:
        body.append({"type": "TextBlock", "text": text, "wrap": True})
    if fields:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": key, "value": value} for key, value in fields.items()],
            }
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": _("Open in closeloop"), "url": link}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
