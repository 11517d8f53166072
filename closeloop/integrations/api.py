"""REST endpoints for webhook endpoints and the delivery log (with redelivery).

An endpoint's signing secret is only shown to write-scope keys."""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from closeloop.accounts.access import access_object
from closeloop.accounts.choices import ApiKeyScope
from closeloop.api.auth import api_key, api_org, write_required
from closeloop.api.pagination import CursorPagination
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError
from closeloop.integrations import webhooks
from closeloop.integrations.models import Delivery, DeliveryKind, DeliveryStatus, WebhookEndpoint
from closeloop.integrations.views_ui import request_payload

router = Router(tags=["webhooks"])

# The catalog in the schema (an enum of the items); the service refuses other names, naming
# the field, with the list.
EVENTS_SCHEMA: dict[str, Any] = {"items": {"type": "string", "enum": webhooks.EVENT_NAMES}}
EVENTS_OR_NULL: dict[str, Any] = {"anyOf": [{"type": "array", **EVENTS_SCHEMA}, {"type": "null"}]}
EVENTS_HELP = f"Events to send, any of: {', '.join(webhooks.EVENT_NAMES)}."


class EndpointIn(Schema):
    url: str = Field(max_length=1000, description="http(s) URL that receives signed events.")
    events: list[str] = Field(description=EVENTS_HELP, json_schema_extra=EVENTS_SCHEMA)
    description: str = Field("", max_length=300)
    is_active: bool = True


class EndpointPatch(Schema):
    url: str | None = Field(None, max_length=1000)
    events: list[str] | None = Field(
        None, description=EVENTS_HELP, json_schema_extra=EVENTS_OR_NULL
    )
    description: str | None = Field(None, max_length=300)
    is_active: bool | None = Field(None, description="true again clears an automatic disabling.")
    rotate_secret: bool = Field(False, description="Replace the signing secret.")


class EndpointOut(Schema):
    id: uuid.UUID
    url: str
    description: str
    events: list[str]
    secret: str | None = Field(
        description='The signing secret ("whsec_" + base64); null for a read-scope key.'
    )
    is_active: bool
    disabled_at: dt.datetime | None
    disabled_reason: str
    failing_since: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_secret(obj: WebhookEndpoint, context: dict[str, Any]) -> str | None:
        key = getattr(context.get("request"), "api_key", None)
        return obj.secret if getattr(key, "scope", "") == ApiKeyScope.WRITE else None


class DeliveryOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    target: str
    webhook_id: str | None = Field(description="The webhook-id header (webhooks only).")
    event: str | None
    request: str = Field(description="What is sent (a webhook's JSON body, a message).")
    request_headers: dict[str, str]
    attempts: int
    max_attempts: int
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    response_status: int | None
    response_body: str
    last_error: str
    created_at: dt.datetime

    @staticmethod
    def resolve_webhook_id(obj: Delivery) -> str | None:
        return webhooks.webhook_id(obj) if obj.kind == DeliveryKind.WEBHOOK else None

    @staticmethod
    def resolve_event(obj: Delivery) -> str | None:
        return (obj.payload or {}).get("event") or None

    @staticmethod
    def resolve_request(obj: Delivery) -> str:
        return request_payload(obj)

    @staticmethod
    def resolve_request_headers(obj: Delivery) -> dict[str, str]:
        return {str(k): str(v) for k, v in (obj.request_headers or {}).items()}


def _endpoint(request: HttpRequest, pk: uuid.UUID) -> WebhookEndpoint:
    return access_object(WebhookEndpoint.objects.all(), organization=api_org(request), pk=pk)


@router.get(
    "/webhook-endpoints",
    response=with_errors({200: list[EndpointOut]}, 400, 422),
)
@paginate(CursorPagination)
def webhook_endpoints_list(request: HttpRequest) -> QuerySet[WebhookEndpoint]:
    """The organization's webhook endpoints (secrets only for a write-scope key)."""
    return webhooks.webhook_endpoint_list(organization=api_org(request))


