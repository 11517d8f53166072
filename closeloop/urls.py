from django.urls import include, path

from closeloop.api.api import api

urlpatterns = [
    path("", include("closeloop.accounts.urls")),
    path("o/<slug:org_slug>/mailbox/", include("closeloop.integrations.urls")),
    path("api/v1/", api.urls),
]
