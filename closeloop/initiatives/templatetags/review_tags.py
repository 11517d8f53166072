"""Small filters of the advocacy review page and its digest: signed numbers, sparklines."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

SPARK = "▁▂▃▄▅▆▇█"


def _fmt(value: float, digits: int = 1) -> str:
    text = f"{abs(value):.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


@register.filter
def num(value: Any) -> str:
    """12.34 -> "12.3", -5 -> "\u22125" (a real minus sign), None -> "—"."""
    if value is None or value == "":
        return "—"
    number = float(value)
    text = _fmt(number)
    return ("\u2212" + text) if number < 0 and text != "0" else text


@register.filter
def signed(value: Any) -> str:
    """+3, \u22122.5, 0; None -> "—"."""
    if value is None or value == "":
        return "—"
    number = float(value)
    text = _fmt(number)
    if text == "0":
        return text
    return ("+" if number > 0 else "\u2212") + text


@register.filter
def sparkline(values: Any) -> str:
    """Weekly counts as Unicode blocks (empty when there is nothing)."""
    numbers = [float(v) for v in values or []]
    if not numbers or not any(numbers):
        return ""
    high = max(numbers) or 1.0
    return "".join(SPARK[round(v / high * (len(SPARK) - 1))] for v in numbers)


@register.filter
def score10(value: Any) -> str:
    """A 0-10 score as a whole number when it is one."""
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.1f}"
