from django.urls import path

from closeloop.integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.mailbox, name="mailbox"),
    path("<uuid:message_id>/", views.mailbox_message, name="mailbox_message"),
]
