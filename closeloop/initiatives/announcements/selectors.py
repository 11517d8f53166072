"""Reads of announcements: access, the list, how the recipients fared, who was told, and the
NPS they gave before and after being told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from closeloop.initiatives.choices import RecipientStatus
from closeloop.initiatives.models import Announcement, AnnouncementRecipient, Initiative

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.analytics.metrics.stats import Comparison


def access_announcement(*, organization: Organization, pk: Any) -> Announcement:
    """One of the organization's announcements, or 404."""
    from closeloop.accounts.access import access_object

    return access_object(
        Announcement.objects.select_related("initiative", "created_by"),
        organization=organization,
        pk=pk,
    )


def announcement_list(
    *, organization: Organization, initiative: Initiative | None = None
) -> QuerySet[Announcement]:
    """The organization's announcements, newest first, with their recipients counted."""
    rows = Announcement.objects.filter(organization=organization).select_related("initiative")
    if initiative is not None:
        rows = rows.filter(initiative=initiative)
    return rows.annotate(
        n_recipients=Count("recipients"),
        n_sent=Count(
            "recipients",
            filter=Q(recipients__status__in=(RecipientStatus.SENT, RecipientStatus.OPENED)),
        ),
        n_opened=Count("recipients", filter=Q(recipients__status=RecipientStatus.OPENED)),
        n_skipped=Count("recipients", filter=Q(recipients__status=RecipientStatus.SKIPPED)),
    ).order_by("-created_at")


@dataclass(frozen=True)
class Counts:
    """How the announcement's recipients fared."""

    total: int
    pending: int
    sent: int  # delivered (opened ones included)
    opened: int
    skipped: int
    failed: int
    processed: int

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100

    @property
    def open_rate(self) -> int | None:
        return round(100 * self.opened / self.sent) if self.sent else None


def announcement_counts(announcement: Announcement) -> Counts:
    """Recipients per status, and how many the sending task has handled."""
    by_status = dict(
        AnnouncementRecipient.objects.filter(announcement=announcement)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    opened = by_status.get(RecipientStatus.OPENED, 0)
    total = sum(by_status.values())
    return Counts(
        total=total,
        pending=by_status.get(RecipientStatus.PENDING, 0),
        sent=by_status.get(RecipientStatus.SENT, 0) + opened,
        opened=opened,
        skipped=by_status.get(RecipientStatus.SKIPPED, 0),
        failed=by_status.get(RecipientStatus.FAILED, 0),
        processed=min(announcement.processed, announcement.total) if announcement.total else 0,
    )


def announcement_recipients(
    *, announcement: Announcement, status: str | None = None
) -> QuerySet[AnnouncementRecipient]:
    """The frozen recipients of a sent announcement, optionally of one status."""
    rows = AnnouncementRecipient.objects.filter(announcement=announcement).select_related(
        "contact", "delivery"
    )
    if status == RecipientStatus.SENT:
        rows = rows.filter(status__in=(RecipientStatus.SENT, RecipientStatus.OPENED))
    elif status:
        rows = rows.filter(status=status)
    return rows.order_by("created_at", "pk")


def told_contacts(organization: Organization) -> QuerySet[AnnouncementRecipient]:
    """Everyone the organization told about an initiative: contact, when, which announcement."""
    return (
        AnnouncementRecipient.objects.filter(
            organization=organization,
            sent_at__isnull=False,
            status__in=(RecipientStatus.SENT, RecipientStatus.OPENED),
        )
        .select_related("announcement__initiative")
        .order_by("-sent_at")
    )


def response_told(response: Any) -> AnnouncementRecipient | None:
    """The latest announcement its contact was sent before answering, or None."""
    contact_id = getattr(response, "contact_id", None)
    if not contact_id:
        return None
    answered = response.completed_at or response.started_at
    rows = told_contacts(response.organization).filter(contact_id=contact_id)
    if answered is not None:
        rows = rows.filter(sent_at__lte=answered)
    return rows.first()


def told_nps_change(announcement: Announcement) -> Comparison:
    """The NPS its recipients gave before being told against after (response level), within
    the initiative's impact windows: n, margins and the difference from the metric engine."""
    from closeloop.analytics.metrics.stats import compare, nps_category, nps_estimate
    from closeloop.responses.models import AnswerFact

    initiative = announcement.initiative
    told = dict(
        AnnouncementRecipient.objects.filter(
            announcement=announcement,
            sent_at__isnull=False,
            status__in=(RecipientStatus.SENT, RecipientStatus.OPENED),
        ).values_list("contact_id", "sent_at")
    )
    before = {"promoter": 0, "passive": 0, "detractor": 0}
    after = dict(before)
    ids = list(told)
    for start in range(0, len(ids), 500):
        facts = AnswerFact.objects.filter(
            organization_id=announcement.organization_id,
            question_type="nps",
            number__isnull=False,
            response__contact_id__in=ids[start : start + 500],
        ).values_list("response__contact_id", "number", "answered_at")
        for contact_id, number, answered_at in facts:
            sent_at = told.get(contact_id) if contact_id is not None else None
            if sent_at is None or number is None:
                continue
            if sent_at - timedelta(days=initiative.before_days) <= answered_at < sent_at:
                before[nps_category(number)] += 1
            elif sent_at <= answered_at < sent_at + timedelta(days=initiative.after_days):
                after[nps_category(number)] += 1

    def estimate(c: dict[str, int]) -> Any:
        return nps_estimate(
            promoters=c["promoter"], passives=c["passive"], detractors=c["detractor"]
        )

    return compare(estimate(after), estimate(before))


def announcement_status_cli(*, announcement_id: str) -> int:
    """`closeloop announcements status <id>`: progress and recipients per status."""
    import sys
    import uuid

    try:
        announcement = Announcement.objects.select_related("initiative").get(
            pk=uuid.UUID(announcement_id)
        )
    except (ValueError, Announcement.DoesNotExist):
        print(f"closeloop: no announcement with the id {announcement_id!r}", file=sys.stderr)
        return 1
    counts = announcement_counts(announcement)
    print(
        f"I-{announcement.initiative.number} {announcement.initiative.title}: "
        f"{announcement.status}: {counts.processed}/{announcement.total}"
    )
    print(
        f"delivered {counts.sent}, opened {counts.opened}, not sent {counts.skipped}, "
        f"failed {counts.failed}, waiting {counts.pending}"
    )
    return 0
