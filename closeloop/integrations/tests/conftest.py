"""Shared fixtures of the integrations tests: a local receiver and outbound calls allowed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest

from closeloop.core.tests.conftest import start_worker  # noqa: F401  (a fixture, re-exported)
from closeloop.integrations.tests.receiver import Receiver, receiver

# The waits between attempts that Standard Webhooks recommends (8 attempts over ~27.6 hours);
# every kind of delivery is retried on them.
STANDARD_WEBHOOKS_WAITS = [
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
]


@pytest.fixture
def local(settings: Any) -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1, with outbound calls to private addresses allowed."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with receiver() as server:
        yield server


def verify_standard_webhook(
    secret: str, headers: dict[str, str], body: bytes, *, tolerance: int = 300
) -> str:
    """The Standard Webhooks reference verification, written independently of closeloop's
    signer: returns the message id, or raises AssertionError."""
    msg_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    assert abs(time.time() - int(timestamp)) <= tolerance, "timestamp too far from now"
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    candidates = [
        part.split(",", 1)[1]
        for part in headers["webhook-signature"].split(" ")
        if part.startswith("v1,")
    ]
    assert any(hmac.compare_digest(expected, c) for c in candidates), "bad signature"
    return msg_id
