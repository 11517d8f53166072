"""SPSS .sav through pyreadstat: variable labels (the question texts), value labels (choices,
scale ends, yes/no), valid variable names, UTF-8 text.

The .sav writer takes the whole table at once, so rows are read in chunks into compact columns
(8 bytes per number) rather than kept as responses."""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from closeloop.analytics.exports.columns import Column, Row, spss_names

LABEL_BYTES = 255
VALUE_LABEL_BYTES = 120
FILE_LABEL_BYTES = 64
SHARED_TEXTS = 50_000
EPOCH = dt.datetime(1970, 1, 1)


def clip(text: str, limit: int) -> str:
    """The text cut to at most `limit` bytes of UTF-8, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


class _TextColumn:
    """A column of text kept as one UTF-8 buffer and offsets: a few large blocks rather than a
    small object per cell, so memory stays compact (and is returned) at any size."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends = array("q")

    def append(self, value: Any) -> None:
        if value is not None:
            self.data += str(value).encode("utf-8")
        self.ends.append(len(self.data))

    def values(self) -> list[str]:
        """Every cell as text; a repeated text (a language, a store) is one shared string."""
        shared: dict[bytes, str] = {}
        cells: list[str] = []
        start = 0
        view = memoryview(self.data)
        for end in self.ends:
            raw = bytes(view[start:end])
            text = shared.get(raw)
            if text is None:
                text = raw.decode("utf-8")
                if len(shared) < SHARED_TEXTS:
                    shared[raw] = text
            cells.append(text)
            start = end
        view.release()
        return cells


def _seconds(value: Any) -> float:
    """A date or naive local time as seconds since 1970 (NaN when missing)."""
    if value is None:
        return math.nan
    if isinstance(value, dt.datetime):
        return (value - EPOCH).total_seconds()
    if isinstance(value, dt.date):
        return float((value - EPOCH.date()).days * 86400)
    return math.nan


def _number_format(column: Column, values: array[float]) -> str:
    if column.kind in ("choice", "flag") or column.integer:
        biggest = max((abs(v) for v in values if not math.isnan(v)), default=0.0)
        return f"F{max(3, len(str(int(biggest))) + 1)}.0"
    return "F10.2"


def write_sav(
    path: Path,
    columns: list[Column],
    rows: Iterable[Row],
    tick: Callable[[], None],
    *,
    file_label: str = "",
) -> None:
    """Read every row into compact columns, then write the file."""
    import pandas as pd
    import pyreadstat

    numbers: dict[int, array[float]] = {}
    texts: dict[int, _TextColumn] = {}
    for index, column in enumerate(columns):
        if column.kind == "text":
            texts[index] = _TextColumn()
        else:
            numbers[index] = array("d")  # numbers, codes, and dates as seconds
    for row in rows:
        for index, column in enumerate(columns):
            value = column.get(row)
            if column.kind == "text":
                texts[index].append(value)
            elif column.numeric:
                numbers[index].append(column.code(value))
            else:
                numbers[index].append(_seconds(value))
        tick()

    names = spss_names(column.key for column in columns)
    data: dict[str, Any] = {}
    labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[int | float, str]] = {}
    measures: dict[str, str] = {}
    formats: dict[str, str] = {}
    for index, (name, column) in enumerate(zip(names, columns, strict=True)):
        labels[name] = clip(column.label, LABEL_BYTES)
        if column.numeric:
            values = numbers[index]
            data[name] = pd.Series(values, dtype="float64")
            formats[name] = _number_format(column, values)
            codes = column.codes
            if codes:
                value_labels[name] = {
                    float(code): clip(label, VALUE_LABEL_BYTES) for code, label in codes.items()
                }
            measures[name] = column.measure
        elif column.kind in ("date", "datetime"):
            seconds = pd.Series(numbers[index], dtype="float64")
            data[name] = pd.to_datetime(seconds, unit="s").astype("datetime64[us]")
            formats[name] = "DATETIME20" if column.kind == "datetime" else "DATE11"
            measures[name] = "scale"
        else:
            data[name] = pd.Series(texts.pop(index).values(), dtype=object)
            measures[name] = "nominal"
    frame = pd.DataFrame(data, columns=names)
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=clip(file_label, FILE_LABEL_BYTES),
        column_labels=labels,
        variable_value_labels=value_labels,
        variable_measure=measures,
        variable_format=formats,
    )
