"""Domain-event subscriptions: a completed (or imported) response's open answers become
comments, created and enriched in the background."""

from __future__ import annotations

from typing import Any

from closeloop.core import events
from closeloop.core.tasks import enqueue_on_commit


@events.on("response.completed")
@events.on("response.imported")
def comments_for_response(**payload: Any) -> None:
    """Enqueue the creation and enrichment of the response's comments."""
    from closeloop.text.tasks import text_comments_for_response

    response_id = payload.get("response_id")
    if response_id:
        enqueue_on_commit(text_comments_for_response, str(response_id))
