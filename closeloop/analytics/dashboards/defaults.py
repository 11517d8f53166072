"""What the CX overview and each team's dashboard start with, chosen by what the team does.

A team is matched by its slug (the default teams) or by words in its name, so a team an org
creates itself ("Customer care", "Growth") still gets widgets that fit."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Spec(NamedTuple):
    """A widget to start with: its kind, settings and (optionally) a title."""

    kind: str
    config: dict[str, Any]
    title: str | Promise = ""


# Words in a feature request, in English, Korean and Thai (themes arrive with the text issue).
FEATURE_WORDS = [
    "feature", "please add", "would love", "wish", "could you add", "option to",
    "기능", "추가", "있으면", "했으면", "만들어",
    "อยากให้", "เพิ่ม", "ฟีเจอร์",
]  # fmt: skip

OVERVIEW: list[Spec] = [
    Spec("metric_card", {"metric": "nps"}),
    Spec("metric_card", {"metric": "csat"}),
    Spec("metric_card", {"metric": "ces"}),
    Spec("trend", {"metric": "nps", "interval": "week"}),
    Spec("breakdown", {"metric": "nps", "by": "touchpoint"}),
    Spec("verbatims", {"limit": 8}),
    Spec("case_metrics", {"team_only": False}),
]

PROFILES: dict[str, list[Spec]] = {
    # Support sees detractors and cases.
    "support": [
        Spec("metric_card", {"metric": "nps", "figure": "detractors"}),
        Spec("case_metrics", {"team_only": True}),
        Spec("trend", {"metric": "nps", "figure": "detractors", "interval": "week"}),
        Spec("verbatims", {"band": "detractors", "limit": 10}, _("What detractors say")),
        Spec("breakdown", {"metric": "nps", "by": "touchpoint"}),
    ],
    # Marketing sees promoters and praise.
    "marketing": [
        Spec("metric_card", {"metric": "nps", "figure": "promoters"}),
        Spec("metric_card", {"metric": "nps"}),
        Spec("trend", {"metric": "nps", "figure": "promoters", "interval": "week"}),
        Spec("verbatims", {"band": "promoters", "limit": 10}, _("Praise from promoters")),
        Spec("breakdown", {"metric": "nps", "by": "channel"}),
    ],
    # Product sees feature requests and what drives the score.
    "product": [
        Spec("verbatims", {"contains": FEATURE_WORDS, "limit": 10}, _("Feature requests")),
        Spec("metric_card", {"metric": "ces"}),
        Spec("metric_card", {"metric": "csat"}),
        Spec("drivers", {"target": "nps"}),
        Spec("distribution", {"metric": "nps"}),
    ],
    "general": [
        Spec("metric_card", {"metric": "nps"}),
        Spec("metric_card", {"metric": "csat"}),
        Spec("trend", {"metric": "nps", "interval": "week"}),
        Spec("breakdown", {"metric": "nps", "by": "touchpoint"}),
        Spec("verbatims", {"limit": 8}),
        Spec("case_metrics", {"team_only": True}),
    ],
}

_SLUGS = {
    "support": "support",
    "client-success": "support",
    "marketing": "marketing",
    "branding": "marketing",
    "sales": "marketing",
    "product": "product",
    "ui-design": "product",
    "tech": "product",
}
_WORDS = {
    "support": ("support", "care", "service", "help", "success", "고객지원", "상담", "ซัพพอร์ต"),
    "marketing": ("marketing", "brand", "growth", "sales", "마케팅", "การตลาด"),
    "product": ("product", "design", "tech", "engineering", "ux", "제품", "개발", "ผลิตภัณฑ์"),
}


def team_profile(*, slug: str, name: str) -> str:
    """Which set of widgets suits a team: support, marketing, product or general."""
    if slug in _SLUGS:
        return _SLUGS[slug]
    lowered = name.casefold()
    for profile, words in _WORDS.items():
        if any(word in lowered for word in words):
            return profile
    return "general"
