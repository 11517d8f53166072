"""Test helpers for the API: keys per organization and a client that sends a bearer key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

from closeloop.accounts.choices import ApiKeyScope
from closeloop.accounts.models import ApiKey, Organization
from closeloop.accounts.services import api_key_create

API_ROOT = "/api/v1"


class ApiClient:
    """django.test.Client speaking JSON to /api/v1 with `Authorization: Bearer <key>`."""

    def __init__(self, secret: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.client = Client(headers=headers)

    @staticmethod
    def _url(path: str) -> str:
        return path if path.startswith(API_ROOT) else f"{API_ROOT}{path}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(self._url(path), params or {})

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send any method; the body (if any) as JSON. GET and HEAD send no body."""
        if method.upper() in ("GET", "HEAD"):
            return getattr(self.client, method.lower())(self._url(path))
        data = "" if body is None else json.dumps(body)
        send = getattr(self.client, method.lower())
        return send(self._url(path), data=data, content_type="application/json")

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.request("PATCH", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)


@dataclass
class OrgKeys:
    """A read key and a write key of one organization, with their one-time secrets."""

    read_key: ApiKey
    read: str
    write_key: ApiKey
    write: str


def make_keys(organization: Organization) -> OrgKeys:
    """Create a read and a write key for the organization."""
    read_key, read = api_key_create(
        organization=organization, name="read", scope=ApiKeyScope.READ, created_by=None
    )
    write_key, write = api_key_create(
        organization=organization, name="write", scope=ApiKeyScope.WRITE, created_by=None
    )
    return OrgKeys(read_key=read_key, read=read, write_key=write_key, write=write)
