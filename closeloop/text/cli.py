"""`closeloop text reenrich`: enrich every comment again (after an upgrade, or to apply changed
themes at once), with progress in the terminal.

Called by closeloop/cli.py once Django is set up; prints and returns an exit code.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from closeloop.accounts.models import Organization


def _progress() -> Callable[[int, int], None]:
    """A progress printer: one line per percent done."""
    last = [-1]

    def show(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent != last[0] or done == total:
            print(f"  {done}/{total} comments ({percent}%)", flush=True)
            last[0] = percent

    return show


def text_reenrich_command(org_slug: str | None) -> int:
    """Create missing comments, raise the text-model version and enrich every comment again."""
    from closeloop.text.enrichment import reenrich_run
    from closeloop.text.services import comments_backfill, text_version_bump

    orgs = Organization.objects.order_by("slug")
    if org_slug:
        orgs = orgs.filter(slug=org_slug)
        if not orgs.exists():
            print(f"closeloop: no organization with the slug {org_slug!r}", file=sys.stderr)
            return 1
    for org in orgs:
        started = time.monotonic()
        print(f"Enriching the comments of {org.slug} again", flush=True)
        created = comments_backfill(organization=org)
        if created:
            print(f"  {created} comments created from stored open answers", flush=True)
        version = text_version_bump(organization=org, reason="closeloop text reenrich")
        print(f"  text model version {version.number}", flush=True)
        done = reenrich_run(organization=org, progress=_progress())
        print(f"  {done} comments enriched in {time.monotonic() - started:.1f}s", flush=True)
    return 0
