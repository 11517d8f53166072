"""The SLA clock as agents and customers move a case: reopening starts a fresh clock (no
instant breach), a new team or priority recomputes the due times from when the case was opened
with the new policy, and waiting on the customer pauses the clock (business time only, for a
business-hours policy) with no breach raised meanwhile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from closeloop.accounts.models import Organization, Team
from closeloop.cases.choices import CaseEventKind, CaseStatus
from closeloop.cases.config import org_calendar
from closeloop.cases.escalation import sla_breaches_check
from closeloop.cases.followup import follow_up_token
from closeloop.cases.models import Case, CaseEvent, SlaPolicy
from closeloop.cases.services import case_reply, case_resolve
from closeloop.cases.sla import add_hours, business_time_between
from closeloop.cases.tests.factories import customer_case, root_cause, support
from conftest import Personas

DAY = dt.timedelta(days=1)


def _last_move(case: Case) -> CaseEvent:
    event = (
        CaseEvent.objects.filter(case=case, kind=CaseEventKind.STATUS_CHANGED)
        .order_by("-created_at", "-id")
        .first()
    )
    assert event is not None
    return event


def _age(case: Case, days: int) -> Case:
    """Make the case `days` old, its due times long past (as if opened back then)."""
    delta = dt.timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(
        created_at=case.created_at - delta,
        sla_started_at=case.sla_started_at - delta,  # type: ignore[operator]
        first_response_due_at=case.first_response_due_at - delta,  # type: ignore[operator]
        resolution_due_at=case.resolution_due_at - delta,  # type: ignore[operator]
    )
    case.refresh_from_db()
    return case


def _support_policy(org: Organization, **changes: object) -> SlaPolicy:
    policy = SlaPolicy.objects.get(organization=org, team=support(org), priority="")
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def _move(client: Client, case: Case, to_status: str) -> None:
    response = client.post(
        reverse("cases:status", args=[case.organization.slug, case.pk]), {"to_status": to_status}
    )
    assert response.status_code == 302


def test_an_agent_reopening_an_old_case_gets_fresh_due_times(personas: Personas) -> None:
    org = personas.org
    case = _age(customer_case(org), days=10)
    agent = personas.client_for(personas.agent)
    _move(agent, case, "closed")
    _move(agent, case, "reopened")

    case.refresh_from_db()
    reopened = _last_move(case)
    assert case.status == CaseStatus.REOPENED
    calendar = org_calendar(organization=org)
    policy = _support_policy(org)
    # no first response yet: both clocks start again from the reopening
    assert case.first_response_due_at == add_hours(
        reopened.created_at, policy.first_response_hours, calendar, business_hours_only=True
    )
    assert case.resolution_due_at == add_hours(
        reopened.created_at, policy.resolution_hours, calendar, business_hours_only=True
    )
    assert reopened.data["resolution_due_at"] == case.resolution_due_at.isoformat()  # type: ignore[union-attr]
    assert sla_breaches_check(now=reopened.created_at + dt.timedelta(minutes=1)) == 0
    case.refresh_from_db()
    assert not case.breached
    # the fresh clock still runs out
    assert sla_breaches_check(now=case.resolution_due_at + dt.timedelta(minutes=1)) == 2  # type: ignore[operator]


def test_a_customer_saying_no_reopens_with_a_fresh_resolution_due_time(
    personas: Personas,
) -> None:
    org = personas.org
    case = customer_case(org)
    case_reply(case=case, body="We are sending a new bag.", actor=personas.agent)
    case_resolve(case=case, root_cause=root_cause(org), note="New bag sent", actor=None)
    case = _age(Case.objects.get(pk=case.pk), days=10)
    first_due = case.first_response_due_at

    url = reverse("cases_public:follow_up", args=[follow_up_token(case)])
    assert Client().post(url, {"resolved": "no"}).status_code == 200

    case.refresh_from_db()
    reopened = _last_move(case)
    assert case.status == CaseStatus.REOPENED and reopened.by_customer
    assert case.first_response_due_at == first_due  # met already: stays as it was
    assert case.resolution_due_at == add_hours(
        reopened.created_at,
        _support_policy(org).resolution_hours,
        org_calendar(organization=org),
        business_hours_only=True,
    )
    assert sla_breaches_check(now=reopened.created_at + dt.timedelta(minutes=1)) == 0


def test_moving_a_case_to_another_team_applies_that_teams_policy(personas: Personas) -> None:
    org = personas.org
    product = Team.objects.get(organization=org, slug="product")
    SlaPolicy.objects.create(
        organization=org,
        team=product,
        name="Product SLA",
        first_response_hours=Decimal("4"),
        resolution_hours=Decimal("8"),
        business_hours_only=False,
    )
    case = customer_case(org)
    agent = personas.client_for(personas.agent)
    response = agent.post(
        reverse("cases:assign", args=[org.slug, case.pk]),
        {"team": str(product.pk), "assignee": "none"},
    )
    assert response.status_code == 302

    case.refresh_from_db()
    assert case.team == product and case.sla_policy is not None
    assert case.sla_policy.name == "Product SLA"
    # counted from when the case was opened, with the new team's hours
    assert case.first_response_due_at == case.sla_started_at + dt.timedelta(hours=4)  # type: ignore[operator]
    assert case.resolution_due_at == case.sla_started_at + dt.timedelta(hours=8)  # type: ignore[operator]
    event = CaseEvent.objects.filter(case=case, kind=CaseEventKind.ASSIGNED).last()
    assert event is not None and event.data["team_changed"] is True
    assert event.data["resolution_due_at"] == case.resolution_due_at.isoformat()  # type: ignore[union-attr]


def test_a_new_team_keeps_a_due_time_already_met(personas: Personas) -> None:
    org = personas.org
    product = Team.objects.get(organization=org, slug="product")
    SlaPolicy.objects.create(
        organization=org,
        team=product,
        first_response_hours=Decimal("1"),
        resolution_hours=Decimal("2"),
        business_hours_only=False,
    )
    case = customer_case(org)
    case_reply(case=case, body="On it", actor=personas.agent)
    case.refresh_from_db()
    met = case.first_response_due_at
    agent = personas.client_for(personas.agent)
    agent.post(reverse("cases:assign", args=[org.slug, case.pk]), {"team": str(product.pk)})
    case.refresh_from_db()
    assert case.first_response_due_at == met
    assert case.resolution_due_at == case.sla_started_at + dt.timedelta(hours=2)  # type: ignore[operator]


def test_waiting_on_the_customer_pauses_the_clock(personas: Personas) -> None:
    org = personas.org
    _support_policy(org, business_hours_only=False, first_response_hours=2, resolution_hours=8)
    case = customer_case(org)
    case_reply(case=case, body="Could you send a photo of the bag?", actor=personas.agent)
    case.refresh_from_db()
    assert case.status == CaseStatus.WAITING and case.waiting_since is not None
    due = case.resolution_due_at
    assert due is not None

    # the customer takes long to answer: no breach while we wait for them
    assert sla_breaches_check(now=due + DAY) == 0
    waited_since = case.waiting_since - dt.timedelta(hours=30)
    Case.objects.filter(pk=case.pk).update(waiting_since=waited_since)

    _move(personas.client_for(personas.agent), case, "open")
    case.refresh_from_db()
    back = _last_move(case)
    assert case.waiting_since is None
    assert case.resolution_due_at == due + (back.created_at - waited_since)
    assert back.data["paused_hours"] >= 30
    assert sla_breaches_check(now=due + dt.timedelta(minutes=1)) == 0
    assert sla_breaches_check(now=case.resolution_due_at + dt.timedelta(minutes=1)) == 1


def test_a_business_hours_clock_pauses_by_business_time_only(personas: Personas) -> None:
    org = personas.org
    case = customer_case(org)
    agent = personas.client_for(personas.agent)
    _move(agent, case, "waiting_on_customer")  # no reply yet: the first response waits too
    case.refresh_from_db()
    first_due, due = case.first_response_due_at, case.resolution_due_at
    assert first_due is not None and due is not None
    assert sla_breaches_check(now=due + DAY) == 0

    waited_since = case.waiting_since - 3 * DAY  # type: ignore[operator]
    Case.objects.filter(pk=case.pk).update(waiting_since=waited_since)
    _move(agent, case, "open")
    case.refresh_from_db()
    back = _last_move(case)
    paused = business_time_between(waited_since, back.created_at, org_calendar(organization=org))
    assert dt.timedelta(0) < paused < 3 * DAY  # nights (and weekends) do not count
    calendar = org_calendar(organization=org)
    policy = _support_policy(org)
    hours = paused.total_seconds() / 3600
    assert case.first_response_due_at == add_hours(
        case.sla_started_at,  # type: ignore[arg-type]
        float(policy.first_response_hours) + hours,
        calendar,
        business_hours_only=True,
    )
    assert case.resolution_due_at == add_hours(
        case.sla_started_at,  # type: ignore[arg-type]
        float(policy.resolution_hours) + hours,
        calendar,
        business_hours_only=True,
    )
    assert case.resolution_due_at > due  # type: ignore[operator]


def test_the_queue_does_not_count_a_waiting_case_as_breaching_soon(personas: Personas) -> None:
    from django.utils import timezone

    org = personas.org
    waiting = customer_case(org, title="Waiting for a photo of the bag")
    case_reply(case=waiting, body="Could you send a photo?", actor=personas.agent)
    running = customer_case(org, title="Grinder makes a noise")
    soon = timezone.now() + dt.timedelta(hours=1)
    Case.objects.filter(pk__in=[waiting.pk, running.pk]).update(
        first_response_due_at=soon, resolution_due_at=soon
    )
    agent = personas.client_for(personas.agent)
    page = agent.get(reverse("cases:list", args=[org.slug]), {"tab": "breaching"})
    html = page.content.decode()
    assert "Grinder makes a noise" in html
    assert "Waiting for a photo of the bag" not in html
