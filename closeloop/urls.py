from django.urls import include, path

from closeloop.api.api import api

urlpatterns = [
    path("", include("closeloop.accounts.urls")),
    path("", include("closeloop.responses.public_urls")),
    path("", include("closeloop.contacts.public_urls")),
    path("o/<slug:org_slug>/surveys/", include("closeloop.surveys.urls")),
    path("o/<slug:org_slug>/responses/", include("closeloop.responses.urls")),
    path("o/<slug:org_slug>/contacts/", include("closeloop.contacts.urls")),
    path("o/<slug:org_slug>/mailbox/", include("closeloop.integrations.urls")),
    path("o/<slug:org_slug>/journey/", include("closeloop.distribution.urls_journey")),
    path("o/<slug:org_slug>/campaigns/", include("closeloop.distribution.urls_campaigns")),
    path("o/<slug:org_slug>/events/", include("closeloop.distribution.urls_events")),
    path("o/<slug:org_slug>/widgets/", include("closeloop.distribution.urls_widgets")),
    path("", include("closeloop.distribution.urls_widget_public")),
    path("", include("closeloop.distribution.urls_tracking")),
    path("o/<slug:org_slug>/integrations/", include("closeloop.integrations.urls_ui")),
    path("o/<slug:org_slug>/advocacy/", include("closeloop.advocacy.urls")),
    path("", include("closeloop.advocacy.public_urls")),
    path("o/<slug:org_slug>/automation/", include("closeloop.automation.urls")),
    path("o/<slug:org_slug>/cases/", include("closeloop.cases.urls")),
    path("o/<slug:org_slug>/inbox/", include("closeloop.cases.urls_inbox")),
    path("", include("closeloop.cases.urls_public")),
    path("o/<slug:org_slug>/analytics/", include("closeloop.analytics.urls")),
    path("", include("closeloop.analytics.urls_public")),
    path("o/<slug:org_slug>/text/", include("closeloop.text.urls")),
    path("api/v1/", api.urls),
]
