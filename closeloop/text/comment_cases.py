"""A case opened from a comment in the verbatim explorer: the comment's response and contact go
with it, so the agent sees the customer and what they wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from closeloop.text.models import Comment

if TYPE_CHECKING:
    from closeloop.accounts.models import Team, User
    from closeloop.cases.models import Case


@transaction.atomic
def comment_case_create(
    *, comment: Comment, title: str, team: Team | None, priority: str, actor: User
) -> Case:
    """Open a case about a comment (its response and contact attached, the comment as the
    case's first note)."""
    from closeloop.cases.services import case_add_note, case_create
    from closeloop.contacts.models import Contact

    contact = None
    if comment.contact_id is not None:
        contact = Contact.objects.filter(
            organization=comment.organization, pk=comment.contact_id, erased_at__isnull=True
        ).first()
    case = case_create(
        organization=comment.organization,
        title=title,
        team=team,
        priority=priority,
        response=comment.response,
        contact=contact,
        actor=actor,
        tags=["comment"],
    )
    # The comment's words on the timeline (an imported comment has no response to open).
    case_add_note(case=case, body=comment.text[:5000], actor=actor)
    return case
