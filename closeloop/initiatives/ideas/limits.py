"""Anti-abuse limits of the idea portal: per network address (Django's cache, fixed windows)
and per verified person per day (counted from the rows themselves)."""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from closeloop.core.errors import DomainError
from closeloop.initiatives.models import IdeaComment, IdeaPortal, IdeaVote, PortalVisitor
from closeloop.responses import ratelimit

# Per network address: every write on the portal, and the confirmation emails it may cause.
IP_WRITES_PER_WINDOW = 30
IP_WRITE_WINDOW = 10 * 60
IP_EMAILS_PER_HOUR = 10
EMAILS_PER_ADDRESS_PER_HOUR = 3
DAY = dt.timedelta(days=1)


class RateLimited(DomainError):
    """Too many requests; `retry_after` is the number of seconds to wait."""

    status = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field, code="rate-limited")
        self.retry_after = max(1, int(retry_after))


def wait_words(seconds: int) -> str:
    """'in 3 minutes', 'in 2 hours': when to retry, for a person."""
    if seconds < 60:
        return ngettext("in %(n)d second", "in %(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("in %(n)d hour", "in %(n)d hours", hours) % {"n": hours}


def _raise(seconds: int, what: str) -> None:
    raise RateLimited(
        _("%(what)s Please try again %(when)s.") % {"what": what, "when": wait_words(seconds)},
        retry_after=seconds,
    )


def check_ip_write(*, organization_id: object, ip: str) -> None:
    """Count one write (proposal, vote, comment, sign-in) from this address."""
    wait = ratelimit.hit(
        f"portal-write:{organization_id}", ip, IP_WRITES_PER_WINDOW, window=IP_WRITE_WINDOW
    )
    if wait is not None:
        _raise(wait, _("Too many requests from your network."))


def check_confirmation_email(*, organization_id: object, ip: str, email: str) -> None:
    """Count one confirmation email, per address sent to and per network address."""
    wait = ratelimit.hit(f"portal-mail:{organization_id}", ip, IP_EMAILS_PER_HOUR, window=3600)
    if wait is None:
        wait = ratelimit.hit(
            f"portal-mail-to:{organization_id}",
            email.lower(),
            EMAILS_PER_ADDRESS_PER_HOUR,
            window=3600,
        )
    if wait is not None:
        _raise(wait, _("We have sent too many confirmation emails."))


def _retry_after(oldest: dt.datetime | None, now: dt.datetime) -> int:
    if oldest is None:
        return 3600
    return max(60, int((oldest + DAY - now).total_seconds()) + 1)


def check_daily(*, portal: IdeaPortal, visitor: PortalVisitor, kind: str) -> None:
    """The visitor's own daily limit for `kind` ("idea", "vote" or "comment")."""
    from closeloop.initiatives.models import Idea

    now = timezone.now()
    since = now - DAY
    if kind == "idea":
        rows = Idea.objects.filter(author=visitor, created_at__gte=since)
        limit, what = portal.ideas_per_day, _("You have proposed as many ideas as allowed today.")
    elif kind == "vote":
        rows = IdeaVote.objects.filter(visitor=visitor, created_at__gte=since)  # type: ignore[assignment]
        limit, what = portal.votes_per_day, _("You have voted as many times as allowed today.")
    else:
        rows = IdeaComment.objects.filter(visitor=visitor, created_at__gte=since)  # type: ignore[assignment]
        limit, what = portal.comments_per_day, _("You have commented as often as allowed today.")
    timestamps = list(rows.order_by("created_at").values_list("created_at", flat=True)[:limit])
    if len(timestamps) >= limit:
        _raise(_retry_after(timestamps[0] if timestamps else None, now), what)
