"""Domain-event subscriptions: each handler only enqueues the rule engine's task with ids.

Event keys make a run unique per occurrence: a response completes once and a case is created
once (their id is the key); a case changes or a contact unsubscribes many times, so the handler
gives each occurrence its own key, which the task keeps across retries."""

from __future__ import annotations

import uuid
from typing import Any

from closeloop.automation.choices import TRIGGERS
from closeloop.core import events
from closeloop.core.tasks import enqueue_on_commit

SUBJECT_ID_FIELD = {"response": "response_id", "case": "case_id", "contact": "contact_id"}
# Events that happen once per subject: the subject id alone identifies the occurrence.
ONCE_PER_SUBJECT = frozenset({"response.completed", "case.created"})


def _event_key(trigger: str, subject_id: str, payload: dict[str, Any]) -> str:
    if trigger in ONCE_PER_SUBJECT:
        return subject_id
    if trigger == "case.sla_breached" and payload.get("kind"):
        return f"{subject_id}:sla:{payload['kind']}"[:100]
    # The emitter's id of this occurrence when it gives one, else a fresh one.
    occurrence = str(payload.get("event_id") or "") or uuid.uuid4().hex[:16]
    return f"{subject_id}:{occurrence}"[:100]


def _plain(payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON-safe part of a payload (the task's arguments are stored as JSON)."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if (
            isinstance(value, str | int | float | bool)
            or value is None
            or isinstance(value, dict | list)
        ):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def handle(trigger: str, **payload: Any) -> None:
    """Enqueue the rules of one event (after the emitting transaction committed)."""
    from closeloop.automation.tasks import automation_run_event

    spec = TRIGGERS.get(trigger)
    if spec is None:
        return
    subject_id = payload.get(SUBJECT_ID_FIELD[spec.subject])
    if not subject_id:
        return
    enqueue_on_commit(
        automation_run_event,
        trigger,
        spec.subject.value,
        str(subject_id),
        _event_key(trigger, str(subject_id), payload),
        str(payload.get("organization_id") or "") or None,
        _plain(payload),
    )


_LISTENERS: dict[str, Any] = {}


def listen(trigger: str) -> None:
    """Subscribe the engine to a trigger's event (later apps call this for their triggers)."""
    if trigger in _LISTENERS:
        return

    def handler(**payload: Any) -> None:
        handle(trigger, **payload)

    handler.__name__ = f"automation_on_{trigger.replace('.', '_')}"
    _LISTENERS[trigger] = handler
    events.on(trigger)(handler)


for _trigger in list(TRIGGERS):
    listen(_trigger)
