"""Number formatting for the text pages: NPS values and differences with their sign."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def signed(value: Any, digits: int = 0) -> str:
    """+12, \u22123, 0 (a real minus sign); "—" for None."""
    if value is None or value == "":
        return "—"
    number = round(float(value), int(digits))
    text = f"{abs(number):.{int(digits)}f}"
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"\u2212{text}"
    return text


@register.filter
def plain(value: Any, digits: int = 0) -> str:
    """A number without sign decoration ("—" for None)."""
    if value is None or value == "":
        return "—"
    return f"{round(float(value), int(digits)):.{int(digits)}f}"
