"""The words of an impact verdict: numbers as the panel shows them and the sentence saying
whether a change after shipping is larger than its margin of error."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from closeloop.analytics.metrics import Comparison


def fmt_number(number: float, kind: str) -> str:
    """A number as the panel shows it: one decimal (two for means), no trailing zeros."""
    digits = 2 if kind == "mean" else 1
    text = f"{abs(number):.{digits}f}".rstrip("0").rstrip(".")
    if text in ("", "0"):
        return "0"
    return f"-{text}" if number < 0 else text


def _value_text(value: float, kind: str) -> str:
    return f"{fmt_number(value, kind)}%" if kind == "proportion" else fmt_number(value, kind)


def _amount_text(difference: float, kind: str) -> str:
    amount = fmt_number(abs(difference), kind)
    if kind == "mean":
        return amount
    count = 1 if amount == "1" else 2
    if kind == "nps":
        return ngettext("%(amount)s point", "%(amount)s points", count) % {"amount": amount}
    return ngettext("%(amount)s percentage point", "%(amount)s percentage points", count) % {
        "amount": amount
    }


def change_verdict(label: str, comparison: Comparison) -> str:
    """'NPS rose 18 points after shipping (from 2 to 20), more than the margin of error (±9).'
    and its siblings."""
    assert comparison.difference is not None
    kind = comparison.current.kind
    assert comparison.current.value is not None and comparison.previous.value is not None
    values = {
        "metric": label,
        "amount": _amount_text(comparison.difference, kind),
        "before": _value_text(comparison.previous.value, kind),
        "after": _value_text(comparison.current.value, kind),
        "margin": fmt_number(comparison.margin_of_error or 0.0, kind),
    }
    if fmt_number(comparison.difference, kind) == "0":
        return (
            _(
                "%(metric)s did not change after shipping (%(before)s before, %(after)s after; "
                "margin of error ±%(margin)s)."
            )
            % values
        )
    up = comparison.difference > 0
    if comparison.exceeds_noise:
        if up:
            text = _(
                "%(metric)s rose %(amount)s after shipping (from %(before)s to %(after)s), "
                "more than the margin of error (±%(margin)s)."
            )
        else:
            text = _(
                "%(metric)s fell %(amount)s after shipping (from %(before)s to %(after)s), "
                "more than the margin of error (±%(margin)s)."
            )
    elif up:
        text = _(
            "%(metric)s rose %(amount)s after shipping (from %(before)s to %(after)s), "
            "not more than the noise (margin of error ±%(margin)s)."
        )
    else:
        text = _(
            "%(metric)s fell %(amount)s after shipping (from %(before)s to %(after)s), "
            "not more than the noise (margin of error ±%(margin)s)."
        )
    return text % values
