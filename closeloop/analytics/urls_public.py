"""Public analytics pages: a dashboard opened by its secret share link (no login, no org path)."""

from django.urls import URLPattern, path

from closeloop.analytics import views_dashboards as dash
from closeloop.analytics.views_drivers import PLOTLY_VERSION

app_name = "analytics_public"
urlpatterns: list[URLPattern] = [
    path("d/<str:token>/", dash.shared_dashboard, name="dashboard"),
    path("d/<str:token>/widgets/<uuid:widget_id>/", dash.shared_widget, name="widget"),
    path("d/<str:token>/report/", dash.shared_report, name="report"),
    path(f"d/<str:token>/plotly-{PLOTLY_VERSION}.min.js", dash.shared_plotly, name="plotly_js"),
]
