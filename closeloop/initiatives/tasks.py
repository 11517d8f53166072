"""Background work of the outer loop: sending an announcement in batches."""

from __future__ import annotations

from django.tasks import task

from closeloop.initiatives import (
    announcements_sending,  # noqa: F401  outbox check and hook
    digest,  # noqa: F401  the review digest's periodic job
)


@task
def announcement_deliver(announcement_id: str) -> int:
    """Email an announcement's recipients (enqueued by "send"); running it again is harmless."""
    from closeloop.initiatives.announcements import announcement_deliver_batches

    announcement = announcement_deliver_batches(announcement_id=announcement_id)
    return announcement.processed if announcement is not None else 0
