"""Writes of announcements: drafting and changing one, sending it (recipients frozen, then a
background task emails them in batches through the outbox, each once), and the open pixel."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.services import activity_record
from closeloop.initiatives.announcements.limits import (
    _frequency_block,
    contact_skip_reason,
    outer_loop_settings,
    recipient_languages,
    recipients_planned,
)
from closeloop.initiatives.announcements.texts import (
    clean_texts,
    clean_what_changed,
    default_text,
    render_message,
)
from closeloop.initiatives.choices import AnnouncementStatus, InitiativeStatus, RecipientStatus
from closeloop.initiatives.models import (
    Announcement,
    AnnouncementRecipient,
    Initiative,
    OuterLoopSettings,
)
from closeloop.initiatives.recipients import Recipient, initiative_recipients

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User
    from closeloop.contacts.models import Contact


RELATED_TYPE = "announcement"
BATCH_SIZE = 50
SENDABLE = (InitiativeStatus.SHIPPED, InitiativeStatus.MEASURED)


def _default_texts(initiative: Initiative, languages: list[str]) -> dict[str, dict[str, str]]:
    return {language: default_text(language) for language in languages}


def announcement_create(
    *,
    initiative: Initiative,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    texts: dict[str, Any] | None = None,
    what_changed: dict[str, Any] | None = None,
) -> Announcement:
    """A draft announcement of the initiative, worded for every language its recipients need
    (the built-in wording where none is given)."""
    if initiative.status == InitiativeStatus.DROPPED:
        raise DomainError(
            _("This initiative was dropped: there is nothing to announce."), field="initiative"
        )
    organization = initiative.organization
    planned = recipients_planned(initiative=initiative)
    languages = recipient_languages(planned, organization.default_language)
    given = clean_texts(texts)
    changed = clean_what_changed(what_changed)
    default_changed = (initiative.description or initiative.title).strip()
    all_texts = {**_default_texts(initiative, languages), **given}
    announcement = Announcement.objects.create(
        organization=organization,
        initiative=initiative,
        texts=all_texts,
        default_language=languages[0],
        what_changed={lang: changed.get(lang, default_changed) for lang in all_texts} | changed,
        created_by=actor,
    )
    activity_record(
        organization=organization, verb="announcement.created", actor=actor, api_key=api_key,
        target=announcement, data={"initiative": str(initiative.pk)},
    )  # fmt: skip
    return announcement


def announcement_update(
    *,
    announcement: Announcement,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    texts: dict[str, Any] | None = None,
    what_changed: dict[str, Any] | None = None,
) -> Announcement:
    """Change a draft's wording (per language; the languages not given stay as they are)."""
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.status != AnnouncementStatus.DRAFT:
            raise ConflictError(
                _("This announcement was already sent: it cannot be changed."), field="status"
            )
        if texts is not None:
            locked.texts = {**(locked.texts or {}), **clean_texts(texts)}
        if what_changed is not None:
            locked.what_changed = {
                **(locked.what_changed or {}),
                **clean_what_changed(what_changed),
            }
        locked.save(update_fields=["texts", "what_changed", "updated_at"])
        activity_record(
            organization=locked.organization, verb="announcement.updated", actor=actor,
            api_key=api_key, target=locked,
        )  # fmt: skip
    announcement.refresh_from_db()
    return announcement


def _contact_for_email(organization: Organization, recipient: Recipient) -> Contact:
    """The contact of a portal visitor who confirmed their email: found by email, else made
    (and linked to the visitor), so they can be told, unsubscribe and be erased like anyone."""
    from closeloop.contacts.models import Contact
    from closeloop.contacts.services import contact_create
    from closeloop.initiatives.models import PortalVisitor

    email = recipient.email.strip().lower()
    contact = Contact.objects.filter(organization=organization, email=email).first()
    if contact is None:
        parts = (recipient.name or "").split(" ", 1)
        data = {"email": email, "language": recipient.language, "first_name": parts[0][:120]}
        if len(parts) > 1:
            data["last_name"] = parts[1][:120]
        contact = contact_create(organization=organization, actor=None, data=data)
    if recipient.visitor_id:
        PortalVisitor.objects.filter(
            pk=recipient.visitor_id, organization=organization, contact__isnull=True
        ).update(contact=contact)
    return contact


def announcement_send(
    *, announcement: Announcement, actor: User | None = None, api_key: ApiKey | None = None
) -> Announcement:
    """Freeze the recipients and start sending in the background (draft -> sending); only for
    a shipped (or measured) initiative."""
    from closeloop.core.tasks import enqueue_on_commit
    from closeloop.initiatives.tasks import announcement_deliver

    with transaction.atomic():
        locked = (
            Announcement.objects.select_for_update()
            .select_related("initiative", "organization")
            .get(pk=announcement.pk)
        )
        if locked.status != AnnouncementStatus.DRAFT:
            raise ConflictError(_("This announcement is already sending or sent."), field="status")
        initiative = locked.initiative
        if initiative.status not in SENDABLE:
            raise DomainError(
                _("Announce an initiative once it has shipped: I-%(number)s is %(status)s.")
                % {"number": initiative.number, "status": initiative.get_status_display()},
                field="initiative",
                code="not-shipped",
            )
        organization = locked.organization
        rows = []
        for recipient in initiative_recipients(initiative):
            contact = recipient.contact
            if contact is None:
                contact = _contact_for_email(organization, recipient)
            rows.append(
                AnnouncementRecipient(
                    announcement=locked,
                    organization=organization,
                    contact=contact,
                    language=recipient.language,
                    reasons=recipient.reasons,
                )
            )
        AnnouncementRecipient.objects.bulk_create(rows, ignore_conflicts=True)
        total = AnnouncementRecipient.objects.filter(announcement=locked).count()
        now = timezone.now()
        Announcement.objects.filter(pk=locked.pk).update(
            status=AnnouncementStatus.SENDING,
            started_at=now,
            total=total,
            processed=0,
            updated_at=now,
        )
        enqueue_on_commit(announcement_deliver, str(locked.pk))
        activity_record(
            organization=organization, verb="announcement.sent", actor=actor, api_key=api_key,
            target=locked, data={"initiative": str(initiative.pk), "recipients": total},
        )  # fmt: skip
    announcement.refresh_from_db()
    return announcement


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unprocessed(announcement_id: Any) -> QuerySet[AnnouncementRecipient]:
    return AnnouncementRecipient.objects.filter(
        announcement_id=announcement_id, status=RecipientStatus.PENDING, sent_at__isnull=True
    )


