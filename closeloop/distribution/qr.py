"""QR codes for a touchpoint's survey link, as SVG (for print) and PNG (for anything else)."""

from __future__ import annotations

import io

import segno

# Error correction M survives a crease or a smudge on a receipt or a parcel label; the quiet
# zone is the 4 modules the standard asks for, so scanners find the code on busy paper.
ERROR = "m"
QUIET_ZONE = 4
PNG_SCALE = 10  # pixels per module: a version 3-5 code is about 370-450 px wide
SVG_SCALE = 8  # the SVG scales without loss; this only sets its default size
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def qr_code(url: str) -> segno.QRCode:
    """The QR symbol for a URL (error correction M, not boosted, so the level is predictable)."""
    return segno.make(url, error=ERROR, boost_error=False, micro=False)


def qr_svg(url: str, *, title: str = "") -> bytes:
    """The QR code as a standalone SVG document."""
    out = io.BytesIO()
    qr_code(url).save(
        out,
        kind="svg",
        scale=SVG_SCALE,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        title=title or None,
        xmldecl=True,
    )
    return out.getvalue()


def qr_png(url: str) -> bytes:
    """The QR code as a black-on-white PNG, 10 pixels per module."""
    out = io.BytesIO()
    qr_code(url).save(
        out, kind="png", scale=PNG_SCALE, border=QUIET_ZONE, dark="#000", light="#fff"
    )
    return out.getvalue()


def qr_image(url: str, fmt: str, *, title: str = "") -> tuple[bytes, str]:
    """(bytes, content type) of the QR code in "svg" or "png"; ValueError for other formats."""
    if fmt == "svg":
        return qr_svg(url, title=title), FORMATS["svg"]
    if fmt == "png":
        return qr_png(url), FORMATS["png"]
    raise ValueError(f"unknown QR format {fmt!r}")
