"""Bearer API keys: who may call, and what errors look like."""

from __future__ import annotations

import pytest

from closeloop.accounts.services import api_key_revoke
from closeloop.api.testing import ApiClient, OrgKeys

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.content.decode()
    return body


def test_no_key_is_401(anonymous_api: ApiClient) -> None:
    response = anonymous_api.get("/me")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_scheme_is_401(keys: OrgKeys) -> None:
    client = ApiClient()
    client.client.defaults["HTTP_AUTHORIZATION"] = f"Token {keys.read}"
    assert_problem(client.get("/me"), 401)


@pytest.mark.parametrize("secret", ["cl_not-a-real-key", "x", " "])
def test_wrong_key_is_401(db: None, secret: str) -> None:
    assert_problem(ApiClient(secret).get("/me"), 401)


def test_revoked_key_is_401(keys: OrgKeys) -> None:
    assert ApiClient(keys.read).get("/me").status_code == 200
    api_key_revoke(api_key=keys.read_key, actor=None)
    assert_problem(ApiClient(keys.read).get("/me"), 401)


def test_read_key_may_read(reader: ApiClient) -> None:
    assert reader.get("/teams").status_code == 200


def test_read_key_on_post_is_403(reader: ApiClient) -> None:
    body = assert_problem(reader.post("/teams", {"name": "Growth"}), 403)
    assert "read" in body["detail"]


def test_read_key_on_patch_and_delete_is_403(reader: ApiClient, writer: ApiClient) -> None:
    team_id = writer.post("/teams", {"name": "Growth"}).json()["id"]
    assert_problem(reader.patch(f"/teams/{team_id}", {"name": "Other"}), 403)
    assert_problem(reader.delete(f"/teams/{team_id}"), 403)
    assert writer.get(f"/teams/{team_id}").json()["name"] == "Growth"


def test_write_key_may_write(writer: ApiClient) -> None:
    assert writer.post("/teams", {"name": "Growth"}).status_code == 201


def test_session_login_is_not_an_api_key(personas) -> None:
    client = personas.client_for(personas.owner)
    response = client.get("/api/v1/me")
    assert_problem(response, 401)


def test_key_use_is_recorded(keys: OrgKeys) -> None:
    assert keys.read_key.last_used_at is None
    ApiClient(keys.read).get("/me")
    keys.read_key.refresh_from_db()
    assert keys.read_key.last_used_at is not None


def test_malformed_json_is_400_naming_body(writer: ApiClient) -> None:
    response = writer.client.post(
        "/api/v1/teams", data="{not json", content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert body["field"] == "body"


def test_unknown_path_is_404_problem(reader: ApiClient) -> None:
    assert_problem(reader.get("/no-such-thing"), 404)


def test_wrong_method_is_405_problem(writer: ApiClient) -> None:
    response = writer.put("/teams", {"name": "x"})
    assert_problem(response, 405)
    assert "GET" in response["Allow"]
