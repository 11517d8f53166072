"""The text app's part of GDPR export and erasure: a contact's comments.

Erasure keeps the comments (they count in themes and sentiment), detached from the contact and
with text naming them replaced by [removed]; they are enriched again from the scrubbed text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from closeloop.contacts import gdpr

if TYPE_CHECKING:
    from closeloop.contacts.models import Contact


@gdpr.exporter("comments")
def export_comments(contact: Contact) -> list[dict[str, Any]]:
    from closeloop.text.models import Comment

    rows = Comment.objects.filter(
        organization_id=contact.organization_id, contact_id=contact.pk
    ).order_by("answered_at")
    return [
        {
            "id": str(c.pk),
            "source": c.source,
            "response": str(c.response_id) if c.response_id else None,
            "text": c.text,
            "score": c.score,
            "language": c.language,
            "sentiment": c.sentiment,
            "themes": [link.theme.key for link in c.theme_links.select_related("theme")],
            "answered_at": c.answered_at.isoformat(),
        }
        for c in rows
    ]


@gdpr.eraser("comments")
def erase_comments(contact: Contact, terms: list[str]) -> None:
    from closeloop.text.models import Comment
    from closeloop.text.services import comments_enqueue_enrichment

    rows = list(
        Comment.objects.filter(organization_id=contact.organization_id, contact_id=contact.pk)
    )
    changed = []
    for comment in rows:
        comment.contact_id = None
        cleaned = gdpr.scrub(comment.text, terms)
        if cleaned != comment.text:
            comment.text = cleaned
            comment.tokens = ""
            comment.model_version = 0
            changed.append(comment.pk)
        comment.save(update_fields=["contact_id", "text", "tokens", "model_version", "updated_at"])
    comments_enqueue_enrichment(comment_ids=changed)
