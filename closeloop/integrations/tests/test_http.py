"""The outbound HTTP client: refuses private addresses unless allowed, never follows redirects,
connects to the address it checked, and logs every attempt."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

from closeloop.integrations.tests.receiver import receiver
from closeloop.lib import http
from closeloop.lib.http import http_post


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fc00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://100.64.0.1/hook",
        "http://localhost:8000/hook",
    ],
)
def test_private_addresses_are_refused(settings: Any, url: str) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = False
    result = http_post(url, json={"a": 1}, timeout=2)
    assert result.status is None
    assert result.error.startswith("refused")


def test_a_name_resolving_to_a_private_address_is_refused(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = False
    real = socket.getaddrinfo

    def fake(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.attacker.test":
            return real("10.0.0.7", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    result = http_post("https://hooks.attacker.test/x", json={}, timeout=2)
    assert result.error.startswith("refused")
    assert "10.0.0.7" in result.error


def test_other_schemes_are_refused(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    for url in ("file:///etc/passwd", "ftp://example.com/", "gopher://x/"):
        assert http_post(url, json={}).error.startswith("refused")


def test_posts_to_a_local_server_when_allowed(settings: Any, caplog: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with receiver() as server:
        server.answer = lambda n: (201, b'{"ok": true}', {"X-Reply": "yes"})
        with caplog.at_level(logging.INFO, logger="closeloop.http"):
            result = http_post(
                server.url + "/hook?x=1", json={"name": "민지"}, headers={"X-Test": "1"}
            )
    assert (result.status, result.body, result.error) == (201, '{"ok": true}', "")
    assert result.ok and result.headers["x-reply"] == "yes"
    assert result.elapsed_ms >= 0
    (request,) = server.requests
    assert request.path == "/hook?x=1"
    assert request.headers["x-test"] == "1"
    assert request.headers["content-type"] == "application/json"
    assert request.body.decode() == '{"name":"민지"}'
    assert request.headers["host"] == server.url.removeprefix("http://")
    assert any("status=201" in r.getMessage() for r in caplog.records)


def test_the_same_server_is_refused_when_not_allowed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with receiver() as server:
        result = http_post(server.url + "/hook", json={})
    assert result.error.startswith("refused")
    assert server.requests == []


def test_redirects_are_returned_not_followed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with receiver() as server:
        server.answer = lambda n: (302, b"", {"Location": "http://169.254.169.254/"})
        result = http_post(server.url + "/hook", json={})
    assert result.status == 302
    assert not result.ok
    assert result.headers["location"] == "http://169.254.169.254/"
    assert len(server.requests) == 1


def test_connects_to_the_checked_address_not_a_second_answer(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is resolved once; the connection goes to that address and the
    Host header keeps the name."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    real = socket.getaddrinfo
    calls: list[str] = []

    def fake(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.example.test":
            calls.append(host)
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with receiver() as server:
        port = server.url.rsplit(":", 1)[1]
        result = http_post(f"http://hooks.example.test:{port}/x", json={})
    assert result.status == 200
    assert calls == ["hooks.example.test"]
    assert server.requests[0].headers["host"] == f"hooks.example.test:{port}"


def test_timeouts_and_connection_errors_are_results(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = http_post(f"http://127.0.0.1:{port}/", json={}, timeout=2)
    assert result.status is None and "ConnectionRefused" in result.error


def test_address_is_public() -> None:
    import ipaddress

    assert http.address_is_public(ipaddress.ip_address("93.184.216.34"))
    assert not http.address_is_public(ipaddress.ip_address("::ffff:10.0.0.1"))
    assert not http.address_is_public(ipaddress.ip_address("fe80::1"))
