"""What rules send out: webhook URLs checked on save, every webhook call signed (a secret made
and shown once), and consent checked again when an email to the respondent leaves the outbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.urls import reverse

from closeloop.api.testing import ApiClient
from closeloop.automation.engine import event_run
from closeloop.automation.models import Rule, RuleRun
from closeloop.automation.tests.factories import answer, make_rule, make_survey
from closeloop.contacts.services import contact_unsubscribe
from closeloop.contacts.tests.factories import make_contact
from closeloop.integrations.models import Delivery, DeliveryStatus
from closeloop.integrations.outbox import deliveries_flush
from closeloop.integrations.tests.receiver import receiver
from conftest import Personas

pytestmark = pytest.mark.django_db


def run_rules(response: Any) -> None:
    """What the background task does for a completed response."""
    event_run(trigger="response.completed", subject_type="response",
              subject_id=str(response.pk), event_key=str(response.pk))  # fmt: skip


def webhook_rule(url: str, **params: Any) -> dict[str, Any]:
    return {"name": "CRM hook", "actions": [{"type": "webhook", "params": {"url": url, **params}}]}


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.0.0.7/hook",
     "http://[::1]/hook", "http://169.254.169.254/latest/meta-data"],
)  # fmt: skip
def test_private_webhook_urls_are_refused_on_save(
    personas: Personas, writer: ApiClient, url: str
) -> None:
    refused = writer.post("/automation/rules", webhook_rule(url))
    assert refused.status_code == 400
    assert refused.json()["field"] == "actions[0].params.url"
    assert "not a public address" in refused.json()["detail"] or "local" in refused.json()["detail"]
    slack = writer.post(
        "/automation/rules",
        {"name": "Slack", "actions": [{"type": "slack", "params": {"webhook_url": url}}]},
    )
    assert slack.status_code == 400 and slack.json()["field"] == "actions[0].params.webhook_url"


def test_the_operator_may_allow_private_webhook_urls(
    personas: Personas, writer: ApiClient, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert writer.post("/automation/rules", webhook_rule("http://10.0.0.7/hook")).status_code == 201


def test_the_form_refuses_a_private_webhook_url(personas: Personas) -> None:
    page = personas.client_for(personas.analyst).post(
        reverse("automation:new", args=[personas.org.slug]),
        {"name": "Hook", "trigger": "response.completed", "match": "all",
         "a-0-type": "webhook", "a-0-order": "1", "a-0-url": "http://192.168.1.10/x"},
    )  # fmt: skip
    assert page.status_code == 400
    assert "actions[0].params.url" in page.content.decode()
    assert not Rule.objects.filter(name="Hook").exists()


def verify(secret: str, headers: dict[str, str], body: bytes) -> None:
    """Standard Webhooks verification, written here independently of closeloop's signer."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert expected in headers["webhook-signature"].split(" ")


def test_a_webhook_without_a_secret_gets_one_shown_once_and_every_call_is_signed(
    personas: Personas, writer: ApiClient, reader: ApiClient, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver of this test listens on 127.0.0.1
    with receiver() as server:
        created = writer.post("/automation/rules", webhook_rule(f"{server.url}/hook"))
        assert created.status_code == 201, created.content
        [revealed] = created.json()["revealed_secrets"]
        assert revealed["action"] == 0 and revealed["secret"].startswith("whsec_")
        secret = revealed["secret"]
        rule_id = created.json()["id"]
        # Afterwards it is only ever shown shortened.
        again = reader.get(f"/automation/rules/{rule_id}").json()
        assert again["revealed_secrets"] == []
        assert again["actions"][0]["params"]["secret"] == f"…{secret[-4:]}"
        # Sending the shortened value back keeps it (no new secret is made).
        kept = writer.patch(f"/automation/rules/{rule_id}", {"actions": again["actions"]})
        assert kept.json()["revealed_secrets"] == []
        assert Rule.objects.get(pk=rule_id).actions[0]["params"]["secret"] == secret

        response = answer(make_survey(personas.org), nps=4, comment="Slow")
        run_rules(response)
        assert deliveries_flush() == 1
        [request] = server.requests
    verify(secret, request.headers, request.body)
    payload = json.loads(request.body)
    assert payload["type"] == "automation.response.completed"
    assert payload["response"]["id"] == str(response.pk)


def test_the_rule_page_shows_a_new_secret_once(personas: Personas, settings: Any) -> None:
    client = personas.client_for(personas.analyst)
    saved = client.post(
        reverse("automation:new", args=[personas.org.slug]),
        {"name": "Hook", "trigger": "response.completed", "match": "all", "is_active": "on",
         "a-0-type": "webhook", "a-0-order": "1", "a-0-url": "https://hooks.example.com/cx"},
    )  # fmt: skip
    assert saved.status_code == 302, saved.content.decode()[:2000]
    secret = Rule.objects.get(name="Hook").actions[0]["params"]["secret"]
    first = client.get(saved["Location"]).content.decode()
    assert 'data-testid="revealed-secrets"' in first and secret in first
    second = client.get(saved["Location"]).content.decode()
    assert secret not in second and f"…{secret[-4:]}" in second


def test_an_email_to_the_respondent_is_not_sent_after_they_unsubscribe(
    personas: Personas,
) -> None:
    survey = make_survey(personas.org)
    rule = make_rule(
        personas.org,
        [{"type": "nps_category", "value": ["detractor"]}],
        [{"type": "email_respondent",
          "params": {"subject": {"en": "Sorry"}, "body": {"en": "We read: {{first_comment}}"}}}],
    )  # fmt: skip
    stays = make_contact(personas.org, email="stays@example.com")
    leaves = make_contact(personas.org, email="leaves@example.com")
    for contact in (stays, leaves):
        run_rules(answer(survey, nps=2, comment="Late", contact_id=contact.pk))
    runs = {r.subject_id: r for r in RuleRun.objects.filter(rule=rule)}
    assert all(r.action_results[0]["status"] == "ok" for r in runs.values())

    # The email waits in the outbox (quiet hours, a retry) while the customer unsubscribes.
    contact_unsubscribe(contact=leaves, via="link")
    deliveries_flush()

    sent = Delivery.objects.get(target="stays@example.com")
    stopped = Delivery.objects.get(target="leaves@example.com")
    assert sent.status == DeliveryStatus.SENT
    assert stopped.status == DeliveryStatus.CANCELLED
    assert stopped.last_error == "contact unsubscribed"
    run = RuleRun.objects.get(rule=rule, subject_id=str(stopped_response(leaves)))
    assert run.action_results[0]["status"] == "skipped"
    assert run.action_results[0]["detail"] == (
        "Not sent: the contact unsubscribed before it went out."
    )
    html = personas.client_for(personas.viewer).get(
        reverse("automation:runs", args=[personas.org.slug]), {"rule": str(rule.pk)}
    )
    assert "the contact unsubscribed before it went out" in html.content.decode()


def stopped_response(contact: Any) -> Any:
    from closeloop.responses.models import Response

    return Response.objects.get(contact_id=contact.pk).pk
