"""Reads shared by every app: the activity log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from closeloop.core.models import Activity

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization


def activity_list(*, organization: Organization, verb: str | None = None) -> QuerySet[Activity]:
    qs = Activity.objects.filter(organization=organization).select_related("actor")
    if verb:
        qs = qs.filter(verb=verb)
    return qs
