"""Announcements: telling the customers who raised a problem that it was fixed (services and
selectors).

A composer writes the message per language (subject and body; the body may use
{{ first_name }}, {{ what_they_said }} and {{ what_changed }}), previews one recipient's copy,
and sends it once the initiative has shipped. Sending freezes the recipients (one
AnnouncementRecipient each) and a background task emails them in batches through the outbox,
each in their own language, with an unsubscribe link and an open pixel. Recipients who may not
be emailed (unsubscribed, erased, no email) or who heard from another announcement too
recently (the organization's announcement frequency rules, counted apart from survey
invitations) are skipped with the reason. The outbox checks consent again right before each
email leaves, and its delivery hook turns the recipient to sent or failed.

The modules: `texts` (the wording and rendering one recipient's copy), `limits` (who may be
told and the frequency rules), `selectors` (reads and figures) and `services` (drafting,
sending, the open pixel). Everything is importable from this package, which registers the
activity verbs of announcements.
"""

from django.utils.translation import gettext_lazy

from closeloop.core.verbs import register_verbs
from closeloop.initiatives.announcements.limits import (
    SKIP_ERASED,
    SKIP_MONTHLY,
    SKIP_NO_EMAIL,
    SKIP_TOO_SOON,
    SKIP_UNSUBSCRIBED,
    PlannedRecipient,
    access_recipient,
    contact_skip_reason,
    outer_loop_settings,
    outer_loop_settings_update,
    recipient_languages,
    recipients_planned,
    skip_reason_text,
)
from closeloop.initiatives.announcements.selectors import (
    Counts,
    access_announcement,
    announcement_counts,
    announcement_list,
    announcement_recipients,
    announcement_status_cli,
    response_told,
    told_contacts,
    told_nps_change,
)
from closeloop.initiatives.announcements.services import (
    BATCH_SIZE,
    RELATED_TYPE,
    SENDABLE,
    announcement_create,
    announcement_deliver_batches,
    announcement_opened,
    announcement_send,
    announcement_update,
)
from closeloop.initiatives.announcements.texts import (
    BODY_MAX,
    DEFAULT_TEXTS,
    NAME_FALLBACK,
    PLACEHOLDERS,
    SUBJECT_MAX,
    TEXT_FIELDS,
    Rendered,
    announcement_preview,
    clean_texts,
    clean_what_changed,
    default_text,
    fill,
    render_message,
)

__all__ = [
    "BATCH_SIZE",
    "BODY_MAX",
    "DEFAULT_TEXTS",
    "NAME_FALLBACK",
    "PLACEHOLDERS",
    "RELATED_TYPE",
    "SENDABLE",
    "SKIP_ERASED",
    "SKIP_MONTHLY",
    "SKIP_NO_EMAIL",
    "SKIP_TOO_SOON",
    "SKIP_UNSUBSCRIBED",
    "SUBJECT_MAX",
    "TEXT_FIELDS",
    "Counts",
    "PlannedRecipient",
    "Rendered",
    "access_announcement",
    "access_recipient",
    "announcement_counts",
    "announcement_create",
    "announcement_deliver_batches",
    "announcement_list",
    "announcement_opened",
    "announcement_preview",
    "announcement_recipients",
    "announcement_send",
    "announcement_status_cli",
    "announcement_update",
    "clean_texts",
    "clean_what_changed",
    "contact_skip_reason",
    "default_text",
    "fill",
    "outer_loop_settings",
    "outer_loop_settings_update",
    "recipient_languages",
    "recipients_planned",
    "render_message",
    "response_told",
    "skip_reason_text",
    "told_contacts",
    "told_nps_change",
]

register_verbs(
    {
        "announcement.created": gettext_lazy("wrote an announcement"),
        "announcement.updated": gettext_lazy("changed an announcement"),
        "announcement.sent": gettext_lazy("sent an announcement"),
        "announcement_settings.updated": gettext_lazy("changed the announcement limits"),
    }
)
