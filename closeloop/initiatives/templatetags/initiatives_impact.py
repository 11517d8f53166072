"""Template tags of the impact panel and the loop-closure figures: the impact chart's plotly
figure, and the organization's loop figures for the CX overview (cached for a few minutes)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def impact_chart(impact: Any) -> dict[str, Any] | None:
    """The plotly figure of an initiative's impact (None when there is nothing to draw)."""
    from closeloop.initiatives.impact import InitiativeImpact
    from closeloop.initiatives.impact_chart import impact_figure

    if not isinstance(impact, InitiativeImpact):
        return None
    return impact_figure(impact)


@register.simple_tag
def loop_figures_for(organization: Any) -> Any:
    """The organization's loop-closure figures (None without an organization)."""
    if organization is None:
        return None
    from closeloop.initiatives.loop_figures import loop_figures_cached

    return loop_figures_cached(organization=organization)


@register.filter
def theme_name(theme: Any, language: str | None = None) -> str:
    """A theme's name in the language (else English, else any)."""
    name_in = getattr(theme, "name_in", None)
    return str(name_in(language or "en")) if callable(name_in) else str(theme)
