"""The webhook API: endpoints (secrets only for write keys), deliveries, redelivery."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.api.testing import ApiClient, make_keys
from closeloop.core.worker import run_ready_tasks
from closeloop.integrations.tests.conftest import verify_standard_webhook
from closeloop.integrations.tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_endpoint_lifecycle_and_deliveries(personas: Any, local: Receiver) -> None:
    keys = make_keys(personas.org)
    write, read = ApiClient(keys.write), ApiClient(keys.read)

    bad = write.post("/webhook-endpoints", {"url": local.url, "events": ["nope"]})
    assert bad.status_code == 400 and bad.json()["field"] == "events"

    created = write.post(
        "/webhook-endpoints",
        {"url": local.url + "/in", "events": ["case.created"], "description": "CRM"},
    )
    assert created.status_code == 201, created.content
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    path = f"/webhook-endpoints/{endpoint['id']}"

    assert read.get(path).json()["secret"] is None
    assert write.get(path).json()["secret"] == endpoint["secret"]
    assert [e["id"] for e in read.get("/webhook-endpoints").json()["items"]] == [endpoint["id"]]

    rotated = write.patch(
        path, {"rotate_secret": True, "events": ["case.created", "case.resolved"]}
    )
    assert rotated.status_code == 200
    secret = rotated.json()["secret"]
    assert secret != endpoint["secret"]
    assert rotated.json()["events"] == ["case.created", "case.resolved"]

    from closeloop.integrations.notify import webhooks_dispatch

    local.answer = lambda n: (500, b"down", {}) if n == 0 else (200, b"ok", {})
    webhooks_dispatch(
        organization=personas.org, event="case.created", payload={"case_id": "x"},
        idempotency_key="case.created:x",
    )  # fmt: skip
    run_ready_tasks()
    # The log holds email contents and Slack/Teams URLs: write keys only.
    assert read.get(f"{path}/deliveries").status_code == 403
    assert read.get("/deliveries").status_code == 403
    (delivery,) = write.get(f"{path}/deliveries").json()["items"]
    assert (delivery["status"], delivery["response_status"]) == ("retrying", 500)
    assert delivery["response_body"] == "down"
    assert delivery["event"] == "case.created"
    assert '"case_id": "x"' in delivery["request"]

    assert read.post(f"/deliveries/{delivery['id']}/redeliver").status_code == 403
    again = write.post(f"/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 202
    run_ready_tasks()
    (sent,) = write.get("/deliveries", {"kind": "webhook", "status": "sent"}).json()["items"]
    assert sent["id"] == delivery["id"] and sent["attempts"] == 2
    ids = {verify_standard_webhook(secret, r.headers, r.body) for r in local.requests}
    assert ids == {delivery["webhook_id"]}

    assert write.get("/deliveries", {"kind": "fax"}).status_code == 400
    assert write.request("DELETE", path).status_code == 204
    assert read.get(path).status_code == 404
