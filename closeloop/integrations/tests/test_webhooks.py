"""Signed webhooks: endpoints from the pages, Standard Webhooks signatures checked by an
independent verifier, retries with the same webhook-id, redelivery, automatic disabling."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from closeloop.core import events
from closeloop.core.worker import run_ready_tasks
from closeloop.integrations import handlers, webhooks
from closeloop.integrations.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    WebhookEndpoint,
)
from closeloop.integrations.notify import webhook_post, webhooks_dispatch
from closeloop.integrations.outbox import deliveries_flush
from closeloop.integrations.tests.conftest import verify_standard_webhook
from closeloop.integrations.tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def _endpoint(personas: Any, url: str, events: list[str] | None = None) -> WebhookEndpoint:
    return webhooks.webhook_endpoint_create(
        organization=personas.org,
        url=url,
        events=events or ["response.completed", "case.created"],
        actor=personas.owner,
    )


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    # The example of the Standard Webhooks specification and its reference libraries.
    assert (
        webhooks.signature(
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp=1614265330,
            body='{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_admin_creates_an_endpoint_in_the_ui_and_sees_its_secret(personas: Any) -> None:
    client = personas.client_for(personas.admin)
    url = reverse("integrations_ui:endpoint_new", args=[personas.org.slug])
    response = client.post(
        url,
        {
            "url": "https://hooks.example.com/cx",
            "description": "CRM",
            "events": ["response.completed", "case.resolved"],
            "is_active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get(organization=personas.org)
    assert response.status_code == 302
    assert endpoint.events == ["response.completed", "case.resolved"]
    assert endpoint.secret.startswith("whsec_")
    page = client.get(reverse("integrations_ui:endpoint", args=[personas.org.slug, endpoint.pk]))
    assert endpoint.secret in page.content.decode()

    old = endpoint.secret
    client.post(reverse("integrations_ui:secret", args=[personas.org.slug, endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")


def test_private_urls_are_refused_by_the_form(personas: Any, settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = False
    client = personas.client_for(personas.owner)
    response = client.post(
        reverse("integrations_ui:endpoint_new", args=[personas.org.slug]),
        {"url": "http://127.0.0.1:9000/x", "events": ["case.created"], "is_active": "on"},
    )
    assert response.status_code == 400
    assert "cannot receive webhooks" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_agents_and_viewers_cannot_see_secrets(personas: Any) -> None:
    endpoint = _endpoint(personas, "https://hooks.example.com/x")
    for user in (personas.agent, personas.viewer, personas.analyst):
        page = personas.client_for(user).get(
            reverse("integrations_ui:endpoint", args=[personas.org.slug, endpoint.pk])
        )
        assert page.status_code == 403


def test_event_is_signed_and_retried_with_the_same_id_until_it_succeeds(
    personas: Any, local: Receiver
) -> None:
    endpoint = _endpoint(personas, local.url + "/hooks")
    local.answer = lambda n: (500, b"boom", {}) if n < 2 else (200, b"thanks", {})
    (delivery,) = webhooks_dispatch(
        organization=personas.org,
        event="case.created",
        payload={"case_id": "c1", "title": "Cold coffee"},
        idempotency_key="case.created:c1",
    )
    run_ready_tasks()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING
    assert (delivery.response_status, delivery.response_body) == (500, "boom")
    assert delivery.last_error == "DeliveryError: HTTP 500"
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None

    for _ in range(2):
        deliveries_flush(now=Delivery.objects.get(pk=delivery.pk).next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert (delivery.attempts, delivery.response_body) == (3, "thanks")
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None

    ids = {verify_standard_webhook(endpoint.secret, r.headers, r.body) for r in local.requests}
    assert ids == {f"msg_{delivery.pk.hex}"}
    assert len(local.requests) == 3
    body = json.loads(local.requests[0].body)
    assert body["type"] == "case.created"
    assert body["data"] == {"case_id": "c1", "title": "Cold coffee"}
    assert body["timestamp"].endswith("Z")
    assert delivery.request_headers["webhook-id"] == f"msg_{delivery.pk.hex}"


def test_dispatch_is_idempotent_and_only_to_subscribed_active_endpoints(
    personas: Any, local: Receiver
) -> None:
    subscribed = _endpoint(personas, local.url + "/a", ["case.created"])
    _endpoint(personas, local.url + "/b", ["case.resolved"])
    off = _endpoint(personas, local.url + "/c", ["case.created"])
    webhooks.webhook_endpoint_update(endpoint=off, is_active=False)
    first = webhooks_dispatch(
        organization=personas.org, event="case.created", payload={}, idempotency_key="k1"
    )
    again = webhooks_dispatch(
        organization=personas.org, event="case.created", payload={}, idempotency_key="k1"
    )
    assert [d.pk for d in first] == [d.pk for d in again]
    assert [d.related_id for d in first] == [str(subscribed.pk)]
    run_ready_tasks()
    assert [r.path for r in local.requests] == ["/a"]


def test_retries_follow_a_schedule_of_about_a_day(personas: Any, local: Receiver) -> None:
    _endpoint(personas, local.url + "/x")
    local.answer = lambda n: (503, b"", {})
    (delivery,) = webhooks_dispatch(
        organization=personas.org, event="case.created", payload={}, idempotency_key="k"
    )
    start = timezone.now()
    run_ready_tasks()
    now = start
    while True:
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.RETRYING:
            break
        now = delivery.next_attempt_at
        deliveries_flush(now=now)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == webhooks.webhook_max_attempts()
    assert timedelta(hours=18) <= now - start <= timedelta(hours=30)


def test_redeliver_from_the_log_sends_the_same_webhook_id(personas: Any, local: Receiver) -> None:
    endpoint = _endpoint(personas, local.url + "/x")
    (delivery,) = webhooks_dispatch(
        organization=personas.org, event="case.created", payload={"n": 1}, idempotency_key="k"
    )
    run_ready_tasks()
    client = personas.client_for(personas.owner)
    page = client.get(reverse("integrations_ui:delivery", args=[personas.org.slug, delivery.pk]))
    assert f"msg_{delivery.pk.hex}" in page.content.decode()
    response = client.post(
        reverse("integrations_ui:redeliver", args=[personas.org.slug, delivery.pk])
    )
    assert response.status_code == 302
    run_ready_tasks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(local.requests) == 2
    ids = [verify_standard_webhook(endpoint.secret, r.headers, r.body) for r in local.requests]
    assert ids[0] == ids[1] == webhooks.webhook_id(delivery)
    assert local.requests[0].body == local.requests[1].body


def test_endpoint_failing_for_days_is_disabled_and_admins_are_told(
    personas: Any, local: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_DISABLE_AFTER_DAYS = 3
    endpoint = _endpoint(personas, local.url + "/x")
    local.answer = lambda n: (500, b"", {})
    webhooks_dispatch(
        organization=personas.org, event="case.created", payload={}, idempotency_key="a"
    )
    run_ready_tasks()
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since is not None
    # Three days of failures later (the clock moved; every retry failed)...
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=3, minutes=1)
    )
    webhooks_dispatch(
        organization=personas.org, event="case.created", payload={}, idempotency_key="b"
    )
    run_ready_tasks()
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at is not None and "3 days" in endpoint.disabled_reason
    notices = Delivery.objects.filter(kind=DeliveryKind.EMAIL, organization=personas.org)
    assert sorted(d.target for d in notices) == ["admin@acme.test", "owner@acme.test"]
    assert endpoint.url in notices[0].payload["subject"]
    # closeloop's own notice, not the organization writing: closeloop's sender.
    assert {d.payload["from"] for d in notices} == {settings.DEFAULT_FROM_EMAIL}
    # Nothing more goes to a disabled endpoint; the retry still pending was cancelled.
    assert not webhooks_dispatch(
        organization=personas.org, event="case.created", payload={}, idempotency_key="c"
    )
    assert not Delivery.objects.filter(
        kind=DeliveryKind.WEBHOOK, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
    ).exists()
    # Turning it on again clears the disabling.
    webhooks.webhook_endpoint_update(endpoint=endpoint, is_active=True)
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_at is None and endpoint.failing_since is None


def test_the_hourly_sweep_disables_silent_failing_endpoints(personas: Any) -> None:
    endpoint = _endpoint(personas, "https://hooks.example.com/x")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=4)
    )
    assert webhooks.endpoints_disable_failing() == 1
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_send_test_event_from_the_page(personas: Any, local: Receiver) -> None:
    endpoint = _endpoint(personas, local.url + "/x")
    client = personas.client_for(personas.owner)
    client.post(reverse("integrations_ui:test", args=[personas.org.slug, endpoint.pk]))
    run_ready_tasks()
    (request,) = local.requests
    verify_standard_webhook(endpoint.secret, request.headers, request.body)
    assert json.loads(request.body)["type"] == "closeloop.test"
    log = client.get(reverse("integrations_ui:deliveries", args=[personas.org.slug]))
    assert "closeloop.test" in log.content.decode()


def test_a_refused_address_fails_at_once(personas: Any, settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    endpoint = _endpoint(personas, "http://10.20.30.40/x")
    settings.OUTBOUND_ALLOW_PRIVATE = False
    (delivery,) = webhooks_dispatch(
        organization=personas.org, event="case.created", payload={}, idempotency_key="k"
    )
    run_ready_tasks()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "not a public address" in delivery.last_error
    assert endpoint.pk


def test_one_off_webhook_post_is_signed_with_the_given_secret(
    personas: Any, local: Receiver
) -> None:
    secret = webhooks.secret_generate()
    delivery = webhook_post(
        organization=personas.org,
        url=local.url + "/one-off",
        payload={"type": "automation.action", "case": "c9"},
        secret=secret,
        idempotency_key="rule:1:response:2",
    )
    run_ready_tasks()
    (request,) = local.requests
    assert verify_standard_webhook(secret, request.headers, request.body) == webhooks.webhook_id(
        delivery
    )
    assert json.loads(request.body) == {"type": "automation.action", "case": "c9"}
    page = personas.client_for(personas.owner).get(
        reverse("integrations_ui:delivery", args=[personas.org.slug, delivery.pk])
    )
    assert secret not in page.content.decode()


def test_contact_unsubscribed_is_sent(
    personas: Any, local: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from closeloop.contacts.services import contact_unsubscribe
    from closeloop.contacts.tests.factories import make_contact

    endpoint = _endpoint(personas, local.url + "/x", ["contact.unsubscribed"])
    contact = make_contact(personas.org, first_name="Minji", email="minji@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        contact_unsubscribe(contact=contact, via="link")
    run_ready_tasks()
    (request,) = local.requests
    verify_standard_webhook(endpoint.secret, request.headers, request.body)
    body = json.loads(request.body)
    assert body["type"] == "contact.unsubscribed"
    assert body["data"]["contact_id"] == str(contact.pk)
    assert body["data"]["email"] == "minji@example.com"


def test_response_completed_is_sent(
    personas: Any, local: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from closeloop.responses.services import response_create_complete
    from closeloop.responses.testing import five_question_definition, publish_survey

    endpoint = _endpoint(personas, local.url + "/x", ["response.completed"])
    survey = publish_survey(personas.org, five_question_definition(), name="Visit")
    with django_capture_on_commit_callbacks(execute=True):
        response = response_create_complete(survey=survey, answers={"q1": 3, "q2": 2})
    run_ready_tasks()
    (request,) = local.requests
    verify_standard_webhook(endpoint.secret, request.headers, request.body)
    data = json.loads(request.body)["data"]
    assert data["response_id"] == str(response.pk)
    assert (data["nps"], data["survey_name"]) == (3, "Visit")
    assert data["answers"]["q1"] == 3


def test_the_same_case_change_twice_is_sent_twice(
    personas: Any, local: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from closeloop.cases.services import case_transition
    from closeloop.cases.tests.factories import make_case

    _endpoint(personas, local.url + "/x", ["case.changed"])
    case = make_case(personas.org, title="Cold coffee")
    for status in ("open", "waiting_on_customer", "open", "waiting_on_customer"):
        with django_capture_on_commit_callbacks(execute=True):
            case = case_transition(case=case, to_status=status, actor=personas.agent)
    run_ready_tasks()
    statuses = [json.loads(r.body)["data"].get("changes") for r in local.requests]
    assert len(local.requests) == 4, statuses
    assert len({r.headers["webhook-id"] for r in local.requests}) == 4


def _emitted_event_names() -> set[str]:
    """Every event name the code emits: `events.emit("x", ...)` or the cases' `_emit("x", ...)`."""
    package = Path(webhooks.__file__).resolve().parent.parent
    names: set[str] = set()
    for path in package.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        names |= set(re.findall(r"(?:\b|_)emit\(\s*[\"']([a-z_]+\.[a-z_]+)[\"']", path.read_text()))
    return names


