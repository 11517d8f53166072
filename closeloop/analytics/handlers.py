"""Domain-event subscriptions: every response that starts, completes or is imported marks the
days it counts on dirty, so the worker recomputes those days' rollups (imported in apps.ready).

Imported history counts in analytics (unlike automation, which ignores it)."""

from __future__ import annotations

from typing import Any

from closeloop.analytics.services import rollup_response_mark_dirty
from closeloop.core import events


@events.on("response.started")
@events.on("response.completed")
@events.on("response.imported")
def mark_response_days(*, response_id: Any, **_payload: Any) -> None:
    """The response's start and completion days need recomputing."""
    rollup_response_mark_dirty(response_id=response_id)
