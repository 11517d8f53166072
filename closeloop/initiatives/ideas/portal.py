"""What every write of the idea portal shares: the activity verbs (registered here), the error
naming the field at fault, the portal's language, who may take part, and the portal's
settings."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.accounts.models import User
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs
from closeloop.initiatives.choices import PortalVisibility
from closeloop.initiatives.ideas.selectors import PORTAL_LANGUAGES, visitor_is_member
from closeloop.initiatives.models import IdeaPortal, PortalVisitor

register_verbs(
    {
        "idea_portal.updated": gettext_lazy("changed the idea portal's settings"),
        "idea.created": gettext_lazy("added an idea"),
        "idea.updated": gettext_lazy("changed an idea"),
        "idea.status_changed": gettext_lazy("changed an idea's status"),
        "idea.merged": gettext_lazy("merged a duplicate idea"),
        "idea.comment_moderated": gettext_lazy("moderated a comment on an idea"),
        "idea.commented": gettext_lazy("replied to an idea"),
        "idea.vote_added": gettext_lazy("added a vote to an idea"),
        "idea.vote_removed": gettext_lazy("removed a vote from an idea"),
        "portal_visitor.blocked": gettext_lazy("blocked a portal visitor"),
        "portal_visitor.unblocked": gettext_lazy("unblocked a portal visitor"),
    }
)


class PortalError(DomainError):
    """A portal request with a field at fault."""

    status = 400


def _language(language: str | None, portal: IdeaPortal) -> str:
    if language in PORTAL_LANGUAGES:
        return str(language)
    return portal.default_language if portal.default_language in PORTAL_LANGUAGES else "en"


def _check_may_write(portal: IdeaPortal, visitor: PortalVisitor) -> None:
    if visitor.blocked_at is not None:
        raise PortalError(
            _("This email address may no longer take part on this portal."), field="email"
        )
    if portal.visibility == PortalVisibility.MEMBERS and not visitor_is_member(visitor):
        raise PortalError(
            _("This portal is for customers only, and this address is not on our list."),
            field="email",
        )


# --- portal settings ---------------------------------------------------------------------------


PORTAL_FIELDS = (
    "enabled",
    "visibility",
    "title",
    "intro",
    "default_language",
    "accent_color",
    "logo_url",
    "moderate_ideas",
    "moderate_comments",
    "ideas_per_day",
    "votes_per_day",
    "comments_per_day",
)


def portal_update(*, portal: IdeaPortal, actor: User | None, **values: Any) -> IdeaPortal:
    """Change the portal's settings (only the fields given)."""
    changed = []
    for name, value in values.items():
        if name not in PORTAL_FIELDS:
            raise PortalError(_("Unknown setting."), field=name)
        if getattr(portal, name) != value:
            setattr(portal, name, value)
            changed.append(name)
    if changed:
        portal.full_clean(exclude=["organization"])
        portal.save(update_fields=[*changed, "updated_at"])
        activity_record(
            organization=portal.organization, verb="idea_portal.updated", actor=actor,
            target=portal, data={"fields": changed},
        )  # fmt: skip
    return portal
