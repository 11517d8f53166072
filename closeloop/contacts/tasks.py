"""Background work for contacts: running an import."""

from __future__ import annotations

from django.tasks import task

from closeloop.contacts.importers import contact_import_run


@task
def run_contact_import(contact_import_id: str) -> None:
    """Run a queued contact import; running it again does nothing."""
    contact_import_run(contact_import_id=contact_import_id)
