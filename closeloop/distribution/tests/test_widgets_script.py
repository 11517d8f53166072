"""/widget.js as a host page loads it: served by a view, cached long, small when gzipped."""

from __future__ import annotations

import gzip

from django.test import Client

from closeloop.distribution.views_widget_public import SCRIPT_PATH

GZIP_BUDGET = 12 * 1024


def test_widget_js_is_served_with_a_long_cache_and_javascript_type(db: None) -> None:
    response = Client().get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=86400" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.content == SCRIPT_PATH.read_bytes()
    assert not response.cookies
    # Revalidation answers 304 without the body.
    again = Client().get("/widget.js", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_widget_js_is_under_12_kb_gzipped(db: None) -> None:
    body = Client().get("/widget.js").content
    size = len(gzip.compress(body, compresslevel=9))
    assert size < GZIP_BUDGET, f"widget.js is {size} bytes gzipped (budget {GZIP_BUDGET})"


def test_widget_js_makes_no_third_party_requests_and_defines_one_global(db: None) -> None:
    source = Client().get("/widget.js").content.decode()
    assert "http://" not in source and "https://" not in source  # only its own origin
    assert "w.closeloop = closeloop" in source
    assert "eval(" not in source and "innerHTML" not in source
