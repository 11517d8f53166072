"""Opening cases: numbers per organization, assignment by round robin or least open cases
within the team, due times from the matching SLA policy, the timeline and the domain event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from closeloop.accounts.choices import Role
from closeloop.accounts.models import Membership, Team
from closeloop.accounts.tests.factories import MembershipFactory, UserFactory
from closeloop.cases.choices import CaseEventKind, CasePriority, CaseStatus
from closeloop.cases.config import sla_policy_save
from closeloop.cases.models import CaseEvent, RootCause, SlaPolicy
from closeloop.cases.services import case_close
from closeloop.cases.tests.factories import customer_case, join_team, make_case, support
from closeloop.core import events
from closeloop.core.models import Activity
from conftest import Personas

SEOUL = ZoneInfo("Asia/Seoul")


def agents(personas: Personas, n: int) -> list[Membership]:
    return [
        MembershipFactory(
            organization=personas.org,
            user=UserFactory(email=f"agent{i}@acme.test"),
            role=Role.AGENT,
        )
        for i in range(n)
    ]


def test_numbers_count_up_per_organization(personas: Personas) -> None:
    first = make_case(personas.org)
    second = make_case(personas.org)
    other = make_case(personas.other_org)
    assert (first.number, second.number) == (1001, 1002)
    assert other.number == 1001
    assert str(second) == "#1002 Coffee arrived cold"


def test_defaults_give_root_causes_hours_and_a_support_sla(personas: Personas) -> None:
    make_case(personas.org)
    names = list(RootCause.objects.filter(organization=personas.org).values_list("name", flat=True))
    assert "Delivery delay" in names and "Website usability" in names and len(names) == 8
    policy = SlaPolicy.objects.get(organization=personas.org, team=support(personas.org))
    assert (policy.first_response_hours, policy.resolution_hours) == (24, 72)
    assert policy.business_hours_only


def test_due_times_follow_the_support_sla_in_business_hours(personas: Personas) -> None:
    monday_9 = dt.datetime(2026, 3, 2, 9, tzinfo=SEOUL)
    case = make_case(personas.org, created_at=monday_9)
    # 9-hour days: 24 business hours end Wednesday 15:00, 72 end a week on Wednesday 18:00
    assert case.first_response_due_at == dt.datetime(2026, 3, 4, 15, tzinfo=SEOUL)
    assert case.resolution_due_at == dt.datetime(2026, 3, 11, 18, tzinfo=SEOUL)
    assert case.created_at == monday_9


def test_the_most_specific_policy_wins(personas: Personas) -> None:
    org = personas.org
    make_case(org)  # installs the defaults
    sla_policy_save(
        organization=org,
        team=support(org),
        priority=CasePriority.URGENT,
        first_response_hours=Decimal(1),
        resolution_hours=Decimal(4),
        business_hours_only=False,
    )
    start = dt.datetime(2026, 3, 7, 12, tzinfo=SEOUL)  # a Saturday
    urgent = make_case(org, priority=CasePriority.URGENT, created_at=start)
    assert urgent.first_response_due_at == start + dt.timedelta(hours=1)
    product = Team.objects.get(organization=org, slug="product")
    other = make_case(org, team=product, created_at=start)  # org default: business hours
    assert other.first_response_due_at == dt.datetime(2026, 3, 11, 15, tzinfo=SEOUL)


def test_round_robin_takes_the_member_after_the_last_assigned(personas: Personas) -> None:
    team = support(personas.org)
    a, b, c = agents(personas, 3)
    viewer = personas.membership(personas.viewer)
    join_team(team, a, b, c, viewer)  # a viewer may not work cases: never picked
    picked = [make_case(personas.org, assignee_strategy="round_robin").assignee for _ in range(4)]
    assert picked == [a, b, c, a]
    # a case assigned by hand moves the turn on
    make_case(personas.org, assignee=c)
    assert make_case(personas.org, assignee_strategy="round_robin").assignee == a


def test_least_open_picks_the_member_with_fewest_active_cases(personas: Personas) -> None:
    team = support(personas.org)
    a, b = agents(personas, 2)
    join_team(team, a, b)
    first = make_case(personas.org, assignee=a)
    make_case(personas.org, assignee=a)
    make_case(personas.org, assignee=b)
    assert make_case(personas.org, assignee_strategy="least_open").assignee == b
    # closed cases do not count
    case_close(case=first, actor=None)
    case_close(case=make_case(personas.org, assignee=a), actor=None)
    assert make_case(personas.org, assignee_strategy="least_open").assignee == a


def test_no_team_or_no_agents_leaves_it_unassigned(personas: Personas) -> None:
    assert make_case(personas.org, team=None, assignee_strategy="round_robin").assignee is None
    assert make_case(personas.org, assignee_strategy="round_robin").assignee is None


def test_created_case_has_a_timeline_activity_and_event(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    seen: list[dict[str, Any]] = []

    def listener(**payload: Any) -> None:
        seen.append(payload)

    events.on("case.created")(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            case = customer_case(personas.org, score=2, tags=["cold", "Cold", "late"])
    finally:
        events.disconnect("case.created", listener)
    assert case.status == CaseStatus.NEW
    assert case.original_score == 2
    assert case.contact is not None and case.contact.email.startswith("cust")
    assert case.tags == ["cold", "late"]
    assert [e.kind for e in CaseEvent.objects.filter(case=case)] == [CaseEventKind.CREATED]
    assert Activity.objects.filter(verb="case.created", object_id=str(case.pk)).exists()
    assert seen == [
        {
            "case_id": str(case.pk),
            "organization_id": str(personas.org.pk),
            "number": case.number,
            "team_id": str(case.team_id),
            "priority": "normal",
            "response_id": str(case.response_id),
        }
    ]


def test_bad_input_is_refused(personas: Personas) -> None:
    from closeloop.core.errors import DomainError

    with pytest.raises(DomainError, match="title"):
        make_case(personas.org, title="  ")
    other_team = Team.objects.filter(organization=personas.other_org).first()
    with pytest.raises(DomainError) as exc:
        make_case(personas.org, team=other_team)
    assert exc.value.field == "team"
