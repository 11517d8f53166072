"""API fixtures for every test (loaded by the root conftest): a read and a write key for the
personas' organization and for the other one, and clients that send them as
`Authorization: Bearer <key>`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from closeloop.api.testing import ApiClient, OrgKeys, make_keys

if TYPE_CHECKING:
    from conftest import Personas


@pytest.fixture
def keys(personas: Personas) -> OrgKeys:
    return make_keys(personas.org)


@pytest.fixture
def other_keys(personas: Personas) -> OrgKeys:
    return make_keys(personas.other_org)


@pytest.fixture
def reader(keys: OrgKeys) -> ApiClient:
    """Read-scoped key of Acme Coffee."""
    return ApiClient(keys.read)


@pytest.fixture
def writer(keys: OrgKeys) -> ApiClient:
    """Write-scoped key of Acme Coffee."""
    return ApiClient(keys.write)


@pytest.fixture
def other_writer(other_keys: OrgKeys) -> ApiClient:
    """Write-scoped key of the outsider's organization."""
    return ApiClient(other_keys.write)


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient()
