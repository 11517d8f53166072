"""The SLA breach check (every minute): a case past its first-response due time is marked
breached once, the team lead gets an email, and the priority goes up one step, once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from closeloop.cases.choices import CaseEventKind
from closeloop.cases.escalation import sla_breaches_check
from closeloop.cases.models import CaseEvent
from closeloop.cases.services import case_reply
from closeloop.cases.tasks import check_sla_breaches
from closeloop.cases.tests.factories import customer_case, join_team, support
from closeloop.core import events
from closeloop.core.periodic import REGISTRY
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from conftest import Personas

# The worker runs tasks on its own connection use: a real transaction per test.
pytestmark = pytest.mark.django_db(transaction=True)


def test_breach_notifies_the_lead_and_raises_priority_once(
    personas: Personas, smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    org = personas.org
    lead = personas.membership(personas.admin)
    join_team(support(org), personas.membership(personas.agent), lead=lead)
    case = customer_case(org)
    assert case.first_response_due_at is not None
    later = case.first_response_due_at + dt.timedelta(minutes=1)
    breached: list[dict[str, Any]] = []

    def listener(**p: Any) -> None:
        breached.append(p)

    events.on("case.sla_breached")(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert sla_breaches_check(now=later) == 1
            assert sla_breaches_check(now=later) == 0  # idempotent
            # the resolution due time passes too: a second breach, no second raise
            assert sla_breaches_check(now=case.resolution_due_at + dt.timedelta(minutes=1)) == 1  # type: ignore[operator]
    finally:
        events.disconnect("case.sla_breached", listener)

    case.refresh_from_db()
    assert case.breached_first_response and case.breached_resolution
    assert case.priority == "high"  # normal -> high, once
    assert case.escalated_at is not None
    assert [p["sla"] for p in breached] == ["first_response", "resolution"]
    kinds = [e.kind for e in CaseEvent.objects.filter(case=case)]
    assert kinds.count(CaseEventKind.SLA_BREACHED) == 2
    assert kinds.count(CaseEventKind.ESCALATED) == 2

    run_ready_tasks()
    to_lead = smtp.sink.to("admin@acme.test")
    assert len(to_lead) == 2
    assert f"case #{case.number}" in str(to_lead[0]["Subject"])
    assert f"/o/{org.slug}/cases/{case.pk}/" in to_lead[0].get_content()
    assert smtp.sink.to("agent@acme.test") == []


def test_a_first_response_in_time_is_no_breach(personas: Personas, smtp: SmtpServer) -> None:
    case = customer_case(personas.org)
    case_reply(case=case, body="On it", actor=personas.agent)
    assert case.first_response_due_at is not None
    assert sla_breaches_check(now=case.first_response_due_at + dt.timedelta(hours=1)) == 0


def test_the_check_is_a_periodic_job(personas: Personas) -> None:
    assert REGISTRY["cases.sla_breaches"].task == check_sla_breaches
    customer_case(personas.org)
    check_sla_breaches.enqueue()
    run_ready_tasks()  # nothing is due yet: runs without marking anything
    assert not CaseEvent.objects.filter(kind=CaseEventKind.SLA_BREACHED).exists()
