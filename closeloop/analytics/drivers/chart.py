"""The priority matrix as data for the browser: points, median cuts and translated labels.

drivers.js draws it with plotly; a dashboard widget passes the same dict to `json_script`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from closeloop.analytics.drivers.analysis import QUADRANT_LABELS, QUADRANTS

if TYPE_CHECKING:
    from closeloop.analytics.drivers.analysis import DriverAnalysis

QUADRANT_COLORS = {
    "fix_first": "#c0392b",
    "keep_up": "#1e7a5f",
    "monitor": "#b7791f",
    "lower_priority": "#6b7280",
}


def driver_chart_data(analysis: DriverAnalysis) -> dict[str, Any]:
    """Everything drivers.js needs to draw the matrix (x: performance 0-100, y: share of R²)."""
    points = [
        {
            "label": d.label,
            "x": round(d.performance, 1),
            "y": round(100 * d.share, 1),
            "quadrant": d.quadrant,
            "color": QUADRANT_COLORS.get(d.quadrant or "", "#6b7280"),
        }
        for d in analysis.drivers
        if d.performance is not None
    ]
    return {
        "points": points,
        "x_cut": analysis.performance_cut,
        "y_cut": None if analysis.importance_cut is None else 100 * analysis.importance_cut,
        "quadrants": {q: str(QUADRANT_LABELS[q]) for q in QUADRANTS},
        "x_title": _("Performance (0-100)"),
        "y_title": _("Importance (%(unit)s of what the model explains)") % {"unit": "%"},
        "title": _("Priority matrix for %(target)s") % {"target": analysis.target.label},
    }
