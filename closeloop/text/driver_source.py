"""Themes as key-driver inputs: one yes/no column per active theme ("mentions delivery").

A response counts as mentioning a theme when one of its enriched comments is linked to it, and
as not mentioning it when it has enriched comments but none about the theme; responses without
an open answer are left out of the theme's column (their coverage shows on the drivers page).
Registered with analytics' `register_driver_source` when this module is imported (text's
AppConfig.ready imports it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.utils.translation import gettext as _

from closeloop.analytics.drivers import DriverColumn, DriverSourceContext, register_driver_source
from closeloop.text.choices import ThemeStatus
from closeloop.text.models import Comment, CommentTheme, Theme

SOURCE = "text"
KEY_PREFIX = "theme:"


def theme_driver_columns(context: DriverSourceContext) -> Iterable[DriverColumn]:
    """A yes/no column per active theme that at least one of the responses mentions."""
    themes = {
        t.pk: t
        for t in Theme.objects.filter(organization=context.organization, status=ThemeStatus.ACTIVE)
    }
    if not themes:
        return []
    commented: set[uuid.UUID] = set(
        Comment.objects.filter(
            organization=context.organization,
            response__in=context.responses.values("pk"),
            enriched_at__isnull=False,
        ).values_list("response_id", flat=True)
    )
    if not commented:
        return []
    mentions: dict[uuid.UUID, set[uuid.UUID]] = {}
    links = CommentTheme.objects.filter(
        theme_id__in=list(themes),
        comment__organization=context.organization,
        comment__response__in=context.responses.values("pk"),
    ).values_list("theme_id", "comment__response_id")
    for theme_id, response_id in links:
        if response_id is not None:
            mentions.setdefault(theme_id, set()).add(response_id)
    columns: list[DriverColumn] = []
    for theme_id, responses in sorted(mentions.items(), key=lambda item: themes[item[0]].key):
        theme = themes[theme_id]
        values: dict[uuid.UUID, float | str] = {
            rid: (1.0 if rid in responses else 0.0) for rid in commented
        }
        columns.append(
            DriverColumn(
                key=f"{KEY_PREFIX}{theme.key}",
                label=_("Mentions %(theme)s") % {"theme": theme.name_in(context.language)},
                kind="yes_no",
                values=values,
                levels={"1": _("Yes"), "0": _("No")},
                source=SOURCE,
            )
        )
    return columns


register_driver_source(theme_driver_columns)
