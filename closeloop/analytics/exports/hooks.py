"""Exports joined to the rest of the product: the GDPR erase registry (an erased contact's
answers leave the finished export files) and the deletion of an export's file with its row
(a survey deleted, an organization deleted). Connected from AnalyticsConfig.ready()."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models.signals import post_delete

from closeloop.analytics.models import Export
from closeloop.contacts import gdpr

if TYPE_CHECKING:
    from closeloop.contacts.models import Contact

ERASER_NAME = "analytics_exports"


def erase_exports(contact: Contact, terms: list[str]) -> None:
    """Expire (and delete the files of) the response exports that could hold the contact."""
    from closeloop.analytics.exports.services import exports_forget_contact

    exports_forget_contact(contact=contact)


def _export_deleted(sender: type[Export], instance: Export, **kwargs: Any) -> None:
    from closeloop.analytics.exports.services import export_file_discard

    export_file_discard(export=instance)


def connect() -> None:
    """Join the GDPR erase registry and delete an export's file when its row is deleted."""
    # First: the built-in "responses" eraser detaches the contact's responses, after which the
    # surveys they answered can no longer be found.
    gdpr.eraser(ERASER_NAME, first=True)(erase_exports)
    post_delete.connect(_export_deleted, sender=Export, dispatch_uid="analytics.export_file")