def test_every_emitted_event_can_be_chosen_and_is_sent() -> None:
    emitted = _emitted_event_names()
    assert {"response.completed", "case.reopened", "contact.unsubscribed"} <= emitted
    assert emitted <= set(webhooks.EVENT_NAMES), emitted - set(webhooks.EVENT_NAMES)
    for name in webhooks.EVENT_NAMES:
        senders = [h for h in events.handlers_for(name) if h.__module__ == handlers.__name__]
        assert senders, f"nothing sends {name} to endpoints"


def test_the_form_offers_every_event(personas: Any) -> None:
    client = personas.client_for(personas.admin)
    page = client.get(reverse("integrations_ui:endpoint_new", args=[personas.org.slug]))
    form = page.context["form"]
    assert [name for name, _label in form.fields["events"].choices] == webhooks.EVENT_NAMES
    assert "case.reopened" in form.initial["events"]
    # The busiest (every survey started, every row of an import): ticked by choice only.
    assert not {"response.started", "response.imported"} & set(form.initial["events"])
    html = page.content.decode()
    assert 'value="case.reopened"' in html and 'value="survey.published"' in html


def test_the_api_takes_and_documents_every_event(personas: Any, writer: Any) -> None:
    created = writer.post(
        "/webhook-endpoints",
        {"url": "https://hooks.example.com/x", "events": ["case.reopened", "survey.published"]},
    )
    assert created.status_code == 201, created.content
    assert created.json()["events"] == ["survey.published", "case.reopened"]
    schema = writer.get("/openapi.json").json()["components"]["schemas"]
    assert schema["EndpointIn"]["properties"]["events"]["items"]["enum"] == webhooks.EVENT_NAMES


