"""The OpenAPI document and the interactive docs, served from our own origin."""

from __future__ import annotations

import re

from django.test import Client


def test_openapi_json(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert re.fullmatch(r"3\.1\.\d+", schema["openapi"])
    assert schema["info"]["title"] == "closeloop API"
    assert "/api/v1/teams" in schema["paths"]
    assert "/api/v1/teams/{team_id}" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"
    errors = schema["paths"]["/api/v1/teams"]["post"]["responses"]["409"]["content"]
    assert "application/problem+json" in errors


def test_docs_page_uses_only_local_assets(db: None) -> None:
    client = Client()
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for url in assets:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        assert client.get(url).status_code == 200, url
    assert not re.search(r"https?://", html)
    # swagger-ui must not call its online validator
    assert '"validatorUrl": null' in html


def test_docs_page_runs_under_our_csp(db: None) -> None:
    response = Client().get("/api/v1/docs")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    html = response.content.decode()
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        # only external scripts or inert JSON data: nothing inline is executed
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        if "src=" in attrs:
            assert not body.strip()
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
