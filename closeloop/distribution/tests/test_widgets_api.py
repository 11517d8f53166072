"""/api/v1/widgets: list, create, read, change and delete widgets with an API key."""

from __future__ import annotations

import uuid

from closeloop.api.testing import ApiClient, make_keys
from closeloop.distribution.models import Widget
from closeloop.distribution.tests.widget_factories import make_widget, widget_survey
from conftest import Personas


def test_create_read_update_delete(personas: Personas) -> None:
    keys = make_keys(personas.org)
    client = ApiClient(keys.write)
    survey = widget_survey(personas.org)
    created = client.post(
        "/widgets",
        {
            "name": "Checkout pop-up",
            "survey": str(survey.pk),
            "placement": "popup",
            "allowed_origins": ["https://shop.example.com"],
            "triggers": {"url_pattern": "/checkout/*", "event": "checkout_done"},
        },
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["public_key"].startswith("wk_")
    assert data["survey"] == str(survey.pk)
    assert data["triggers"] == {"url_pattern": "/checkout/*", "event": "checkout_done"}
    assert f'data-key="{data["public_key"]}"' in data["snippet"]
    widget_id = data["id"]

    listed = ApiClient(keys.read).get("/widgets").json()
    assert [w["id"] for w in listed["items"]] == [widget_id]
    assert ApiClient(keys.read).get(f"/widgets/{widget_id}").json()["name"] == "Checkout pop-up"

    changed = client.patch(f"/widgets/{widget_id}", {"is_active": False, "name": "Paused"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["is_active"] is False and changed.json()["name"] == "Paused"
    assert changed.json()["placement"] == "popup"

    assert client.delete(f"/widgets/{widget_id}").status_code == 204
    assert not Widget.objects.exists()


def test_invalid_settings_are_problems_naming_the_field(personas: Personas) -> None:
    client = ApiClient(make_keys(personas.org).write)
    survey = widget_survey(personas.org)
    response = client.post(
        "/widgets", {"name": "x", "survey": str(survey.pk), "allowed_origins": ["ftp://x"]}
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert "allowed_origins" in response.content.decode()
    unknown = client.post("/widgets", {"name": "x", "survey": str(uuid.uuid4())})
    assert unknown.status_code == 404


def test_other_orgs_widget_is_404(personas: Personas) -> None:
    widget = make_widget(personas.org)
    other = ApiClient(make_keys(personas.other_org).write)
    assert other.get(f"/widgets/{widget.pk}").status_code == 404
    assert other.delete(f"/widgets/{widget.pk}").status_code == 404
    assert Widget.objects.filter(pk=widget.pk).exists()


def test_rate_limits_identity_setting_and_secret(personas: Personas) -> None:
    keys = make_keys(personas.org)
    client = ApiClient(keys.write)
    widget = make_widget(personas.org)
    data = ApiClient(keys.read).get(f"/widgets/{widget.pk}").json()
    assert (data["rate_limit_per_ip"], data["rate_limit_per_minute"]) == (60, 6000)
    assert data["require_verified_identity"] is False
    assert "identity_secret" not in data  # never to a read key
    changed = client.patch(
        f"/widgets/{widget.pk}",
        {"rate_limit_per_ip": 20, "rate_limit_per_minute": 2000, "require_verified_identity": True},
    ).json()
    assert (changed["rate_limit_per_ip"], changed["rate_limit_per_minute"]) == (20, 2000)
    assert changed["require_verified_identity"] is True
    bad = client.patch(f"/widgets/{widget.pk}", {"rate_limit_per_ip": 0})
    assert bad.status_code == 422 and "rate_limit_per_ip" in bad.content.decode()
    # A new secret, to a write key only.
    path = f"/widgets/{widget.pk}/identity-secret"
    assert ApiClient(keys.read).post(path, {}).status_code == 403
    secret = client.post(path, {}).json()["identity_secret"]
    widget.refresh_from_db()
    assert secret == widget.identity_secret and len(secret) == 64
