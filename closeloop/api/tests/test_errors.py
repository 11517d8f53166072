"""Every kind of error becomes problem+json, without leaking internals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.testing import TestClient

from closeloop.api.errors import install_error_handlers
from closeloop.core.errors import ConflictError, DomainError


class Payload(Schema):
    name: str
    size: int


def _api() -> NinjaAPI:
    api = NinjaAPI(urls_namespace="errors-test")
    install_error_handlers(api)

    @api.get("/boom")
    def boom(request: Any) -> None:
        raise RuntimeError("secret database password in traceback")

    @api.get("/missing")
    def missing(request: Any) -> None:
        raise Http404("Team matching query does not exist for org other-shop")

    @api.get("/denied")
    def denied(request: Any) -> None:
        raise PermissionDenied

    @api.get("/domain")
    def domain(request: Any) -> None:
        raise DomainError("Give the team a name.", field="name")

    @api.get("/conflict")
    def conflict(request: Any) -> None:
        raise ConflictError("A team with this name already exists.", field="name", code="dup")

    @api.post("/items")
    def items(request: Any, payload: Payload) -> dict[str, str]:
        return {"ok": "yes"}

    return api


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(_api())


def test_unexpected_error_is_500_without_traceback(client: TestClient, caplog) -> None:
    response = client.get("/boom")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/problem+json")
    assert "secret" not in response.content.decode()
    assert "secret database password" in caplog.text  # logged for the operator


def test_404_does_not_echo_the_lookup(client: TestClient) -> None:
    response = client.get("/missing")
    assert response.status_code == 404
    assert "other-shop" not in response.content.decode()


def test_permission_denied_is_403(client: TestClient) -> None:
    response = client.get("/denied")
    assert response.status_code == 403
    assert response.json()["title"]


def test_domain_error_names_field(client: TestClient) -> None:
    body = client.get("/domain").json()
    assert body["status"] == 400
    assert body["field"] == "name"
    assert body["detail"] == "Give the team a name."
    assert body["errors"] == [{"field": "name", "message": "Give the team a name."}]


def test_conflict_is_409_with_type(client: TestClient) -> None:
    response = client.get("/conflict")
    assert response.status_code == 409
    assert response.json()["type"] == "urn:closeloop:problem:dup"


def test_validation_lists_every_field(client: TestClient) -> None:
    response = client.post("/items", json={"size": "big"})
    assert response.status_code == 422
    body = response.json()
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.name", "body.size"}
    assert body["field"] in fields
    assert all(e["message"] for e in body["errors"])
