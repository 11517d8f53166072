"""The outbox: a delivery is claimed by one sender only, retried with growing waits (for about
a day, whatever its kind) until it fails for good, picked up again after a crash, throttled per
organization, and cancelled at send time when a check says its recipient may no longer be
contacted."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.utils import timezone

from closeloop.core.errors import ConflictError
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import free_port
from closeloop.integrations import outbox, webhooks
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus
from closeloop.integrations.outbox import (
    SendBlock,
    deliveries_flush,
    delivery_claim,
    delivery_enqueue,
    on_delivery,
    send_check,
)
from closeloop.integrations.tests.conftest import STANDARD_WEBHOOKS_WAITS

if TYPE_CHECKING:
    from conftest import Personas

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 23, 10, 0, 5, tzinfo=dt.UTC)


def _email(org: Any, n: int, **kwargs: Any) -> Delivery:
    kwargs.setdefault("not_before", T0)
    kwargs.setdefault("dispatch", False)
    return delivery_enqueue(
        organization=org,
        kind=DeliveryKind.EMAIL,
        target=f"person{n}@example.com",
        payload={
            "subject": f"Hello {n}",
            "text": "Plain text",
            "html": "<p>HTML</p>",
            "headers": {"X-Test": str(n)},
        },
        idempotency_key=f"test:{org.pk}:{n}",
        **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_enqueue_is_idempotent_and_sends_through_the_mailer(personas: Personas) -> None:
    first = _email(personas.org, 1, not_before=None, dispatch=True)
    again = _email(personas.org, 1, not_before=None, dispatch=True)
    assert again.pk == first.pk and Delivery.objects.count() == 1

    run_ready_tasks()

    first.refresh_from_db()
    assert first.status == DeliveryStatus.SENT and first.attempts == 1 and first.sent_at
    (message,) = mail.outbox
    assert message.to == ["person1@example.com"] and message.subject == "Hello 1"
    assert message.extra_headers["X-Test"] == "1"
    assert message.alternatives[0][1] == "text/html"  # type: ignore[attr-defined]


def test_two_claimers_one_winner(personas: Personas) -> None:
    delivery = _email(personas.org, 1)
    assert delivery_claim(delivery_id=delivery.pk, now=T0) is True
    assert delivery_claim(delivery_id=delivery.pk, now=T0) is False
    # A flush running beside the owner does not send it either.
    assert deliveries_flush(now=T0 + dt.timedelta(seconds=30)) == 0
    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING and delivery.attempts == 1


def _relay_down(settings: Any) -> None:
    # Nothing listens on this port: every attempt is refused, as when the SMTP relay is down.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }


def test_failures_back_off_then_fail_for_good(personas: Personas, settings: Any) -> None:
    _relay_down(settings)
    seen: list[str] = []
    on_delivery("test-thing")(lambda d: seen.append(d.status))
    delivery = _email(personas.org, 1, max_attempts=3, related_type="test-thing", related_id="x")

    assert deliveries_flush(now=T0) == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.attempts == 1
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=5)
    assert "Connection refused" in delivery.last_error or "Errno" in delivery.last_error

    assert deliveries_flush(now=T0 + dt.timedelta(seconds=4)) == 0  # not due yet
    delivery.refresh_from_db()
    assert delivery.attempts == 1

    second = T0 + dt.timedelta(seconds=5)
    deliveries_flush(now=second)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == second + dt.timedelta(minutes=5)
    assert seen == []

    deliveries_flush(now=second + dt.timedelta(minutes=5))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
    assert seen == [DeliveryStatus.FAILED]
    assert deliveries_flush(now=second + dt.timedelta(days=1)) == 0


def test_an_email_is_retried_for_about_a_day_while_the_relay_is_down(
    personas: Personas, settings: Any
) -> None:
    """A relay down for a night loses nothing: the same schedule as webhooks (Standard
    Webhooks: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then Failed."""
    _relay_down(settings)
    delivery = _email(personas.org, 1)
    now, attempts_at = T0, []
    while True:
        deliveries_flush(now=now)
        attempts_at.append(now)
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.RETRYING:
            break
        assert delivery.next_attempt_at is not None
        now = delivery.next_attempt_at
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 8)
    waits = [later - earlier for earlier, later in pairwise(attempts_at)]
    assert waits == STANDARD_WEBHOOKS_WAITS
    assert dt.timedelta(hours=24) < attempts_at[-1] - T0 < dt.timedelta(hours=30)


def test_a_row_left_sending_by_a_crash_is_sent_again(personas: Personas) -> None:
    delivery = _email(personas.org, 1)
    assert delivery_claim(delivery_id=delivery.pk, now=T0)  # the worker dies here

    assert deliveries_flush(now=T0 + dt.timedelta(minutes=5)) == 0  # it may still be working
    assert deliveries_flush(now=T0 + dt.timedelta(minutes=11)) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert len(mail.outbox) == 1


def test_throttle_per_organization(personas: Personas, settings: Any) -> None:
    settings.EMAIL_RATE_PER_MINUTE = 2
    for n in range(5):
        _email(personas.org, n)
    _email(personas.other_org, 99)

    assert deliveries_flush(now=T0) == 3  # two of Acme's, and the other organization's one
    assert deliveries_flush(now=T0 + dt.timedelta(seconds=20)) == 0  # same minute: they wait
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3

    next_minute = T0.replace(second=0) + dt.timedelta(minutes=1)
    assert deliveries_flush(now=next_minute) == 2
    assert deliveries_flush(now=next_minute + dt.timedelta(minutes=1)) == 1
    assert len(mail.outbox) == 6
    assert timezone.is_aware(Delivery.objects.first().sent_at)  # type: ignore[union-attr,arg-type]


def test_a_send_check_cancels_a_row_right_before_it_goes_out(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Consent can change while a row waits: a registered check runs at send time, and before
    a manual redelivery, and stops both with its reason."""
    withdrawn = {"x2"}
    monkeypatch.setitem(outbox.CHECKS, "test-consent", [])
    monkeypatch.setitem(outbox.HOOKS, "test-consent", [])
    send_check("test-consent")(
        lambda d: (
            SendBlock(reason="contact unsubscribed", message="They unsubscribed.")
            if d.related_id in withdrawn
            else None
        )
    )
    seen: list[tuple[str, str]] = []
    on_delivery("test-consent")(lambda d: seen.append((d.related_id, d.status)))
    kept = _email(personas.org, 1, related_type="test-consent", related_id="x1")
    stopped = _email(personas.org, 2, related_type="test-consent", related_id="x2")

    assert deliveries_flush(now=T0) == 1
    assert [m.to for m in mail.outbox] == [["person1@example.com"]]
    stopped.refresh_from_db()
    assert (stopped.status, stopped.last_error) == (
        DeliveryStatus.CANCELLED,
        "contact unsubscribed",
    )
    assert stopped.attempts == 1  # claimed once, never handed to the mailer
    assert sorted(seen) == [("x1", DeliveryStatus.SENT), ("x2", DeliveryStatus.CANCELLED)]

    with pytest.raises(ConflictError, match="They unsubscribed"):
        webhooks.delivery_redeliver(delivery=stopped)
    withdrawn.add("x1")
    kept.refresh_from_db()
    with pytest.raises(ConflictError):
        webhooks.delivery_redeliver(delivery=kept)
    withdrawn.clear()
    assert webhooks.delivery_redeliver(delivery=kept).status == DeliveryStatus.PENDING
