"""GET /api/v1/me: the key and its organization."""

from __future__ import annotations

from closeloop.api.testing import ApiClient, OrgKeys


def test_me_shows_key_and_org(personas, keys: OrgKeys) -> None:
    response = ApiClient(keys.read).get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "organization": {
            "id": str(personas.org.id),
            "name": "Acme Coffee",
            "slug": personas.org.slug,
            "time_zone": "Asia/Seoul",
            "default_language": "en",
        },
        "key": {"id": str(keys.read_key.id), "name": "read", "scope": "read"},
    }


def test_me_never_shows_the_secret(keys: OrgKeys) -> None:
    content = ApiClient(keys.write).get("/me").content.decode()
    assert keys.write not in content
    assert keys.write_key.key_hash not in content


def test_other_org_key_sees_its_own_org(personas, other_keys: OrgKeys) -> None:
    body = ApiClient(other_keys.read).get("/me").json()
    assert body["organization"]["id"] == str(personas.other_org.id)
