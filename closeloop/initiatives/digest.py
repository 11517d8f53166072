"""The advocacy review digest: the review's summary emailed to each member of the advocacy team,
in their own language, before the team's regular meeting.

A periodic job (every 30 minutes) looks at each organization with a flagged advocacy team and
the digest on: when now falls in [meeting - digest_hours_before, meeting) in the organization's
time zone and the digest for that meeting has not gone out, it claims the meeting with a
conditional UPDATE of `last_digest_for` and, in the same transaction, puts one email per member
in the outbox. Running the job again, on another worker or later in the window, sends nothing
more. An admin may also send it now ("Send digest now").
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError
from closeloop.core.periodic import periodic
from closeloop.core.services import activity_record
from closeloop.initiatives.decisions import review_settings_of
from closeloop.initiatives.models import OuterLoopSettings
from closeloop.initiatives.review import (
    ReviewSummary,
    advocacy_memberships,
    review_period,
    review_summary,
)

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization, User

logger = logging.getLogger("closeloop.initiatives")

RELATED_REVIEW_DIGEST = "review_digest"


def next_meeting(row: OuterLoopSettings, now: dt.datetime) -> dt.datetime:
    """The first meeting strictly after `now` (weekday and time in the org's time zone)."""
    zone = zoneinfo.ZoneInfo(row.organization.time_zone)
    local = now.astimezone(zone)
    day = local.date() + dt.timedelta(days=(row.meeting_weekday - local.weekday()) % 7)
    meeting_time = row.meeting_time
    if isinstance(meeting_time, str):  # an unsaved row keeps the field's string default
        meeting_time = dt.time.fromisoformat(meeting_time)
    moment = dt.datetime.combine(day, meeting_time, tzinfo=zone)
    if moment <= local:
        moment = dt.datetime.combine(day + dt.timedelta(days=7), meeting_time, tzinfo=zone)
    return moment


def digest_window(row: OuterLoopSettings, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[opens, meeting) of the next meeting."""
    meeting = next_meeting(row, now)
    return meeting - dt.timedelta(hours=row.digest_hours_before), meeting


@dataclass
class DigestEmail:
    subject: str
    text: str
    html: str


def _url(name: str, *args: Any) -> str:
    return settings.BASE_URL.rstrip("/") + reverse(name, args=list(args))


def digest_render(
    summary: ReviewSummary, *, meeting: dt.datetime | None, language: str
) -> DigestEmail:
    """The digest email of a summary, in the active language."""
    org = summary.organization
    period = _("%(start)s to %(end)s") % {
        "start": formats.date_format(summary.period.first_day, "DATE_FORMAT"),
        "end": formats.date_format(summary.period.last_day, "DATE_FORMAT"),
    }
    when = ""
    if meeting is not None:
        local = meeting.astimezone(summary.period.zone)
        when = formats.date_format(local, "DATETIME_FORMAT")
    if when:
        subject = _("Advocacy review %(when)s: what customers said") % {"when": when}
    else:
        subject = _("Advocacy review: what customers said, %(period)s") % {"period": period}
    due = [i for i in summary.initiatives if i.status in ("proposed", "planned", "in_progress")]
    context = {
        "summary": summary,
        "org": org,
        "period": period,
        "meeting": when,
        "subject": subject,
        "language": language,
        "initiatives_due": due,
        "page_url": _url("review:page", org.slug),
    }
    return DigestEmail(
        subject=subject,
        text=render_to_string("initiatives/email/review_digest.txt", context),
        html=render_to_string("initiatives/email/review_digest.html", context),
    )


def review_digest_send(
    *,
    organization: Organization,
    meeting: dt.datetime | None,
    now: dt.datetime | None = None,
    manual: bool = False,
    actor: User | None = None,
) -> int:
    """Email the review's summary to each advocacy-team member in their language, through the
    outbox; returns how many members. One email per member and meeting (a manual send is keyed
    by the minute, so a double click sends once)."""
    from closeloop.distribution.emails import from_address
    from closeloop.integrations.notify import notify_email

    now = now or timezone.now()
    members = advocacy_memberships(organization=organization)
    if not members:
        raise DomainError(
            _("Nobody is on the advocacy team yet: add members to the flagged team."),
            field="team",
        )
    zone = zoneinfo.ZoneInfo(organization.time_zone)
    period = review_period(organization=organization, today=now.astimezone(zone).date())
    by_language: dict[str, list[User]] = defaultdict(list)
    for membership in members:
        user = membership.user
        by_language[user.language or organization.default_language].append(user)
    meeting_key = meeting.astimezone(zone).date().isoformat() if meeting else "none"
    sender = from_address(organization)
    with transaction.atomic():
        for language, users in sorted(by_language.items()):
            with translation.override(language):
                summary = review_summary(
                    organization=organization, period=period, language=language, now=now
                )
                email = digest_render(summary, meeting=meeting, language=language)
            for user in users:
                key = f"review-digest:{organization.pk}:{meeting_key}:{user.pk}"
                if manual:
                    key += f":manual:{now:%Y%m%d%H%M}"
                notify_email(
                    organization=organization,
                    to=[user.email],
                    subject=email.subject,
                    text=email.text,
                    html=email.html,
                    idempotency_key=key,
                    language=language,
                    related_type=RELATED_REVIEW_DIGEST,
                    related_id=str(organization.pk),
                    from_email=sender,
                )
        activity_record(
            organization=organization, actor=actor, verb="review.digest_sent",
            data={"meeting": meeting_key, "recipients": len(members), "manual": manual},
        )  # fmt: skip
    return len(members)


def review_digest_send_now(*, organization: Organization, actor: User | None) -> int:
    """An admin's "Send digest now": the summary as it stands, for the next meeting."""
    row = review_settings_of(organization)
    now = timezone.now()
    return review_digest_send(
        organization=organization, meeting=next_meeting(row, now), now=now, manual=True,
        actor=actor,
    )  # fmt: skip


def review_digests_send_due(*, now: dt.datetime | None = None) -> int:
    """Send each due digest once per meeting; returns how many organizations were sent one."""
    from closeloop.accounts.models import Organization, Team

    now = now or timezone.now()
    org_ids = Team.objects.filter(is_advocacy_team=True).values("organization_id")
    sent = 0
    for org in Organization.objects.filter(pk__in=org_ids).order_by("created_at"):
        row = review_settings_of(org)
        if not row.digest_enabled:
            continue
        opens, meeting = digest_window(row, now)
        if not opens <= now < meeting:
            continue
        meeting_on = meeting.astimezone(zoneinfo.ZoneInfo(org.time_zone)).date()
        if row.last_digest_for == meeting_on:
            continue
        try:
            with transaction.atomic():
                claimed = (
                    OuterLoopSettings.objects.filter(pk=row.pk)
                    .exclude(last_digest_for=meeting_on)
                    .update(last_digest_for=meeting_on)
                )
                if not claimed:  # another worker has it
                    continue
                review_digest_send(organization=org, meeting=meeting, now=now)
        except DomainError:
            logger.info("The advocacy team of %s has no members: no digest", org.pk)
        except Exception:
            logger.exception("The advocacy review digest of %s could not be sent", org.pk)
        else:
            sent += 1
    return sent


@periodic(every=timedelta(minutes=30), name="initiatives.review_digests_send")
@task
def review_digests_task() -> int:
    """Send the advocacy review digests whose window has opened (once per meeting)."""
    return review_digests_send_due()
