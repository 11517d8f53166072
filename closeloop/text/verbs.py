"""Labels of the activity verbs the text app records."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VERBS: dict[str, str | Promise] = {
    "comment.created": _("added a comment"),
    "comment.imported": _("imported comments"),
    "comment.sentiment_corrected": _("corrected a comment's sentiment"),
    "comment.themes_corrected": _("corrected a comment's themes"),
    "theme.created": _("created a theme"),
    "theme.updated": _("changed a theme"),
    "theme.proposed": _("proposed a theme"),
    "theme.accepted": _("accepted a proposed theme"),
    "theme.restored": _("restored a theme"),
    "theme.rejected": _("rejected a theme"),
    "theme.merged": _("merged a theme"),
}
