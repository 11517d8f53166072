"""Touchpoints, surveys and responses at a touchpoint for the journey tests, made through the
services; and a small reader that turns a QR image back into its module matrix."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.journey_services import listening_post_add, touchpoint_create
from closeloop.distribution.models import Touchpoint
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.responses.testing import publish_survey
from closeloop.surveys.models import Survey


def one_question_definition(qtype: str, title: str = "How did we do?") -> dict[str, Any]:
    """A published-ready survey with one metric question (key "score") and a comment."""
    question: dict[str, Any] = {"key": "score", "type": qtype, "title": {"en": title}}
    if qtype == "csat":
        question["points"] = 5
    return {
        "default_language": "en",
        "languages": ["en"],
        "title": {"en": title},
        "pages": [
            {
                "key": "p1",
                "questions": [
                    question,
                    {"key": "comment", "type": "long_text", "title": {"en": "Tell us more"}},
                ],
            }
        ],
        "endings": [{"key": "thanks", "title": {"en": "Thank you!"}, "message": {"en": "Bye."}}],
    }


def make_survey(organization: Organization, qtype: str = "nps", name: str = "") -> Survey:
    return publish_survey(
        organization, one_question_definition(qtype), name=name or f"{qtype.upper()} survey"
    )


def answer_at(
    survey: Survey,
    touchpoint: Touchpoint | None,
    score: int,
    *,
    days_ago: float = 1,
    comment: str = "",
) -> Response:
    """A completed response whose answers came in at this touchpoint `days_ago` days ago."""
    answers: dict[str, Any] = {"score": score}
    if comment:
        answers["comment"] = comment
    response = response_create_complete(
        survey=survey,
        answers=answers,
        completed_at=timezone.now() - dt.timedelta(days=days_ago),
    )
    if touchpoint is not None:
        Response.objects.filter(pk=response.pk).update(touchpoint_id=touchpoint.pk)
        response.touchpoint_id = touchpoint.pk
    return response


def isolation_touchpoint(organization: Organization) -> Touchpoint:
    """A touchpoint with a survey listening by QR code (so its QR endpoint answers)."""
    n = Touchpoint.objects.filter(organization=organization).count() + 1
    touchpoint = touchpoint_create(organization=organization, name=f"Isolation touchpoint {n}")
    survey = make_survey(organization, "nps", name=f"Isolation QR survey {n}")
    listening_post_add(touchpoint=touchpoint, survey=survey, channel=ListeningChannel.QR)
    return touchpoint


def isolation_post(organization: Organization) -> Any:
    touchpoint = isolation_touchpoint(organization)
    return touchpoint.posts.get()


# --- reading a QR image back into modules ---------------------------------------------------


def png_modules(data: bytes, *, scale: int, border: int) -> list[list[bool]]:
    """The dark/light modules of a greyscale PNG QR code (any bit depth, any row filter)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert color == 0, "expected a greyscale PNG"
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    rows: list[bytearray] = []
    prev = bytearray(stride)
    i = 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - 1] if x else 0
            b, c = prev[x], prev[x - 1] if x else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 0xFF
            elif ftype == 2:
                line[x] = (line[x] + b) & 0xFF
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 0xFF
        rows.append(line)
        prev = line

    def pixel(x: int, y: int) -> int:
        bit = x * depth
        byte = rows[y][bit // 8]
        shift = 8 - depth - (bit % 8)
        return (byte >> shift) & ((1 << depth) - 1)

    size = width // scale - 2 * border
    half = scale // 2
    return [
        [
            pixel((border + col) * scale + half, (border + row) * scale + half) == 0
            for col in range(size)
        ]
        for row in range(size)
    ]


def svg_modules(svg: str, *, size: int) -> list[list[bool]]:
    """The dark modules of segno's SVG path (`M x y` then `h n` runs and `m dx dy` moves, in
    module units, with the quiet zone as the offset)."""
    match = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg)
    assert match, "no path in the SVG"
    tokens = re.findall(r"[MmHh]|-?\d+(?:\.\d+)?", match.group(1))
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    border: float | None = None
    i = 0
    while i < len(tokens):
        op = tokens[i]
        if op == "M":
            x, y = float(tokens[i + 1]), float(tokens[i + 2])
            border = x if border is None else border
            i += 3
        elif op == "m":
            x, y = x + float(tokens[i + 1]), y + float(tokens[i + 2])
            i += 3
        elif op in ("h", "H"):
            n = float(tokens[i + 1])
            assert border is not None
            row = int(y - 0.5 - border)
            for col in range(int(x - border), int(x - border + n)):
                grid[row][col] = True
            x += n
            i += 2
        else:  # pragma: no cover - segno writes nothing else
            raise AssertionError(f"unexpected path token {op}")
    return grid
