"""Domain events: in-process notifications that run after the surrounding transaction commits.

A service announces that something happened::

    from closeloop.core import events

    events.emit("response.completed", response_id=str(response.pk), organization_id=...)

and any app subscribes, typically in its `apps.py` `ready()` or a module imported there::

    @events.on("response.completed")
    def start_follow_up(**payload: Any) -> None:
        enqueue_on_commit(follow_up_task, payload["response_id"])

Handlers run once the transaction commits (at once outside a transaction) and never on
rollback. Each handler gets the payload as keyword arguments; one that raises is logged and the
others still run. Handlers should be quick: pass ids and enqueue a task for real work. Payloads
carry ids (strings), not model instances, so they can be handed to tasks as they are.

Known events: `response.completed` (response_id, survey_id, organization_id; every completed
response that is not historical), `survey.published` (survey_id, organization_id, version).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger("closeloop.events")

Handler = Callable[..., Any]

_HANDLERS: defaultdict[str, list[Handler]] = defaultdict(list)


def on(name: str) -> Callable[[Handler], Handler]:
    """Decorate a function to be called with the payload of every `name` event."""

    def register(handler: Handler) -> Handler:
        if handler not in _HANDLERS[name]:
            _HANDLERS[name].append(handler)
        return handler

    return register


def disconnect(name: str, handler: Handler) -> None:
    """Stop calling `handler` for `name` (for tests that subscribe temporarily)."""
    if handler in _HANDLERS.get(name, []):
        _HANDLERS[name].remove(handler)


def handlers_for(name: str) -> list[Handler]:
    """The handlers subscribed to `name`, in the order they subscribed."""
    return list(_HANDLERS.get(name, []))


def _dispatch(name: str, payload: dict[str, Any]) -> None:
    for handler in handlers_for(name):
        try:
            handler(**payload)
        except Exception:  # one broken subscriber must not stop the others
            logger.exception("Handler %r for event %s failed", handler, name)


def emit(name: str, **payload: Any) -> None:
    """Call every handler of `name` with the payload once the current transaction commits."""
    transaction.on_commit(partial(_dispatch, name, payload))
