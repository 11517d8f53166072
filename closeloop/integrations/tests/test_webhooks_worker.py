"""A worker killed while delivering a webhook: another worker delivers it after the claim goes
stale, and the receiver sees the same webhook-id both times (so it can drop the repeat)."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from closeloop.core.tests.conftest import wait_until
from closeloop.integrations import outbox, webhooks
from closeloop.integrations.models import Delivery, DeliveryStatus
from closeloop.integrations.notify import webhooks_dispatch
from closeloop.integrations.tests.conftest import verify_standard_webhook
from closeloop.integrations.tests.receiver import Receiver


@pytest.fixture
def _workers_may_call_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read by the worker processes' settings (start_worker copies the environment).
    monkeypatch.setenv("OUTBOUND_ALLOW_PRIVATE", "true")


def test_killed_worker_mid_webhook_is_delivered_again_with_the_same_id(
    _workers_may_call_localhost: None,
    local: Receiver,
    start_worker: Callable[..., subprocess.Popen[bytes]],
    personas: Any,
) -> None:
    endpoint = webhooks.webhook_endpoint_create(
        organization=personas.org, url=local.url + "/hook", events=["case.created"]
    )
    release = threading.Event()
    local.before_answer = lambda n: release.wait(60) if n == 0 else None
    (delivery,) = webhooks_dispatch(
        organization=personas.org,
        event="case.created",
        payload={"case_id": "c-1"},
        idempotency_key="case.created:c-1",
    )

    first = start_worker("--worker-id", "first")
    wait_until(lambda: len(local.requests) == 1, timeout=60, what="the first request")
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENDING
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    release.set()

    # Time passes: the dead worker's claim becomes stale.
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - outbox.SENDING_STALE - timedelta(seconds=1)
    )
    start_worker("--worker-id", "second")
    wait_until(
        lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT,
        timeout=90,
        what="the delivery to be sent by the second worker",
    )
    assert len(local.requests) == 2
    ids = [verify_standard_webhook(endpoint.secret, r.headers, r.body) for r in local.requests]
    assert ids == [webhooks.webhook_id(delivery)] * 2
    assert local.requests[0].body == local.requests[1].body
    assert Delivery.objects.get(pk=delivery.pk).attempts == 2
