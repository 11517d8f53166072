"""Slack and Teams messages: formatted for each, posted through the outbox to a real server,
retried for about a day like webhooks."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from django.utils import timezone

from closeloop.core.worker import run_ready_tasks
from closeloop.integrations.models import DeliveryStatus
from closeloop.integrations.notify import notify_slack, notify_teams
from closeloop.integrations.outbox import deliveries_flush
from closeloop.integrations.tests.conftest import STANDARD_WEBHOOKS_WAITS
from closeloop.integrations.tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = {"Score": "2", "Customer": "Kim Minji", "Survey": "Visit"}
LINK = "https://cx.example.com/o/acme/cases/1/"


def test_slack_message_has_header_fields_and_button(personas: Any, local: Receiver) -> None:
    delivery = notify_slack(
        organization=personas.org,
        webhook_url=local.url + "/services/T000/B000/XXX",
        title="New detractor",
        text="*Cold coffee* and a long queue",
        fields=FIELDS,
        link=LINK,
        idempotency_key="rule:1:slack:r1",
    )
    run_ready_tasks()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    (request,) = local.requests
    assert request.headers["content-type"] == "application/json"
    message = json.loads(request.body)
    assert message["text"] == "New detractor: *Cold coffee* and a long queue"
    header, section, fields, actions = message["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "New detractor", "emoji": True},
    }
    assert section["text"] == {"type": "mrkdwn", "text": "*Cold coffee* and a long queue"}
    assert {"type": "mrkdwn", "text": "*Score*\n2"} in fields["fields"]
    (button,) = actions["elements"]
    assert button["type"] == "button" and button["url"] == LINK


def test_teams_message_is_an_adaptive_card(personas: Any, local: Receiver) -> None:
    notify_teams(
        organization=personas.org,
        webhook_url=local.url + "/webhookb2/x",
        title="New detractor",
        text="Cold coffee",
        fields=FIELDS,
        link=LINK,
        idempotency_key="rule:1:teams:r1",
    )
    local.answer = lambda n: (202, b"", {})
    run_ready_tasks()
    (request,) = local.requests
    message = json.loads(request.body)
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    title, text, facts = card["body"]
    assert (title["text"], title["weight"], text["text"]) == (
        "New detractor",
        "Bolder",
        "Cold coffee",
    )
    assert {"title": "Customer", "value": "Kim Minji"} in facts["facts"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in closeloop", "url": LINK}
    ]


def test_same_key_posts_once(personas: Any, local: Receiver) -> None:
    for _ in range(3):
        notify_slack(
            organization=personas.org,
            webhook_url=local.url + "/x",
            title="t",
            text="",
            fields={},
            link=None,
            idempotency_key="once",
        )
    run_ready_tasks()
    assert len(local.requests) == 1
    assert json.loads(local.requests[0].body)["blocks"] == [
        {"type": "header", "text": {"type": "plain_text", "text": "t", "emoji": True}}
    ]


def test_private_webhook_urls_are_refused(personas: Any, settings: Any) -> None:
    from closeloop.core.errors import DomainError

    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(DomainError):
        notify_teams(
            organization=personas.org,
            webhook_url="http://192.168.1.5/hook",
            title="t",
            text="",
            fields={},
            link=None,
            idempotency_key="k",
        )


@pytest.mark.parametrize("notify", [notify_slack, notify_teams], ids=["slack", "teams"])
def test_a_failing_message_is_retried_for_about_a_day_like_a_webhook(
    personas: Any, local: Receiver, notify: Any
) -> None:
    """Slack or Teams down for a night loses nothing: the webhook schedule, then Failed."""
    local.answer = lambda n: (503, b"try later", {})
    delivery = notify(
        organization=personas.org,
        webhook_url=local.url + "/hook",
        title="New detractor",
        text="Cold coffee",
        fields={},
        link=None,
        idempotency_key="rule:1:chat:r1",
    )
    start = timezone.now()
    run_ready_tasks()
    attempts_at = [start]
    while True:
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.RETRYING:
            break
        attempts_at.append(delivery.next_attempt_at)
        deliveries_flush(now=delivery.next_attempt_at)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 8)
    assert len(local.requests) == 8
    waits = [later - earlier for earlier, later in pairwise(attempts_at[1:])]
    assert waits == STANDARD_WEBHOOKS_WAITS[1:]
    assert timedelta(hours=24) < attempts_at[-1] - start < timedelta(hours=30)
