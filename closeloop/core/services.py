"""Writes that every app shares: the activity log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

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
