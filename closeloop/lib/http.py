"""The one outbound HTTP client (webhooks, Slack, Teams): SSRF-guarded, no redirects, logged.

The host is resolved once; every address it resolves to must be public (unless the operator set
OUTBOUND_ALLOW_PRIVATE), and the connection is made to that checked address, so a second DNS
answer (DNS rebinding) cannot redirect the request. The Host header and TLS SNI keep the name.
A 3xx answer is returned as it is, never followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import json as jsonlib
import logging
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings

logger = logging.getLogger("closeloop.http")

BODY_LIMIT = 64 * 1024
USER_AGENT = "closeloop-webhooks/1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(Exception):
    """The URL may not be called: a bad scheme, or an address that is not public."""


@dataclass
class HttpResult:
    """What came back from one request: a status, or an error saying why there was none."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    elapsed_ms: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def address_is_public(ip: IPAddress) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified (and their
    IPv4-mapped IPv6 forms)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _allow_private(override: bool | None = None) -> bool:
    if override is not None:
        return override
    return bool(getattr(settings, "OUTBOUND_ALLOW_PRIVATE", False))


def check_url(url: str, *, allow_private: bool | None = None) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or OutboundRefused. Literal non-public IPs and
    "localhost" are refused here already (names are checked again when resolved).
    `allow_private` overrides OUTBOUND_ALLOW_PRIVATE for a URL the operator configured."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("only http and https URLs can be called")
    host = parts.hostname or ""
    if not host:
        raise OutboundRefused("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("the URL's port is not a number") from None
    if not _allow_private(allow_private):
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise OutboundRefused(f"{host} is a local address")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and not address_is_public(literal):
            raise OutboundRefused(f"{host} is not a public address")
    return parts.scheme, host, port


def resolve(host: str, port: int, *, allow_private: bool | None = None) -> str:
    """The one address to connect to; every address of the name must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused(f"cannot resolve {host}: {exc}") from None
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    if not addresses:
        raise OutboundRefused(f"cannot resolve {host}")
    if not _allow_private(allow_private):
        for address in addresses:
            if not address_is_public(ipaddress.ip_address(address)):
                raise OutboundRefused(f"{host} resolves to {address}, which is not public")
    return addresses[0]


def _connection(scheme: str, host: str, port: int, ip: str, timeout: float) -> Any:
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def pinned(
        _address: tuple[str, int], timeout: float | None = None, source: Any = None
    ) -> socket.socket:
        # Connect to the checked address; the Host header and SNI still use the name.
        return socket.create_connection((ip, port), timeout, source)

    conn._create_connection = pinned  # type: ignore[attr-defined]
    return conn


def http_post(
    url: str,
    *,
    json: Any = None,
    data: bytes | str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
    allow_private: bool | None = None,
) -> HttpResult:
    """POST once; never raises for network trouble (see `error`), never follows redirects.
    `allow_private` (default: OUTBOUND_ALLOW_PRIVATE) is for URLs the operator configured."""
    started = time.monotonic()
    result = HttpResult()
    send_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    body: bytes = b""
    if json is not None:
        body = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
        send_headers.setdefault("Content-Type", "application/json")
    elif isinstance(data, dict):
        body = urlencode(data).encode()
        send_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif isinstance(data, str):
        body = data.encode()
    elif data is not None:
        body = data
    ip = ""
    try:
        scheme, host, port = check_url(url, allow_private=allow_private)
        ip = resolve(host, port, allow_private=allow_private)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = _connection(scheme, host, port, ip, timeout)
        try:
            conn.request("POST", path, body=body, headers=send_headers)
            response = conn.getresponse()
            raw = response.read(BODY_LIMIT)
            result.status = response.status
            result.headers = {k.lower(): v for k, v in response.getheaders()}
            result.body = raw.decode("utf-8", errors="replace")
        finally:
            conn.close()
    except OutboundRefused as exc:
        result.error = f"refused: {exc}"
    except (OSError, http.client.HTTPException) as exc:
        result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    result.elapsed_ms = int((time.monotonic() - started) * 1000)
    logger.info(
        "POST %s ip=%s status=%s elapsed_ms=%d%s",
        url,
        ip or "-",
        result.status if result.status is not None else "-",
        result.elapsed_ms,
        f" error={result.error}" if result.error else "",
    )
    return result
