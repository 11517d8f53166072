"""CSV: UTF-8 with a byte order mark (so Excel shows Korean and Thai right), labelled headers."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from closeloop.analytics.exports.columns import Column, Row

# A cell starting with one of these is a formula to a spreadsheet; text typed by a respondent
# is prefixed with an apostrophe so that opening the file never runs it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(column: Column, value: Any) -> str:
    """One CSV cell: labels for choices, ISO dates, whole numbers without a decimal point."""
    shown = column.display(value)
    if shown is None:
        return ""
    if isinstance(shown, dt.datetime):
        return shown.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(shown, dt.date):
        return shown.isoformat()
    text = str(shown)
    if column.free_text and text.startswith(FORMULA_START):
        return "'" + text
    return text


def write_csv(
    path: Path, columns: list[Column], rows: Iterable[Row], tick: Callable[[], None]
) -> None:
    """Write one header row of labels, then one line per response."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([column.label for column in columns])
        for row in rows:
            writer.writerow([cell_text(column, column.get(row)) for column in columns])
            tick()
