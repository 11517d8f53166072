"""Writes that every app shares: the activity log, pruning finished background tasks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from closeloop.core.models import Activity

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User


def activity_record(
    *,
    organization: Organization,
    verb: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> Activity:
    """Append who did what to which object; called by services, never by signals."""
    if actor is not None:
        label = actor.email
    elif api_key is not None:
        label = f"API key {api_key.name}"
    else:
        label = "system"
    return Activity.objects.create(
        organization=organization,
        actor=actor,
        actor_label=label,
        verb=verb,
        object_type=(target._meta.model_name or "") if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:300] if target is not None else "",
        data=data or {},
    )


def finished_tasks_prune(*, now: datetime | None = None) -> int:
    """Delete successful task results older than 14 days and failed ones older than 30."""
    now = now or timezone.now()
    deleted, _ = DBTaskResult.objects.filter(
        models.Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - timedelta(days=14))
        | models.Q(status=TaskResultStatus.FAILED, finished_at__lt=now - timedelta(days=30))
    ).delete()
    return deleted
