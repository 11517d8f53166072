"""The one transition service: valid moves are recorded on the timeline and in the activity log
and announced; invalid ones are refused with a message naming the allowed moves."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.cases.choices import CaseEventKind, CaseStatus
from closeloop.cases.models import CaseEvent
from closeloop.cases.services import case_add_tags, case_assign, case_set_priority, case_transition
from closeloop.cases.tests.factories import make_case
from closeloop.core import events
from closeloop.core.errors import DomainError
from closeloop.core.models import Activity
from conftest import Personas


def test_valid_transitions_are_recorded_and_announced(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    case = make_case(personas.org)
    seen: list[tuple[str, dict[str, Any]]] = []

    def changed(**p: Any) -> None:
        seen.append(("case.changed", p))

    def reopened(**p: Any) -> None:
        seen.append(("case.reopened", p))

    events.on("case.changed")(changed)
    events.on("case.reopened")(reopened)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            case = case_transition(case=case, to_status="open", actor=personas.agent)
            case = case_transition(case=case, to_status="closed", actor=personas.agent, note="dup")
            case = case_transition(case=case, to_status="reopened", actor=personas.agent)
    finally:
        events.disconnect("case.changed", changed)
        events.disconnect("case.reopened", reopened)
    assert case.status == CaseStatus.REOPENED and case.closed_at is None
    moves = [
        (e.data["from"], e.data["to"])
        for e in CaseEvent.objects.filter(case=case, kind=CaseEventKind.STATUS_CHANGED)
    ]
    assert moves == [("new", "open"), ("open", "closed"), ("closed", "reopened")]
    assert CaseEvent.objects.get(case=case, data__to="closed").data["note"] == "dup"
    assert Activity.objects.filter(verb="case.status_changed", object_id=str(case.pk)).count() == 3
    assert [name for name, _ in seen] == [
        "case.changed", "case.changed", "case.changed", "case.reopened",
    ]  # fmt: skip
    assert seen[0][1]["changes"] == {"status": ["new", "open"]}


def test_invalid_transition_is_refused_with_the_allowed_moves(personas: Personas) -> None:
    case = make_case(personas.org)
    with pytest.raises(DomainError) as exc:
        case_transition(case=case, to_status="reopened", actor=None)
    assert exc.value.code == "invalid-transition"
    assert "A case that is New cannot become Reopened" in exc.value.message
    assert "Open" in exc.value.message
    with pytest.raises(DomainError, match="already"):
        case_transition(case=case, to_status="new", actor=None)
    with pytest.raises(DomainError, match="root cause"):
        case_transition(case=case, to_status="resolved", actor=None)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    assert not CaseEvent.objects.filter(case=case, kind=CaseEventKind.STATUS_CHANGED).exists()


def test_assign_priority_and_tags_are_on_the_timeline(personas: Personas) -> None:
    case = make_case(personas.org)
    agent = personas.membership(personas.agent)
    case = case_assign(case=case, assignee=agent, actor=personas.admin)
    assert case.assignee == agent
    case_assign(case=case, assignee=agent, actor=personas.admin)  # no change, no event
    case = case_set_priority(case=case, priority="urgent", actor=personas.admin)
    case = case_add_tags(case=case, tags=["billing"], actor=personas.admin)
    kinds = [e.kind for e in CaseEvent.objects.filter(case=case)]
    assert kinds == ["created", "assigned", "priority_changed", "tagged"]
    assert case.priority == "urgent" and case.tags == ["billing"]
    with pytest.raises(DomainError):
        case_set_priority(case=case, priority="sky-high", actor=None)


def test_only_members_who_work_cases_can_be_assigned(personas: Personas) -> None:
    case = make_case(personas.org)
    for user in (personas.viewer, personas.analyst):
        with pytest.raises(DomainError, match="cannot work cases") as exc:
            case_assign(case=case, assignee=personas.membership(user), actor=personas.admin)
        assert exc.value.field == "assignee"
    case.refresh_from_db()
    assert case.assignee is None


def test_case_events_are_append_only(personas: Personas) -> None:
    from closeloop.core.models import AppendOnlyError

    event = CaseEvent.objects.filter(case=make_case(personas.org)).first()
    assert event is not None
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_reopening_announces_case_reopened_to_rules_and_webhooks(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    from closeloop.automation.choices import TRIGGERS
    from closeloop.integrations.webhooks import EVENT_NAMES

    assert "case.reopened" in EVENT_NAMES and "case.reopened" in TRIGGERS
    case = make_case(personas.org)
    seen: list[dict[str, Any]] = []

    def reopened(**p: Any) -> None:
        seen.append(p)

    events.on("case.reopened")(reopened)
    try:
        case = case_transition(case=case, to_status="closed", actor=personas.agent)
        with django_capture_on_commit_callbacks(execute=True):
            case_transition(case=case, to_status="reopened", actor=personas.agent)
    finally:
        events.disconnect("case.reopened", reopened)
    assert seen == [
        {
            "case_id": str(case.pk),
            "organization_id": str(personas.org.pk),
            "changes": {"status": ["closed", "reopened"]},
        }
    ]
