"""XLSX: one sheet per survey version (labels in the first row, keys in the second, both frozen),
a legend of keys and codes, and the export's filters; written in openpyxl's write-only mode."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from closeloop.analytics.exports.columns import Column, Row

MAX_ROWS = 1_048_576  # Excel's limit per sheet
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Sheet:
    """One sheet of responses: its title, columns and rows."""

    title: str
    columns: list[Column]
    rows: Iterable[Row]


def _sheet_title(title: str, used: set[str]) -> str:
    base = SHEET_NAME_BAD.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        tail = f" ({n})"
        name = base[: 31 - len(tail)] + tail
        n += 1
    used.add(name.lower())
    return name


def _value(ws: WriteOnlyWorksheet, column: Column, value: Any) -> Any:
    shown = column.display(value)
    if isinstance(shown, str):
        shown = ILLEGAL_CHARACTERS_RE.sub("", shown)
        if shown.startswith("="):
            # Text, never a formula: openpyxl would otherwise store it as one.
            cell = WriteOnlyCell(ws, value=shown)
            cell.data_type = "s"
            return cell
    return shown


def _header(ws: WriteOnlyWorksheet, columns: Sequence[Column]) -> None:
    bold, grey = Font(bold=True), Font(italic=True, color="666666")
    labels, keys = [], []
    for column in columns:
        label = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", column.label))
        label.font = bold
        labels.append(label)
        key = WriteOnlyCell(ws, value=column.key)
        key.font = grey
        keys.append(key)
    ws.append(labels)
    ws.append(keys)


def _new_sheet(book: Workbook, title: str, columns: Sequence[Column]) -> WriteOnlyWorksheet:
    ws: WriteOnlyWorksheet = book.create_sheet(title)
    ws.freeze_panes = "A3"
    for index, column in enumerate(columns, start=1):
        width = 20 if column.kind in ("datetime", "text") else 14
        ws.column_dimensions[get_column_letter(index)].width = width  # type: ignore[attr-defined]
    _header(ws, columns)
    return ws


def _codes(column: Column) -> str:
    return "; ".join(f"{code} = {label}" for code, label in column.codes.items())


def write_xlsx(
    path: Path,
    sheets: Sequence[Sheet],
    about: Sequence[tuple[str, str]],
    tick: Callable[[], None],
) -> None:
    """Write each sheet (continued on another past Excel's row limit), the legend and about."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    legend: dict[str, tuple[Column, list[str]]] = {}
    for sheet in sheets:
        title = _sheet_title(sheet.title, used)
        ws = _new_sheet(book, title, sheet.columns)
        for column in sheet.columns:
            legend.setdefault(column.key, (column, []))[1].append(title)
        written = 2
        for row in sheet.rows:
            if written >= MAX_ROWS:
                ws = _new_sheet(book, _sheet_title(sheet.title, used), sheet.columns)
                written = 2
            ws.append([_value(ws, column, column.get(row)) for column in sheet.columns])
            written += 1
            tick()
    ws = book.create_sheet(_sheet_title(_("Legend"), used))
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCD", (24, 60, 24, 60), strict=True):
        ws.column_dimensions[letter].width = width  # type: ignore[attr-defined]
    bold = Font(bold=True)
    head = []
    for text in (_("Key"), _("Label"), _("Sheets"), _("Values")):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for key, (column, titles) in legend.items():
        label = ILLEGAL_CHARACTERS_RE.sub("", column.label)
        ws.append(
            [key, label, ", ".join(titles), _codes(column) if column.kind == "choice" else ""]
        )
    ws = book.create_sheet(_sheet_title(_("About"), used))
    ws.column_dimensions["A"].width = 24  # type: ignore[attr-defined]
    ws.column_dimensions["B"].width = 60  # type: ignore[attr-defined]
    for name, value in about:
        ws.append([name, ILLEGAL_CHARACTERS_RE.sub("", value)])
    book.save(path)
