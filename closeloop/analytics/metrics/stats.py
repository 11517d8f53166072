"""The statistics behind every figure, exactly as DESIGN.md ("Metrics, exactly") defines them.

Pure functions of counts and sums: no database and no request. The only Django import is
gettext, for the plain-language sentence of a comparison.

Scales: NPS is on -100..100, proportions (CSAT top box, CES share 5-7, response, start and
completion rates, choice shares) are in percent (0..100), means are in the question's own
units. Every margin of error is the half-width of a 95% interval on the same scale as the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Z95 = 1.96
# Below this many answers the margin uses the adjusted Wald interval (means: Student's t).
SMALL_N = 30
# Adjusted Wald for NPS (DESIGN.md): add 3/4 to promoters and to detractors, 3 to n.
NPS_ADJUST_EACH = 0.75
NPS_ADJUST_N = 3
# Agresti-Coull for proportions: add 2 successes and 2 failures.
PROPORTION_ADJUST = 2

EstimateKind = Literal["nps", "proportion", "mean"]


@dataclass(frozen=True)
class Estimate:
    """One figure with its sample size, 95% margin of error and the counts behind it.

    `value` is None when there is nothing to estimate from (n = 0); `margin_of_error` is None
    when it cannot be computed (a mean of one answer). `standard_error` is on the value's scale
    and is what `compare` combines. `adjusted` says the small-sample interval was used: its
    centre (`interval_center`, the adjusted estimate) then differs from the plain value, and
    `low`/`high` are the adjusted interval, which covers the true figure 95% of the time where
    plain value +/- margin would not."""

    value: float | None
    n: int
    margin_of_error: float | None
    counts: dict[str, int] = field(default_factory=dict)
    kind: EstimateKind = "proportion"
    standard_error: float | None = None
    adjusted: bool = False
    interval_center: float | None = None

    @property
    def _center(self) -> float | None:
        return self.value if self.interval_center is None else self.interval_center

    @property
    def low(self) -> float | None:
        """The lower end of the 95% interval, kept inside the scale (NPS -100, percent 0)."""
        center = self._center
        if self.value is None or center is None or self.margin_of_error is None:
            return None
        low = center - self.margin_of_error
        return max(low, _SCALE_BOUNDS[self.kind][0]) if self.kind in _SCALE_BOUNDS else low

    @property
    def high(self) -> float | None:
        """The upper end of the 95% interval, kept inside the scale (100 for NPS and percent)."""
        center = self._center
        if self.value is None or center is None or self.margin_of_error is None:
            return None
        high = center + self.margin_of_error
        return min(high, _SCALE_BOUNDS[self.kind][1]) if self.kind in _SCALE_BOUNDS else high


_SCALE_BOUNDS: dict[str, tuple[float, float]] = {"nps": (-100.0, 100.0), "proportion": (0.0, 100.0)}


# --- NPS --------------------------------------------------------------------------------------


def nps_category(score: float) -> Literal["promoter", "passive", "detractor"]:
    """Promoter (9-10), passive (7-8) or detractor (0-6)."""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def _nps_se(promoters: float, detractors: float, n: float) -> float:
    p, d = promoters / n, detractors / n
    return math.sqrt(max(0.0, (p + d) - (p - d) ** 2) / n)


def nps_estimate(*, promoters: int, passives: int, detractors: int) -> Estimate:
    """NPS = %promoters - %detractors (-100..100) with its 95% margin.

    SE = sqrt(((p + d) - (p - d)^2) / n); under 30 answers the margin comes from the adjusted
    Wald interval (3/4 added to promoters and to detractors, 3 to n); the value stays plain."""
    n = promoters + passives + detractors
    counts = {"promoters": promoters, "passives": passives, "detractors": detractors}
    if n == 0:
        return Estimate(value=None, n=0, margin_of_error=None, counts=counts, kind="nps")
    value = 100.0 * (promoters - detractors) / n
    adjusted = n < SMALL_N
    center: float | None = None
    if adjusted:
        p_adj, d_adj = promoters + NPS_ADJUST_EACH, detractors + NPS_ADJUST_EACH
        se = _nps_se(p_adj, d_adj, n + NPS_ADJUST_N)
        center = 100.0 * (p_adj - d_adj) / (n + NPS_ADJUST_N)
    else:
        se = _nps_se(promoters, detractors, n)
    return Estimate(
        value=value,
        n=n,
        margin_of_error=100.0 * Z95 * se,
        counts=counts,
        kind="nps",
        standard_error=100.0 * se,
        adjusted=adjusted,
        interval_center=center,
    )


def nps_from_histogram(histogram: list[int] | dict[int, int]) -> Estimate:
    """NPS from counts of each score 0..10 (a list indexed by score or a dict)."""
    items = enumerate(histogram) if isinstance(histogram, list) else histogram.items()
    promoters = passives = detractors = 0
    for score, count in items:
        category = nps_category(score)
        if category == "promoter":
            promoters += count
        elif category == "passive":
            passives += count
        else:
            detractors += count
    return nps_estimate(promoters=promoters, passives=passives, detractors=detractors)


# --- proportions ------------------------------------------------------------------------------


def proportion_estimate(
    *, successes: int, n: int, success_label: str = "yes", failure_label: str = "no"
) -> Estimate:
    """A share in percent with its 95% margin: Wald, or Agresti-Coull (2 successes and 2
    failures added) under 30 answers; the value stays successes / n."""
    if successes < 0 or successes > n:
        raise ValueError("successes must be between 0 and n")
    counts = {success_label: successes, failure_label: n - successes}
    if n == 0:
        return Estimate(value=None, n=0, margin_of_error=None, counts=counts)
    adjusted = n < SMALL_N
    center: float | None = None
    if adjusted:
        n_adj = n + 2 * PROPORTION_ADJUST
        p_adj = (successes + PROPORTION_ADJUST) / n_adj
        se = math.sqrt(p_adj * (1 - p_adj) / n_adj)
        center = 100.0 * p_adj
    else:
        p = successes / n
        se = math.sqrt(p * (1 - p) / n)
    return Estimate(
        value=100.0 * successes / n,
        n=n,
        margin_of_error=100.0 * Z95 * se,
        counts=counts,
        kind="proportion",
        standard_error=100.0 * se,
        adjusted=adjusted,
        interval_center=center,
    )


def csat_top_boxes(points: int) -> int:
    """How many top answers of a CSAT scale count as satisfied: 3-point 1, 4-7 point 2,
    10-point 3 (so 4-5 on the usual 5-point scale)."""
    if points <= 3:
        return 1
    if points >= 10:
        return 3
    return 2


def csat_satisfied_scores(points: int) -> range:
    """The scores (1..points) that count as satisfied."""
    return range(points - csat_top_boxes(points) + 1, points + 1)


CES_POINTS = 7
CES_EASY_SCORES = range(5, CES_POINTS + 1)


def csat_estimate(*, satisfied: int, n: int) -> Estimate:
    """CSAT: the share of satisfied (top box) answers, in percent."""
    return proportion_estimate(
        successes=satisfied, n=n, success_label="satisfied", failure_label="other"
    )


def ces_share_estimate(*, easy: int, n: int) -> Estimate:
    """CES: the share of answers 5-7 ("made it easy"), in percent."""
    return proportion_estimate(successes=easy, n=n, success_label="easy", failure_label="other")


# --- means ------------------------------------------------------------------------------------


def _t_quantile(df: int) -> float:
    from scipy.stats import t  # imported here: scipy is slow to import and rarely needed

    return float(t.ppf(0.975, df))


def mean_estimate(*, n: int, total: float, total_squares: float) -> Estimate:
    """A mean from n, the sum and the sum of squares, with margin t * s / sqrt(n) (1.96 from
    30 answers on; Student's t below). One answer has a mean but no margin."""
    if n == 0:
        return Estimate(value=None, n=0, margin_of_error=None, kind="mean")
    mean = total / n
    if n == 1:
        return Estimate(value=mean, n=1, margin_of_error=None, kind="mean")
    variance = max(0.0, (total_squares - total * total / n) / (n - 1))
    se = math.sqrt(variance / n)
    adjusted = n < SMALL_N
    quantile = _t_quantile(n - 1) if adjusted else Z95
    return Estimate(
        value=mean,
        n=n,
        margin_of_error=quantile * se,
        kind="mean",
        standard_error=se,
        adjusted=adjusted,
    )


# --- choice distributions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """How often each choice was picked: `n` answers, a share (percent, with margin) per choice.

    For a multiple-choice question `n` is the number of responses that answered it, so shares
    can add up to more than 100."""

    n: int
    counts: dict[str, int]
    shares: dict[str, Estimate]


def choice_distribution(*, counts: dict[str, int], n: int | None = None) -> Distribution:
    """Shares of each choice among `n` answers (default: the sum of the counts, one choice each)."""
    answered = sum(counts.values()) if n is None else n
    shares = {
        key: proportion_estimate(
            successes=min(count, answered), n=answered, success_label=key, failure_label="other"
        )
        for key, count in counts.items()
    }
    return Distribution(n=answered, counts=dict(counts), shares=shares)


# --- comparisons ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """The change from `previous` to `current`: the difference, its 95% margin
    (1.96 * sqrt(SE1^2 + SE2^2)), whether the change is larger than that margin, and a sentence."""

    current: Estimate
    previous: Estimate
    difference: float | None
    margin_of_error: float | None
    exceeds_noise: bool
    sentence: str


def _fmt(number: float, kind: EstimateKind) -> str:
    digits = 2 if kind == "mean" else 1
    text = f"{abs(number):.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def compare(current: Estimate, previous: Estimate) -> Comparison:
    """Compare two estimates of the same figure (two periods, or a group against another)."""
    if current.value is None or previous.value is None:
        return Comparison(
            current=current,
            previous=previous,
            difference=None,
            margin_of_error=None,
            exceeds_noise=False,
            sentence=_("Not enough responses to compare."),
        )
    difference = current.value - previous.value
    margin: float | None = None
    if current.standard_error is not None and previous.standard_error is not None:
        margin = Z95 * math.sqrt(current.standard_error**2 + previous.standard_error**2)
    exceeds = margin is not None and abs(difference) > margin
    return Comparison(
        current=current,
        previous=previous,
        difference=difference,
        margin_of_error=margin,
        exceeds_noise=exceeds,
        sentence=change_sentence(difference, margin, current.kind),
    )


def change_sentence(difference: float, margin: float | None, kind: EstimateKind) -> str:
    """'Up 8 points, more than the margin of error (±5).' and its siblings, translated."""
    amount = _fmt(difference, kind)
    shown_margin = _fmt(margin, kind) if margin is not None else ""
    if amount == "0":
        if margin is None:
            return _("No change.")
        return _("No change (margin of error ±%(margin)s).") % {"margin": shown_margin}
    up = difference > 0
    if kind == "mean":
        change = (_("Up %(amount)s") if up else _("Down %(amount)s")) % {"amount": amount}
    else:
        # "points": NPS points or percentage points
        count = 1 if amount == "1" else 2
        template = (
            ngettext("Up %(amount)s point", "Up %(amount)s points", count)
            if up
            else ngettext("Down %(amount)s point", "Down %(amount)s points", count)
        )
        change = template % {"amount": amount}
    if margin is None:
        return _("%(change)s; too few responses to tell it from noise.") % {"change": change}
    if abs(difference) > margin:
        return _("%(change)s, more than the margin of error (±%(margin)s).") % {
            "change": change,
            "margin": shown_margin,
        }
    return _("%(change)s, within the margin of error (±%(margin)s): could be noise.") % {
        "change": change,
        "margin": shown_margin,
    }