def test_a_case_reopened_by_the_customer_is_sent(
    personas: Any, local: Receiver, settings: Any
) -> None:
    from django.test import Client

    from closeloop.cases.followup import follow_up_url
    from closeloop.cases.tests.factories import customer_case, root_cause

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    client = personas.client_for(personas.admin)
    client.post(
        reverse("integrations_ui:endpoint_new", args=[personas.org.slug]),
        {"url": local.url + "/hooks", "events": ["case.reopened"], "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get(organization=personas.org)
    case = customer_case(personas.org)
    personas.client_for(personas.agent).post(
        reverse("cases:resolve", args=[personas.org.slug, case.pk]),
        {"root_cause": root_cause(personas.org).pk, "note": "Refunded."},
    )
    case.refresh_from_db()
    # The customer answers "no" to the follow-up survey: the case is reopened.
    customer, link = Client(), follow_up_url(case, resolved="no")
    assert customer.get(link).status_code == 200
    assert customer.post(link, {"resolved": "no"}).status_code == 200
    run_ready_tasks()
    (request,) = local.requests
    verify_standard_webhook(endpoint.secret, request.headers, request.body)
    body = json.loads(request.body)
    assert body["type"] == "case.reopened"
    assert (body["data"]["case_id"], body["data"]["status"]) == (str(case.pk), "reopened")


def test_survey_published_and_response_started_are_sent(
    personas: Any, local: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import Client

    from closeloop.responses.models import Response
    from closeloop.responses.testing import (
        FIVE_ANSWERS,
        five_question_definition,
        form_state,
        publish_survey,
    )

    endpoint = _endpoint(personas, local.url + "/x", ["survey.published", "response.started"])
    with django_capture_on_commit_callbacks(execute=True):
        survey = publish_survey(personas.org, five_question_definition(), name="Visit")
    # A respondent answers the first page of the survey.
    respondent, url = Client(), f"/s/{survey.public_token}/"
    key, nonce = form_state(respondent.get(url).content.decode())
    assert (
        respondent.post(url, {"_page": key, "_nonce": nonce, **FIVE_ANSWERS[0]}).status_code == 303
    )
    response = Response.objects.get(survey=survey)
    run_ready_tasks()
    bodies = {}
    for request in local.requests:
        verify_standard_webhook(endpoint.secret, request.headers, request.body)
        body = json.loads(request.body)
        bodies[body["type"]] = body["data"]
    assert bodies["survey.published"]["survey_id"] == str(survey.pk)
    assert (bodies["survey.published"]["name"], bodies["survey.published"]["version"]) == (
        "Visit",
        1,
    )
    assert bodies["survey.published"]["published_at"]
    started = bodies["response.started"]
    assert (started["response_id"], started["survey_name"]) == (str(response.pk), "Visit")
    assert started["started_at"]


def test_an_imported_past_response_is_sent_as_response_imported(
    personas: Any, local: Receiver, writer: Any
) -> None:
    from closeloop.responses.testing import five_question_definition, publish_survey

    endpoint = _endpoint(personas, local.url + "/x", ["response.completed", "response.imported"])
    survey = publish_survey(personas.org, five_question_definition(), name="Visit")
    created = writer.post(
        f"/surveys/{survey.pk}/responses",
        {"answers": {"q1": 9, "q2": 4}, "historical": True, "completed_at": "2025-03-01T10:00:00Z"},
    )
    assert created.status_code == 201, created.content
    run_ready_tasks()
    (request,) = local.requests
    verify_standard_webhook(endpoint.secret, request.headers, request.body)
    body = json.loads(request.body)
    assert body["type"] == "response.imported"
    assert (body["data"]["response_id"], body["data"]["nps"]) == (created.json()["id"], 9)


def test_comment_enriched_is_sent_with_its_sentiment_and_themes(
    personas: Any, local: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from closeloop.text.services import comment_create

    endpoint = _endpoint(personas, local.url + "/x", ["comment.enriched"])
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(
            organization=personas.org, text="배송이 너무 늦게 왔어요. 실망입니다.", score=2
        )
    for _round in range(3):  # enrichment, then the event's webhook
        with django_capture_on_commit_callbacks(execute=True):
            run_ready_tasks()
    (request,) = local.requests
    verify_standard_webhook(endpoint.secret, request.headers, request.body)
    data = json.loads(request.body)["data"]
    assert data["comment_id"] == str(comment.pk)
    assert data["language"] == "ko" and data["sentiment"] == "negative"
    assert "delivery" in data["themes"]
