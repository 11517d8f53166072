"""Background work for exports: building a file, and deleting the files of expired exports."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from closeloop.core.periodic import periodic


@task
def run_export(export_id: str) -> None:
    """Build a queued export's file; running it again does nothing."""
    from closeloop.analytics.exports.services import export_run

    export_run(export_id=export_id)


@periodic(every=timedelta(hours=1), name="analytics.exports_expire")
@task
def expire_exports() -> int:
    """Delete the files of exports past their expiry date."""
    from closeloop.analytics.exports.services import exports_expire

    return exports_expire()
