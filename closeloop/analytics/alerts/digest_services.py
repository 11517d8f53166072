"""Weekly digests: the organization's schedule, members opting out, and sending (through the
outbox, one email per member in their language).

The hourly job sends each team's digest once per week (a DigestSend row per team and week,
unique), during the 24 hours after the scheduled weekday and hour in the organization's time
zone; a worker that was down a whole day skips that week rather than sending it late. An admin
may also send a team's digest now (at most once an hour per member: the outbox key says so).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.analytics.alerts.digest import (
    Digest,
    digest_build,
    digest_render,
    previous_week,
)
from closeloop.analytics.alerts.selectors import digest_recipients, digest_settings_of
from closeloop.analytics.models import DigestOptOut, DigestSend, DigestSettings
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs

logger = logging.getLogger("closeloop.analytics")

register_verbs(
    {
        "digest.settings_changed": gettext_lazy("changed the weekly digest schedule"),
        "digest.sent": gettext_lazy("sent a weekly digest"),
        "digest.opted_out": gettext_lazy("stopped a weekly digest"),
        "digest.opted_in": gettext_lazy("subscribed to a weekly digest"),
    }
)

RELATED_DIGEST = "analytics_digest"
# A scheduled digest is still sent this long after its time (a worker restarting), no later.
SEND_WINDOW = dt.timedelta(hours=24)


def digest_settings_update(
    *, organization: Organization, enabled: bool, weekday: int, hour: int, actor: User | None
) -> DigestSettings:
    """Change when (or whether) the weekly digests go out."""
    if not 0 <= weekday <= 6:
        raise DomainError(_("Choose a weekday."), field="weekday")
    if not 0 <= hour <= 23:
        raise DomainError(_("Choose an hour from 0 to 23."), field="hour")
    with transaction.atomic():
        settings_row, _created = DigestSettings.objects.select_for_update().get_or_create(
            organization=organization
        )
        settings_row.enabled, settings_row.weekday, settings_row.hour = enabled, weekday, hour
        settings_row.save()
        activity_record(
            organization=organization, actor=actor, verb="digest.settings_changed",
            data={"enabled": enabled, "weekday": weekday, "hour": hour},
        )  # fmt: skip
    return settings_row


def digest_subscriptions_set(
    *, membership: Membership, teams: list[Team], wanted: set[object], actor: User | None
) -> list[Team]:
    """Set which of the member's `teams` digests they receive (`wanted`: team ids); returns the
    teams opted out of."""
    changed = []
    with transaction.atomic():
        current = set(
            DigestOptOut.objects.filter(membership=membership).values_list("team_id", flat=True)
        )
        for team in teams:
            if team.organization_id != membership.organization_id:
                raise DomainError(_("Choose one of your teams."), field="teams")
            want = team.pk in wanted
            if want and team.pk in current:
                DigestOptOut.objects.filter(membership=membership, team=team).delete()
                changed.append(("digest.opted_in", team))
            elif not want and team.pk not in current:
                DigestOptOut.objects.create(
                    organization_id=membership.organization_id, membership=membership, team=team
                )
                changed.append(("digest.opted_out", team))
        for verb, team in changed:
            activity_record(
                organization=membership.organization, actor=actor, verb=verb, target=team
            )
    return [t for t in teams if t.pk not in wanted]


def digest_send(
    *,
    team: Team,
    week_start: dt.date,
    now: dt.datetime | None = None,
    manual: bool = False,
    actor: User | None = None,
) -> DigestSend | None:
    """Send a team's digest for a week to each member who wants it, in their language. A
    scheduled send happens once per team and week (None if it already did)."""
    now = now or timezone.now()
    org = team.organization
    if (
        not manual
        and DigestSend.objects.filter(team=team, week_start=week_start, manual=False).exists()
    ):
        return None
    recipients = digest_recipients(team)
    by_language: dict[str, list[User]] = defaultdict(list)
    for user in recipients:
        by_language[user.language or org.default_language].append(user)
    try:
        with transaction.atomic():
            sent = DigestSend.objects.create(
                organization=org,
                team=team,
                week_start=week_start,
                manual=manual,
                sent_by=actor,
                recipients=len(recipients),
            )
            for language, users in by_language.items():
                with translation.override(language):
                    digest = digest_build(team=team, week_start=week_start, now=now)
                    subject, text, html = digest_render(digest, language=language)
                for user in users:
                    _send_one(sent, user, language, subject, text, html, now)
            activity_record(
                organization=org, actor=actor, verb="digest.sent", target=team,
                data={"week": week_start.isoformat(), "recipients": len(recipients),
                      "manual": manual},
            )  # fmt: skip
    except IntegrityError:  # another worker sent it meanwhile
        return None
    return sent


def _send_one(
    sent: DigestSend,
    user: User,
    language: str,
    subject: str,
    text: str,
    html: str,
    now: dt.datetime,
) -> None:
    from closeloop.integrations.notify import notify_email

    key = f"digest:{sent.team_id}:{sent.week_start.isoformat()}:{user.pk}"
    if sent.manual:
        key += f":manual:{now:%Y%m%d%H}"
    notify_email(
        organization=sent.organization,
        to=[user.email],
        subject=subject,
        text=text,
        html=html,
        idempotency_key=key,
        language=language,
        related_type=RELATED_DIGEST,
        related_id=str(sent.team_id),
    )


def digest_preview(
    *, team: Team, week_start: dt.date | None = None, now: dt.datetime | None = None
) -> tuple[Digest, str, str]:
    """The team's digest in the active language, its subject and plain text; sends nothing."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(team.organization.time_zone)
    week = week_start or previous_week(now.astimezone(zone).date())
    digest = digest_build(team=team, week_start=week, now=now)
    subject, text, _html = digest_render(digest, language=translation.get_language() or "en")
    return digest, subject, text


def scheduled_time(
    settings_row: DigestSettings, now: dt.datetime, zone: zoneinfo.ZoneInfo
) -> dt.datetime:
    """The latest scheduled send at or before `now` (weekday and hour in the org's zone)."""
    local = now.astimezone(zone)
    days_back = (local.weekday() - settings_row.weekday) % 7
    day = local.date() - dt.timedelta(days=days_back)
    moment = dt.datetime.combine(day, dt.time(settings_row.hour), tzinfo=zone)
    if moment > local:
        moment = dt.datetime.combine(
            day - dt.timedelta(days=7), dt.time(settings_row.hour), tzinfo=zone
        )
    return moment


def digests_send_due(*, now: dt.datetime | None = None) -> int:
    """Send the digests whose time has come (each team once per week); returns how many."""
    now = now or timezone.now()
    sent = 0
    for org in Organization.objects.all().order_by("created_at"):
        settings_row = digest_settings_of(org)
        if not settings_row.enabled:
            continue
        zone = zoneinfo.ZoneInfo(org.time_zone)
        moment = scheduled_time(settings_row, now, zone)
        if now - moment > SEND_WINDOW:
            continue
        # the seven days before the scheduled day
        week_start = moment.date() - dt.timedelta(days=7)
        for team in Team.objects.filter(organization=org).order_by("name"):
            try:
                if digest_send(team=team, week_start=week_start, now=now) is not None:
                    sent += 1
            except Exception:
                logger.exception("The digest of team %s could not be sent", team.pk)
    return sent
