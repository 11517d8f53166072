"""Comment writes as the explorer and the API take them, on top of the engine's services: a
correction (the sentiment and the full set of themes in one go, passed on only where they change
something) and an import naming its contact by id or by email."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError
from closeloop.text.choices import ThemeStatus
from closeloop.text.models import Comment, Theme
from closeloop.text.services import comment_create, comment_set_sentiment, comment_set_themes

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User


@transaction.atomic
def comment_import(
    *,
    organization: Organization,
    text: str,
    score: float | None = None,
    language: str = "",
    source: str = "api",
    source_ref: str = "",
    answered_at: dt.datetime | None = None,
    contact_id: uuid.UUID | None = None,
    email: str | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Comment:
    """Import one comment (its enrichment runs in the background, as for survey answers); the
    contact by id (the organization's, else "contact" is at fault) or by email (created when
    unknown)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from closeloop.contacts.models import Contact
    from closeloop.contacts.services import contact_create

    if contact_id is not None:
        if not Contact.objects.filter(organization=organization, pk=contact_id).exists():
            raise DomainError(
                _("No contact of your organization has this id."), field="contact", code="contact"
            )
    elif email:
        address = email.strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            raise DomainError(
                _("Give a valid email address."), field="email", code="email"
            ) from None
        contact = Contact.objects.filter(organization=organization, email=address).first()
        if contact is None:
            contact = contact_create(
                organization=organization, actor=actor, api_key=api_key, data={"email": address}
            )
        contact_id = contact.pk
    return comment_create(
        organization=organization,
        text=text,
        score=score,
        language=language,
        source=source,
        source_ref=source_ref,
        answered_at=answered_at,
        contact_id=contact_id,
        actor=actor,
        api_key=api_key,
    )


def comment_correct(
    *,
    comment: Comment,
    sentiment: str | None = None,
    theme_ids: Sequence[uuid.UUID] | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> bool:
    """Set a comment's sentiment and/or its themes (None leaves it as it is); True when the
    comment changed. Themes must be the organization's active themes (404-free: an unknown id
    is a DomainError on "themes")."""
    changed = False
    with transaction.atomic():
        if sentiment is not None and sentiment != comment.sentiment:
            comment = comment_set_sentiment(
                comment=comment, sentiment=sentiment, actor=actor, api_key=api_key
            )
            changed = True
        if theme_ids is not None:
            wanted = list(dict.fromkeys(theme_ids))
            themes = list(
                Theme.objects.filter(
                    organization_id=comment.organization_id,
                    pk__in=wanted,
                    status=ThemeStatus.ACTIVE,
                )
            )
            if len(themes) != len(wanted):
                raise DomainError(
                    _("Choose active themes of your organization."), field="themes", code="theme"
                )
            current = set(comment.theme_links.values_list("theme_id", flat=True))
            if current != {t.pk for t in themes}:
                comment_set_themes(comment=comment, themes=themes, actor=actor, api_key=api_key)
                changed = True
    return changed