@router.post(
    "/webhook-endpoints",
    response=with_errors({201: EndpointOut}, 400, 403, 422),
    auth=write_required,
)
def webhook_endpoints_create(request: HttpRequest, payload: EndpointIn) -> Status[WebhookEndpoint]:
    """Add an endpoint; the answer carries its new signing secret (write scope)."""
    endpoint = webhooks.webhook_endpoint_create(
        organization=api_org(request), api_key=api_key(request), **payload.dict()
    )
    return Status(201, endpoint)


@router.get(
    "/webhook-endpoints/{webhook_endpoint_id}",
    response=with_errors({200: EndpointOut}, 404),
)
def webhook_endpoints_detail(request: HttpRequest, webhook_endpoint_id: uuid.UUID) -> Any:
    """One endpoint (its secret only for a write-scope key)."""
    return _endpoint(request, webhook_endpoint_id)


@router.patch(
    "/webhook-endpoints/{webhook_endpoint_id}",
    response=with_errors({200: EndpointOut}, 400, 403, 404, 422),
    auth=write_required,
)
def webhook_endpoints_update(
    request: HttpRequest, webhook_endpoint_id: uuid.UUID, payload: EndpointPatch
) -> Any:
    """Change an endpoint; `is_active: true` turns a disabled one on again (write scope)."""
    endpoint = _endpoint(request, webhook_endpoint_id)
    data = payload.dict(exclude_unset=True)
    rotate = data.pop("rotate_secret", False)
    endpoint = webhooks.webhook_endpoint_update(endpoint=endpoint, api_key=api_key(request), **data)
    if rotate:
        endpoint = webhooks.webhook_endpoint_rotate_secret(
            endpoint=endpoint, api_key=api_key(request)
        )
    return endpoint


@router.delete(
    "/webhook-endpoints/{webhook_endpoint_id}",
    response=with_errors({204: None}, 403, 404),
    auth=write_required,
)
def webhook_endpoints_delete(request: HttpRequest, webhook_endpoint_id: uuid.UUID) -> Status[None]:
    """Delete an endpoint; its unsent deliveries are cancelled (write scope)."""
    webhooks.webhook_endpoint_delete(
        endpoint=_endpoint(request, webhook_endpoint_id), api_key=api_key(request)
    )
    return Status(204, None)


@router.get(
    "/webhook-endpoints/{webhook_endpoint_id}/deliveries",
    response=with_errors({200: list[DeliveryOut]}, 400, 403, 404, 422),
    auth=write_required,
)
@paginate(CursorPagination)
def webhook_endpoint_deliveries(
    request: HttpRequest, webhook_endpoint_id: uuid.UUID
) -> QuerySet[Delivery]:
    """Deliveries to one endpoint, oldest first, with request and response."""
    endpoint = _endpoint(request, webhook_endpoint_id)
    return webhooks.delivery_list(organization=api_org(request), endpoint=endpoint)


@router.get(
    "/deliveries",
    response=with_errors({200: list[DeliveryOut]}, 400, 403, 422),
    auth=write_required,
)
@paginate(CursorPagination)
def deliveries_list(request: HttpRequest, kind: str = "", status: str = "") -> QuerySet[Delivery]:
    """Every outbound message of the organization (email, webhook, slack, teams), oldest first.
    Needs a write key: payloads hold email contents and Slack or Teams webhook URLs."""
    if kind and kind not in DeliveryKind.values:
        raise DomainError(
            _("Unknown kind; use one of: %(list)s") % {"list": ", ".join(DeliveryKind.values)},
            field="kind",
        )
    if status and status not in DeliveryStatus.values:
        raise DomainError(
            _("Unknown status; use one of: %(list)s") % {"list": ", ".join(DeliveryStatus.values)},
            field="status",
        )
    return webhooks.delivery_list(organization=api_org(request), kind=kind, status=status)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response=with_errors({202: DeliveryOut}, 403, 404, 409),
    auth=write_required,
)
def deliveries_redeliver(request: HttpRequest, delivery_id: uuid.UUID) -> Status[Delivery]:
    """Send a delivery once more, with the same webhook-id (write scope)."""
    delivery = access_object(Delivery.objects.all(), organization=api_org(request), pk=delivery_id)
    delivery = webhooks.delivery_redeliver(delivery=delivery, api_key=api_key(request))
    return Status(202, delivery)
