"""API keys as bearer tokens: `Authorization: Bearer <key>`; read keys may only read."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from closeloop.accounts.choices import ApiKeyScope
from closeloop.accounts.models import ApiKey, Organization
from closeloop.accounts.services import api_key_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiKeyAuth(HttpBearer):
    """Resolve the bearer key; a missing or revoked key is 401, a read key writing is 403.

    Every unsafe method (POST, PUT, PATCH, DELETE) needs a write key even without `write=True`,
    so an endpoint cannot forget it; `write=True` also demands a write key for safe methods."""

    def __init__(self, *, write: bool = False) -> None:
        super().__init__()
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(secret=token.strip()) if token.strip() else None
        if key is None:
            return None
        needs_write = self.write or request.method not in SAFE_METHODS
        if needs_write and key.scope != ApiKeyScope.WRITE:
            raise AuthorizationError(
                message=_("This API key can only read. Use a key with the write scope.")
            )
        request.api_key = key  # type: ignore[attr-defined]
        request.org = key.organization  # type: ignore[attr-defined]
        return key


api_key_auth = ApiKeyAuth()
# For endpoints that change data (or reveal secrets): `@router.post(..., auth=write_required)`.
write_required = ApiKeyAuth(write=True)


def api_key(request: HttpRequest) -> ApiKey:
    """The API key that authenticated this request."""
    key = getattr(request, "auth", None)
    if not isinstance(key, ApiKey):  # only reachable if an endpoint was mounted without auth
        raise AuthorizationError(message=_("This endpoint needs an API key."))
    return key


def api_org(request: HttpRequest) -> Organization:
    """The organization the request's API key belongs to; every lookup is scoped to it."""
    return api_key(request).organization
