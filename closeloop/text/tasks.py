"""Background tasks of the text app: each takes ids, loads, and calls one service."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.tasks import task

from closeloop.core.periodic import periodic
from closeloop.core.tasks import enqueue_on_commit, retrying

logger = logging.getLogger("closeloop.text")

# Comments one re-enrichment task handles before it queues the next (the worker stays free).
REENRICH_CHUNK = 2000


@retrying(max_attempts=5, base_delay=30, max_delay=1800)
@task
def text_comments_for_response(response_id: str) -> int:
    """Create the comments of a completed response and enqueue their enrichment."""
    from closeloop.responses.models import Response
    from closeloop.text.services import comments_enqueue_enrichment, comments_from_response

    response = Response.objects.select_related("version").filter(pk=response_id).first()
    if response is None:
        return 0
    comments = comments_from_response(response=response)
    return comments_enqueue_enrichment(comment_ids=[c.pk for c in comments if c.model_version == 0])


@retrying(max_attempts=5, base_delay=30, max_delay=1800)
@task
def text_enrich_comments(comment_ids: list[str]) -> int:
    """Enrich a batch of comments (language, tokens, sentiment, themes)."""
    from closeloop.text.enrichment import comments_enrich

    return comments_enrich(comment_ids=comment_ids)


@retrying(max_attempts=5, base_delay=30, max_delay=1800)
@task
def text_reenrich(organization_id: str) -> int:
    """Enrich again an organization's comments after a version bump, a chunk per run."""
    from closeloop.accounts.models import Organization
    from closeloop.text.enrichment import reenrich_run
    from closeloop.text.models import Comment
    from closeloop.text.services import text_version_get

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    done = reenrich_run(organization=organization, limit=REENRICH_CHUNK)
    version = text_version_get(organization=organization)
    if Comment.objects.filter(organization=organization, model_version__lt=version.number).exists():
        enqueue_on_commit(text_reenrich, organization_id)
    return done


@periodic(every=timedelta(days=1), name="text.upkeep")
@task
def text_upkeep_all() -> int:
    """Nightly: new sentiment models, theme proposals and re-enrichment where due."""
    from closeloop.accounts.models import Organization
    from closeloop.text.models import Comment
    from closeloop.text.upkeep import text_upkeep

    organizations = Organization.objects.filter(
        pk__in=Comment.objects.values("organization_id")
    ).order_by("slug")
    count = 0
    for organization in organizations:
        try:
            text_upkeep(organization=organization)
            count += 1
        except Exception:  # one organization's failure must not stop the others
            logger.exception("Text upkeep failed for %s", organization.slug)
    return count
