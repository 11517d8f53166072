"""Minimum group size: figures of groups with too few responses are hidden, also when they
could be worked out by subtracting the shown groups from a shown total."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

DEFAULT_MIN_GROUP_SIZE = 5
# Employee surveys always hide small groups, whatever the organization chose.
EMPLOYEE_MIN_GROUP_SIZE = 5


def organization_min_group_size(organization: Organization) -> int:
    """The organization's minimum group size (default 5). The one place to read it, so an
    organization setting can be wired in here."""
    value = getattr(organization, "analytics_min_group_size", None)
    return int(value) if isinstance(value, int) and value >= 0 else DEFAULT_MIN_GROUP_SIZE


def min_group_size(
    *, organization: Organization, employee: bool = False, requested: int | None = None
) -> int:
    """The threshold a query uses: `requested`, else the organization's; never below 5 when
    employee surveys are in scope. 0 or 1 turns hiding off (customer surveys only)."""
    size = organization_min_group_size(organization) if requested is None else max(0, requested)
    if employee:
        size = max(size, EMPLOYEE_MIN_GROUP_SIZE)
    return size


def suppressed(
    sizes: Mapping[str, int], *, total: int, threshold: int, total_shown: bool = True
) -> tuple[set[str], bool]:
    """Which groups to hide, and whether to hide the total.

    A group with 0 < n < threshold is hidden. If the total is shown and the hidden groups add up
    to fewer than `threshold` responses, subtracting the shown groups from the total would give
    them away: the next-smallest shown groups are hidden too, until the hidden ones together
    reach the threshold (or nothing is left to hide)."""
    if threshold <= 1:
        return set(), False
    hide_total = 0 < total < threshold
    hidden = {key for key, n in sizes.items() if 0 < n < threshold}
    if hide_total or not total_shown or not hidden:
        return hidden, hide_total
    shown = sorted((n, key) for key, n in sizes.items() if key not in hidden and n > 0)
    while shown and 0 < sum(sizes[key] for key in hidden) < threshold:
        _n, key = shown.pop(0)
        hidden.add(key)
    return hidden, hide_total
