"""Typed attribute values: what a text, number, date or yes/no attribute accepts and stores."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.utils.translation import gettext as _

from closeloop.contacts.choices import AttributeType

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_TEXT = 1000
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "t", "예", "네", "ใช่", "จริง"})
FALSE_WORDS = frozenset(
    {"false", "no", "n", "0", "off", "f", "아니오", "아니요", "ไม่", "ไม่ใช่", "เท็จ"}
)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")
_THOUSANDS_RE = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


class AttributeValueError(ValueError):
    """A value that does not fit its attribute's type; the message speaks to the person."""


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise AttributeValueError(_("Enter a number, not yes/no."))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        number = value
    else:
        text = str(value).strip().replace(" ", "")
        if _THOUSANDS_RE.match(text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise AttributeValueError(
                _("“%(value)s” is not a number.") % {"value": str(value)[:50]}
            ) from None
    if math.isnan(number) or math.isinf(number):
        raise AttributeValueError(_("Enter a finite number."))
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if "T" in text:  # an ISO datetime: keep its date
        text = text.split("T", 1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise AttributeValueError(
        _("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": text[:50]}
    )


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise AttributeValueError(
        _("“%(value)s” is not yes or no; use true or false.") % {"value": text[:50]}
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise AttributeValueError(_("Keep this under %(max)d characters.") % {"max": MAX_TEXT})
    return text


def normalize(attr_type: str, value: Any) -> Any:
    """The stored form of `value` for an attribute of `attr_type`; None means "not set"."""
    if is_blank(value):
        return None
    if attr_type == AttributeType.NUMBER:
        return _number(value)
    if attr_type == AttributeType.DATE:
        return _date(value)
    if attr_type == AttributeType.BOOLEAN:
        return _boolean(value)
    return _text(value)
