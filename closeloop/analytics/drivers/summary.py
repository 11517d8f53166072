"""The plain-language summary of a key-driver analysis, in the active language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from closeloop.analytics.drivers.dataset import MAX_ROWS

if TYPE_CHECKING:
    from closeloop.analytics.drivers.analysis import DriverAnalysis

# Below this R² most of what moves the target is not in the model; the summary says so.
LOW_R_SQUARED = 0.2
# "Next to fix" names only drivers with at least this share of what the model explains: the
# median cut puts half of the drivers on the important side even when they barely matter.
NOTABLE_SHARE = 0.10


def _pct(value: float) -> int:
    return round(100 * value)


def summary_sentences(analysis: DriverAnalysis) -> list[str]:
    """A few sentences: the top driver and what to do about it, the next ones to fix, and the
    sample size and R² behind them."""
    drivers = analysis.drivers
    if not drivers or analysis.r_squared is None:
        return []
    target = analysis.target.label
    top = drivers[0]
    placed = [d for d in drivers if d.performance is not None]
    lowest = min(placed, key=lambda d: (d.performance or 0.0, -d.weight)) if placed else None
    values = {"driver": top.label, "target": target, "share": _pct(top.share)}
    if top.quadrant == "fix_first" and lowest is top:
        first = _(
            "%(driver)s explains the most of %(target)s (%(share)d%% of what the model "
            "explains) and scores lowest: fix it first."
        )
    elif top.quadrant == "fix_first":
        first = _(
            "%(driver)s explains the most of %(target)s (%(share)d%% of what the model "
            "explains) and scores below most other drivers: fix it first."
        )
    elif top.quadrant == "keep_up":
        first = _(
            "%(driver)s explains the most of %(target)s (%(share)d%% of what the model "
            "explains) and scores well: keep it up."
        )
    else:
        first = _(
            "%(driver)s explains the most of %(target)s (%(share)d%% of what the model explains)."
        )
    sentences = [first % values]
    fix = [
        d
        for d in drivers
        if d.quadrant == "fix_first" and d is not top and d.share >= NOTABLE_SHARE
    ][:2]
    if len(fix) == 1:
        sentences.append(
            _("Next to fix: %(driver)s (%(share)d%%).")
            % {"driver": fix[0].label, "share": _pct(fix[0].share)}
        )
    elif len(fix) == 2:
        sentences.append(
            _("Next to fix: %(first)s (%(first_share)d%%) and %(second)s (%(second_share)d%%).")
            % {
                "first": fix[0].label,
                "first_share": _pct(fix[0].share),
                "second": fix[1].label,
                "second_share": _pct(fix[1].share),
            }
        )
    sentences.append(
        ngettext(
            "Based on %(n)d response; the drivers together explain %(r2)d%% of the variation "
            "in %(target)s.",
            "Based on %(n)d responses; the drivers together explain %(r2)d%% of the variation "
            "in %(target)s.",
            analysis.n,
        )
        % {"n": analysis.n, "r2": _pct(analysis.r_squared), "target": target}
    )
    if analysis.r_squared < LOW_R_SQUARED:
        sentences.append(
            _(
                "That is a small part: much of what moves %(target)s is not asked in this "
                "survey, so read the ranking as a hint."
            )
            % {"target": target}
        )
    if analysis.excluded:
        count = len(analysis.excluded)
        sentences.append(
            ngettext(
                "%(count)d possible driver was left out; the table says why.",
                "%(count)d possible drivers were left out; the table says why.",
                count,
            )
            % {"count": count}
        )
    if analysis.capped:
        sentences.append(_("Only the newest %(max)d responses were analysed.") % {"max": MAX_ROWS})
    return sentences
