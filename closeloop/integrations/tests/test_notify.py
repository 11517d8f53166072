"""notify_email: one outbox row per recipient, never twice for the same key, really sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from closeloop.core.worker import run_ready_tasks
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus
from closeloop.integrations.notify import notify_email

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _locmem(settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def test_email_goes_to_each_address_once(personas: Any) -> None:
    for _ in range(2):
        first = notify_email(
            organization=personas.org,
            to=["lead@acme.test", "agent@acme.test", "lead@acme.test"],
            subject="Case breached its SLA",
            text="Case #12 is overdue.",
            html="<p>Case #12 is overdue.</p>",
            idempotency_key="case:12:breach",
            language="ko",
        )
    assert first.target == "lead@acme.test"
    rows = Delivery.objects.filter(kind=DeliveryKind.EMAIL)
    assert sorted(r.target for r in rows) == ["agent@acme.test", "lead@acme.test"]
    run_ready_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == ["agent@acme.test", "lead@acme.test"]
    message = mail.outbox[0]
    assert message.subject == "Case breached its SLA"
    assert message.alternatives[0].content == "<p>Case #12 is overdue.</p>"
    assert message.extra_headers["Content-Language"] == "ko"
    assert all(r.status == DeliveryStatus.SENT for r in rows.all())


def test_no_address_is_an_error(personas: Any) -> None:
    from closeloop.core.errors import DomainError

    with pytest.raises(DomainError):
        notify_email(
            organization=personas.org, to=[" "], subject="x", text="y", idempotency_key="k"
        )
