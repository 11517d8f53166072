"""The public unsubscribe page at /u/<token>/."""

from django.urls import path

from closeloop.contacts import public_views

app_name = "contacts_public"
urlpatterns = [
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
]
