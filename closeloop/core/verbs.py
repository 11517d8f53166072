"""Readable, translatable labels for activity verbs. Each app registers its own verbs here."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VERB_LABELS: dict[str, str | Promise] = {
    "organization.created": _("created the organization"),
    "organization.updated": _("changed the organization's settings"),
    "member.added": _("added a member"),
    "member.joined": _("joined"),
    "member.removed": _("removed a member"),
    "member.role_changed": _("changed a member's role"),
    "member.teams_changed": _("changed a member's teams"),
    "invitation.created": _("invited someone"),
    "invitation.revoked": _("revoked an invitation"),
    "team.created": _("created a team"),
    "team.updated": _("changed a team"),
    "team.deleted": _("deleted a team"),
    "team.members_changed": _("changed a team's members"),
    "api_key.created": _("created an API key"),
    "api_key.revoked": _("revoked an API key"),
    "survey.created": _("created a survey"),
    "survey.imported": _("imported a survey"),
    "survey.definition_updated": _("edited a survey"),
    "survey.draft_created": _("started a new draft"),
    "survey.draft_discarded": _("discarded a draft"),
    "survey.published": _("published a survey"),
    "survey.closed": _("closed a survey"),
    "survey.reopened": _("reopened a survey"),
    "survey.settings_updated": _("changed a survey's settings"),
    "response.created": _("added a response"),
}


def register_verbs(labels: dict[str, str | Promise]) -> None:
    """Let an app add labels for the verbs its services record."""
    VERB_LABELS.update(labels)


def verb_label(verb: str) -> str:
    label = VERB_LABELS.get(verb)
    return str(label) if label is not None else verb
