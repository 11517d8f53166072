"""The impact chart: a plotly figure ({data, layout}) of the primary figure week by week, with
error bars, both windows shaded and a dashed line at the ship date. The page passes it through
`json_script`; the dashboards' static script (analytics/dashboards.js) draws it like any widget,
with plotly.js served from our own origin."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from closeloop.initiatives.impact import InitiativeImpact


def impact_figure(impact: InitiativeImpact) -> dict[str, Any] | None:
    """The plotly figure ({data, layout}) of the primary figure week by week, with error bars,
    the two windows shaded and a vertical line at the ship date; drawn by the dashboards'
    static script (analytics/dashboards.js) like any widget."""
    if impact.shipped_on is None or impact.before_window is None or impact.after_window is None:
        return None
    points = impact.share_weekly if impact.primary == "theme_share" else impact.weekly
    if not points:
        return None
    kind = "theme_share" if impact.primary == "theme_share" else impact.metric
    name = _("Theme share of comments (%)") if kind == "theme_share" else impact.metric_label
    hover_n = _("n")
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": [p.week.isoformat() for p in points],
        "y": [p.value for p in points],
        "customdata": [[p.n, p.margin] for p in points],
        "error_y": {
            "type": "data",
            "array": [p.margin if p.margin is not None else 0 for p in points],
            "visible": True,
            "color": "#7a8794",
        },
        "line": {"color": "#3a6ea5"},
        "connectgaps": False,
        "hovertemplate": "%{x|%Y-%m-%d}: %{y:.1f} ±%{customdata[1]:.1f} · "
        + hover_n
        + " = %{customdata[0]}<extra></extra>",
    }
    before, after = impact.before_window, impact.after_window
    ship = impact.shipped_on.isoformat()
    # Weekly points sit on Mondays: pad the x range so both windows show whole.
    x_start = min(before.start, points[0].week).isoformat()
    x_end = (max(after.end, points[-1].week) + dt.timedelta(days=3)).isoformat()
    after_end = (after.end + dt.timedelta(days=1)).isoformat()
    shapes = [
        {
            "type": "rect", "xref": "x", "yref": "paper", "layer": "below", "line": {"width": 0},
            "x0": before.start.isoformat(), "x1": ship, "y0": 0, "y1": 1,
            "fillcolor": "rgba(179, 38, 30, 0.07)",
        },
        {
            "type": "rect", "xref": "x", "yref": "paper", "layer": "below", "line": {"width": 0},
            "x0": ship, "x1": after_end, "y0": 0, "y1": 1,
            "fillcolor": "rgba(27, 127, 91, 0.09)",
        },
        {
            "type": "line", "xref": "x", "yref": "paper", "x0": ship, "x1": ship, "y0": 0,
            "y1": 1, "line": {"color": "#1d2733", "width": 2, "dash": "dash"},
        },
    ]  # fmt: skip
    annotations = [
        {
            "x": ship, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom",
            "showarrow": False, "text": _("Shipped %(day)s") % {"day": ship},
            "font": {"size": 12},
        },
        {
            "x": before.start.isoformat(), "y": 0.98, "xref": "x", "yref": "paper",
            "xanchor": "left", "yanchor": "top", "showarrow": False, "text": _("Before"),
            "font": {"size": 11, "color": "#8a2b25"},
        },
        {
            "x": ship, "y": 0.98, "xref": "x", "yref": "paper", "xanchor": "left",
            "yanchor": "top", "showarrow": False, "text": " " + _("After"),
            "font": {"size": 11, "color": "#1b7f5b"},
        },
    ]  # fmt: skip
    y_title = {"nps": _("NPS"), "csat": _("CSAT (%)"), "ces": _("CES (1-7)")}.get(
        kind, _("Share of comments (%)")
    )
    layout = {
        "margin": {"l": 56, "r": 16, "t": 32, "b": 40},
        "height": 320,
        "showlegend": False,
        "xaxis": {"type": "date", "range": [x_start, x_end]},
        "yaxis": {"title": {"text": y_title}, "zeroline": True},
        "shapes": shapes,
        "annotations": annotations,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    return {"data": [trace], "layout": layout}