def _skip(recipient_id: Any, code: str) -> bool:
    return (
        _unprocessed_one(recipient_id).update(
            status=RecipientStatus.SKIPPED, skip_reason=code, updated_at=timezone.now()
        )
        == 1
    )


def _unprocessed_one(recipient_id: Any) -> QuerySet[AnnouncementRecipient]:
    return AnnouncementRecipient.objects.filter(
        pk=recipient_id, status=RecipientStatus.PENDING, sent_at__isnull=True
    )


def _deliver_one(
    announcement: Announcement, row: OuterLoopSettings, recipient: AnnouncementRecipient
) -> None:
    """Skip the recipient with a reason, or claim them (conditional UPDATE) and queue their
    email in the outbox; a second run finds them claimed and does nothing."""
    from closeloop.contacts.services import list_unsubscribe_headers
    from closeloop.distribution.emails import from_address
    from closeloop.integrations.mailbox import ORG_HEADER
    from closeloop.integrations.notify import notify_email

    contact = recipient.contact
    now = timezone.now()
    skip = contact_skip_reason(contact, contact.email or "")
    if skip is None:
        skip = _frequency_block(row, contact.pk, announcement, now)
    if skip is not None:
        _skip(recipient.pk, skip)
        return
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        claimed = _unprocessed_one(recipient.pk).update(
            sent_at=now, open_token_hash=_hash(token), updated_at=now
        )
        if claimed != 1:
            return
        said = next((str(r.get("text")) for r in recipient.reasons or [] if r.get("text")), "")
        message = render_message(
            announcement=announcement,
            language=recipient.language or announcement.default_language,
            first_name=contact.first_name,
            what_they_said=said,
            email=contact.email or "",
            contact=contact,
            open_token=token,
        )
        headers = {
            ORG_HEADER: str(announcement.organization_id),
            **list_unsubscribe_headers(contact),
        }
        delivery = notify_email(
            organization=announcement.organization,
            to=[contact.email or ""],
            subject=message.subject,
            text=message.text,
            html=message.html,
            idempotency_key=f"announcement:{announcement.pk}:{contact.pk}",
            language=message.language,
            headers=headers,
            related_type=RELATED_TYPE,
            related_id=str(recipient.pk),
            from_email=from_address(announcement.organization),
        )
        AnnouncementRecipient.objects.filter(pk=recipient.pk).update(delivery=delivery)


def _processed(announcement_id: Any) -> int:
    return (
        AnnouncementRecipient.objects.filter(announcement_id=announcement_id)
        .exclude(status=RecipientStatus.PENDING, sent_at__isnull=True)
        .count()
    )


def announcement_deliver_batches(
    *, announcement_id: Any, batch_size: int = BATCH_SIZE
) -> Announcement | None:
    """Email the announcement's waiting recipients in batches, counting progress in
    processed/total; running it again sends nobody twice."""
    announcement = (
        Announcement.objects.select_related("organization", "initiative")
        .filter(pk=announcement_id)
        .first()
    )
    if announcement is None or announcement.status != AnnouncementStatus.SENDING:
        return announcement
    row = outer_loop_settings(organization=announcement.organization)
    while True:
        batch = list(_unprocessed(announcement.pk).select_related("contact")[:batch_size])
        if not batch:
            break
        for recipient in batch:
            _deliver_one(announcement, row, recipient)
        Announcement.objects.filter(pk=announcement.pk).update(
            processed=_processed(announcement.pk), updated_at=timezone.now()
        )
    now = timezone.now()
    Announcement.objects.filter(pk=announcement.pk, status=AnnouncementStatus.SENDING).update(
        status=AnnouncementStatus.SENT,
        processed=_processed(announcement.pk),
        finished_at=now,
        updated_at=now,
    )
    announcement.refresh_from_db()
    return announcement


def announcement_opened(*, token: str) -> bool:
    """The recipient's mail client loaded the open pixel: recorded once."""
    if not token or len(token) > 100:
        return False
    now = timezone.now()
    return (
        AnnouncementRecipient.objects.filter(
            open_token_hash=_hash(token),
            opened_at__isnull=True,
            status__in=(RecipientStatus.PENDING, RecipientStatus.SENT),
        ).update(opened_at=now, status=RecipientStatus.OPENED, updated_at=now)
        == 1
    )
