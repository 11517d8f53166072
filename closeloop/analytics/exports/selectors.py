"""Reads for exports: the organization's exports, and the responses an export holds, in chunks."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from closeloop.accounts.access import access_object
from closeloop.analytics.exports.columns import ROW_FIELDS
from closeloop.analytics.models import Export
from closeloop.responses.choices import ResponseStatus
from closeloop.responses.models import Response

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.surveys.models import Survey

CHUNK_SIZE = 1000


def export_list(*, organization: Organization) -> QuerySet[Export]:
    """The organization's exports, newest first."""
    return (
        Export.objects.filter(organization=organization)
        .select_related("survey", "requested_by", "api_key")
        .order_by("-created_at", "-id")
    )


def access_export(*, organization: Organization, pk: Any) -> Export:
    """One export of the organization by id, or 404 (also for another organization's)."""
    return access_object(export_list(organization=organization), organization=organization, pk=pk)


def _day_start(day: str, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.min, tzinfo=tz)


def export_responses(*, survey: Survey, filters: Mapping[str, Any]) -> QuerySet[Response]:
    """The survey's responses an export with these (already validated) filters holds.

    The date range is on the completion time; on the start time when partial responses are
    included. Days are whole days in the organization's time zone, both ends included."""
    tz = zoneinfo.ZoneInfo(survey.organization.time_zone)
    qs = Response.objects.filter(survey=survey)
    status = filters.get("status") or "complete"
    if status in (ResponseStatus.COMPLETE, ResponseStatus.PARTIAL):
        qs = qs.filter(status=status)
    moment = "completed_at" if status == ResponseStatus.COMPLETE else "started_at"
    if filters.get("from"):
        qs = qs.filter(**{f"{moment}__gte": _day_start(filters["from"], tz)})
    if filters.get("to"):
        end = _day_start(filters["to"], tz) + dt.timedelta(days=1)
        qs = qs.filter(**{f"{moment}__lt": end})
    if filters.get("touchpoint"):
        qs = qs.filter(touchpoint_id=uuid.UUID(str(filters["touchpoint"])))
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("language"):
        qs = qs.filter(language=filters["language"])
    return qs


def iter_rows(
    queryset: QuerySet[Response], *, fields: tuple[str, ...] = ROW_FIELDS, chunk: int = CHUNK_SIZE
) -> Iterator[dict[str, Any]]:
    """Every row of the queryset as a dict, oldest first, read `chunk` rows at a time.

    Keyset pagination on (created_at, id): each chunk is its own short query, so memory stays
    flat at any size and no cursor is held open while the file is written."""
    ordered = queryset.order_by("created_at", "id").values(*{*fields, "created_at", "id"})
    last: tuple[dt.datetime, uuid.UUID] | None = None
    while True:
        page = ordered
        if last is not None:
            page = page.filter(Q(created_at__gt=last[0]) | Q(created_at=last[0], id__gt=last[1]))
        rows = list(page[:chunk])
        yield from rows
        if len(rows) < chunk:
            return
        last = (rows[-1]["created_at"], rows[-1]["id"])


def metadata_keys(queryset: QuerySet[Response]) -> list[str]:
    """The metadata keys present in these responses, sorted."""
    keys: set[str] = set()
    for row in iter_rows(queryset, fields=("metadata",), chunk=5000):
        metadata = row.get("metadata")
        if isinstance(metadata, dict):
            keys.update(str(k) for k in metadata)
    return sorted(keys)


def describe_filters(
    filters: Mapping[str, Any], touchpoints: Mapping[str, str]
) -> list[tuple[str, str]]:
    """An export's filters as (label, value) pairs a person reads; touchpoints by name."""
    from django.utils.translation import gettext as _

    from closeloop.responses.choices import Channel

    statuses = {
        "complete": _("Completed only"),
        "partial": _("Partial only"),
        "all": _("Completed and partial"),
    }
    pairs: list[tuple[str, str]] = []
    if filters.get("status"):
        pairs.append((_("Responses"), str(statuses.get(filters["status"], filters["status"]))))
    if filters.get("from"):
        pairs.append((_("From"), str(filters["from"])))
    if filters.get("to"):
        pairs.append((_("To"), str(filters["to"])))
    if filters.get("touchpoint"):
        key = str(filters["touchpoint"])
        pairs.append((_("Touchpoint"), touchpoints.get(key, key)))
    if filters.get("channel"):
        channel = filters["channel"]
        label = Channel(channel).label if channel in Channel.values else channel
        pairs.append((_("Channel"), str(label)))
    if filters.get("language"):
        pairs.append((_("Language"), str(filters["language"])))
    if filters.get("metric"):
        pairs.append((_("Metric"), str(filters["metric"])))
    if filters.get("group_by") and filters["group_by"] != "none":
        pairs.append((_("Grouped by"), str(filters["group_by"])))
    for key in filters.get("touchpoints") or []:
        pairs.append((_("Touchpoint"), touchpoints.get(str(key), str(key))))
    for name, label in (("channels", _("Channel")), ("languages", _("Language"))):
        for value in filters.get(name) or []:
            pairs.append((label, str(value)))
    return pairs


def touchpoint_names(*, organization: Organization) -> dict[str, str]:
    """The organization's touchpoint names by id."""
    from closeloop.distribution.models import Touchpoint

    rows = Touchpoint.objects.filter(organization=organization).values_list("pk", "name")
    return {str(pk): name for pk, name in rows}
