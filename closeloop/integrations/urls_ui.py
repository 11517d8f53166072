"""Webhook endpoints and the delivery log, under /o/<org_slug>/integrations/."""

from django.urls import path

from closeloop.integrations import views_ui as views

app_name = "integrations_ui"
urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("webhooks/new/", views.endpoint_new, name="endpoint_new"),
    path("webhooks/<uuid:webhook_endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path("webhooks/<uuid:webhook_endpoint_id>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("webhooks/<uuid:webhook_endpoint_id>/secret/", views.endpoint_secret, name="secret"),
    path("webhooks/<uuid:webhook_endpoint_id>/test/", views.endpoint_test, name="test"),
    path("webhooks/<uuid:webhook_endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path("deliveries/", views.delivery_log, name="deliveries"),
    path("deliveries/<uuid:delivery_id>/", views.delivery_detail, name="delivery"),
    path("deliveries/<uuid:delivery_id>/redeliver/", views.delivery_redeliver, name="redeliver"),
]
