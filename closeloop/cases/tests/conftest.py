"""Fixtures of the cases tests: a real SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from closeloop.distribution.tests.campaigns_factories import SmtpServer


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    settings.MAILERS = server.mailers()
    settings.BASE_URL = "http://testserver"
    yield server
    server.stop()
