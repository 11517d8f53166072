"""Webhook endpoint pages and the delivery log of every outbound message (email, webhook,
Slack, Teams). Secrets are shown here, so reading needs the API-keys permission too."""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import access_object, org_view
from closeloop.accounts.models import Organization, User
from closeloop.accounts.roles import Perm
from closeloop.core.errors import DomainError
from closeloop.integrations import webhooks
from closeloop.integrations.forms_ui import WebhookEndpointForm
from closeloop.integrations.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    WebhookEndpoint,
)

PAGE_SIZE = 50
PERM = Perm.MANAGE_API_KEYS


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _endpoint(request: HttpRequest, pk: Any) -> WebhookEndpoint:
    return access_object(WebhookEndpoint.objects.all(), organization=_org(request), pk=pk)


def _delivery(request: HttpRequest, pk: Any) -> Delivery:
    return access_object(Delivery.objects.all(), organization=_org(request), pk=pk)


def request_payload(delivery: Delivery) -> str:
    """What was (or will be) sent, readable; never a one-off call's secret."""
    payload = dict(delivery.payload or {})
    payload.pop("secret", None)
    if delivery.kind == DeliveryKind.WEBHOOK and "body" in payload:
        try:
            return json.dumps(json.loads(payload["body"]), indent=2, ensure_ascii=False)
        except ValueError:
            return str(payload["body"])
    if "message" in payload:
        return json.dumps(payload["message"], indent=2, ensure_ascii=False)
    return json.dumps(payload, indent=2, ensure_ascii=False)


@org_view(read=PERM, write=PERM)
def endpoint_list(request: HttpRequest) -> HttpResponse:
    endpoints = webhooks.webhook_endpoint_list(organization=_org(request))
    return render(request, "integrations/ui_endpoints.html", {"endpoints": endpoints})


def _form_view(request: HttpRequest, endpoint: WebhookEndpoint | None) -> HttpResponse:
    org = _org(request)
    initial: dict[str, Any] = {"is_active": True, "events": webhooks.DEFAULT_EVENTS}
    if endpoint is not None:
        initial = {
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "is_active": endpoint.is_active,
        }
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if endpoint is None:
                endpoint = webhooks.webhook_endpoint_create(
                    organization=org, actor=_user(request), **form.cleaned_data
                )
            else:
                webhooks.webhook_endpoint_update(
                    endpoint=endpoint, actor=_user(request), **form.cleaned_data
                )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Webhook endpoint saved."))
            return redirect("integrations_ui:endpoint", org.slug, endpoint.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "integrations/ui_endpoint_form.html",
        {"form": form, "endpoint": endpoint},
        status=status,
    )


@org_view(read=PERM, write=PERM)
def endpoint_new(request: HttpRequest) -> HttpResponse:
    return _form_view(request, None)


@org_view(read=PERM, write=PERM)
def endpoint_edit(request: HttpRequest, webhook_endpoint_id: Any) -> HttpResponse:
    return _form_view(request, _endpoint(request, webhook_endpoint_id))


@org_view(read=PERM, write=PERM)
def endpoint_detail(request: HttpRequest, webhook_endpoint_id: Any) -> HttpResponse:
    endpoint = _endpoint(request, webhook_endpoint_id)
    rows = webhooks.delivery_list(organization=_org(request), endpoint=endpoint)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/ui_endpoint.html",
        {"endpoint": endpoint, "page": page, "event_labels": dict(webhooks.WEBHOOK_EVENTS)},
    )


@org_view(read=PERM, write=PERM)
@require_POST
def endpoint_secret(request: HttpRequest, webhook_endpoint_id: Any) -> HttpResponse:
    endpoint = _endpoint(request, webhook_endpoint_id)
    webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=_user(request))
    messages.success(request, _("A new secret was made: update your receiver."))
    return redirect("integrations_ui:endpoint", _org(request).slug, endpoint.pk)


@org_view(read=PERM, write=PERM)
@require_POST
def endpoint_test(request: HttpRequest, webhook_endpoint_id: Any) -> HttpResponse:
    endpoint = _endpoint(request, webhook_endpoint_id)
    webhooks.webhook_endpoint_send_test(endpoint=endpoint, actor=_user(request))
    messages.success(request, _("A test event is on its way; its delivery appears below."))
    return redirect("integrations_ui:endpoint", _org(request).slug, endpoint.pk)


@org_view(read=PERM, write=PERM)
@require_POST
def endpoint_delete(request: HttpRequest, webhook_endpoint_id: Any) -> HttpResponse:
    endpoint = _endpoint(request, webhook_endpoint_id)
    webhooks.webhook_endpoint_delete(endpoint=endpoint, actor=_user(request))
    messages.success(request, _("Webhook endpoint deleted."))
    return redirect("integrations_ui:list", _org(request).slug)


@org_view(read=PERM, write=PERM)
def delivery_log(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    kind = kind if kind in DeliveryKind.values else ""
    status = status if status in DeliveryStatus.values else ""
    rows = webhooks.delivery_list(organization=_org(request), kind=kind, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/ui_deliveries.html",
        {
            "page": page,
            "kind": kind,
            "status": status,
            "kinds": DeliveryKind.choices,
            "statuses": DeliveryStatus.choices,
        },
    )


@org_view(read=PERM, write=PERM)
def delivery_detail(request: HttpRequest, delivery_id: Any) -> HttpResponse:
    delivery = _delivery(request, delivery_id)
    endpoint = None
    if delivery.related_type == webhooks.RELATED_ENDPOINT:
        endpoint = WebhookEndpoint.objects.filter(
            organization=_org(request), pk=delivery.related_id
        ).first()
    return render(
        request,
        "integrations/ui_delivery.html",
        {
            "delivery": delivery,
            "endpoint": endpoint,
            "request_payload": request_payload(delivery),
            "webhook_id": webhooks.webhook_id(delivery)
            if delivery.kind == DeliveryKind.WEBHOOK
            else "",
        },
    )


@org_view(read=PERM, write=PERM)
@require_POST
def delivery_redeliver(request: HttpRequest, delivery_id: Any) -> HttpResponse:
    delivery = _delivery(request, delivery_id)
    try:
        webhooks.delivery_redeliver(delivery=delivery, actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sending again, with the same message id."))
    return redirect("integrations_ui:delivery", _org(request).slug, delivery.pk)
