"""Objects for integrations tests and the tenant-isolation walker."""

from __future__ import annotations

from closeloop.accounts.models import Organization
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus, WebhookEndpoint
from closeloop.integrations.webhooks import secret_generate


def isolation_endpoint(organization: Organization) -> WebhookEndpoint:
    """A webhook endpoint of the organization (not dispatched to: no events)."""
    return WebhookEndpoint.objects.create(
        organization=organization,
        url="https://hooks.example.com/closeloop",
        events=[],
        secret=secret_generate(),
    )


def isolation_delivery(organization: Organization) -> Delivery:
    """A failed webhook delivery of the organization."""
    endpoint = isolation_endpoint(organization)
    return Delivery.objects.create(
        organization=organization,
        kind=DeliveryKind.WEBHOOK,
        status=DeliveryStatus.FAILED,
        target=endpoint.url,
        payload={"event": "closeloop.test", "body": "{}", "endpoint_id": str(endpoint.pk)},
        idempotency_key=f"isolation:{endpoint.pk}",
        related_type="webhook_endpoint",
        related_id=str(endpoint.pk),
        attempts=1,
        max_attempts=1,
        last_error="HTTP 500",
    )
