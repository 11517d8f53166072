"""Analytics pages, under /o/<org_slug>/analytics/."""

from django.urls import URLPattern, URLResolver, path

from closeloop.analytics import views_alerts, views_drivers, views_exports
from closeloop.analytics import views_dashboards as dash

app_name = "analytics"
urlpatterns: list[URLPattern | URLResolver] = [
    path("drivers/", views_drivers.drivers_view, name="drivers"),
    path(
        f"assets/plotly-{views_drivers.PLOTLY_VERSION}.min.js",
        views_drivers.plotly_js_view,
        name="plotly_js",
    ),
    # Dashboards (views_dashboards.py)
    path("", dash.overview, name="overview"),
    path("dashboards/", dash.dashboard_list, name="dashboards"),
    path("dashboards/new/", dash.dashboard_new, name="dashboard_new"),
    path("dashboards/<uuid:dashboard_id>/", dash.dashboard_detail, name="dashboard"),
    path("dashboards/<uuid:dashboard_id>/edit/", dash.dashboard_edit, name="dashboard_edit"),
    path(
        "dashboards/<uuid:dashboard_id>/filters/",
        dash.dashboard_save_filters,
        name="dashboard_filters",
    ),
    path("dashboards/<uuid:dashboard_id>/delete/", dash.dashboard_delete, name="dashboard_delete"),
    path("dashboards/<uuid:dashboard_id>/share/", dash.dashboard_share, name="dashboard_share"),
    path("dashboards/<uuid:dashboard_id>/report/", dash.dashboard_report, name="dashboard_report"),
    path("dashboards/<uuid:dashboard_id>/widgets/add/", dash.widget_add, name="widget_add"),
    path(
        "dashboards/<uuid:dashboard_id>/widgets/<uuid:dashboard_widget_id>/",
        dash.widget_detail,
        name="widget",
    ),
    path(
        "dashboards/<uuid:dashboard_id>/widgets/<uuid:dashboard_widget_id>/edit/",
        dash.widget_edit,
        name="widget_edit",
    ),
    path(
        "dashboards/<uuid:dashboard_id>/widgets/<uuid:dashboard_widget_id>/remove/",
        dash.widget_remove,
        name="widget_remove",
    ),
    path(
        "dashboards/<uuid:dashboard_id>/widgets/<uuid:dashboard_widget_id>/move/",
        dash.widget_move,
        name="widget_move",
    ),
]
# Exports (views_exports.py)
urlpatterns += [
    path("exports/", views_exports.export_list_view, name="exports"),
    path("exports/<uuid:export_id>/", views_exports.export_detail_view, name="export"),
    path(
        "exports/<uuid:export_id>/download/",
        views_exports.export_download_view,
        name="export_download",
    ),
]
# Alerts, digests, targets and business metrics (views_alerts.py)
urlpatterns += [
    path("alerts/", views_alerts.alerts_view, name="alerts"),
    path("alerts/new/", views_alerts.alert_rule_new, name="alert_new"),
    path("alerts/events/", views_alerts.alert_events_view, name="alert_events"),
    path("alerts/<uuid:alert_rule_id>/", views_alerts.alert_rule_edit, name="alert_edit"),
    path(
        "alerts/<uuid:alert_rule_id>/toggle/",
        views_alerts.alert_rule_toggle,
        name="alert_toggle",
    ),
    path("alerts/<uuid:alert_rule_id>/check/", views_alerts.alert_rule_check, name="alert_check"),
    path("targets/", views_alerts.targets_view, name="targets"),
    path("targets/<uuid:target_id>/", views_alerts.target_edit, name="target_edit"),
    path("digest/", views_alerts.digest_view, name="digest"),
    path(
        "digest/subscriptions/",
        views_alerts.digest_subscriptions,
        name="digest_subscriptions",
    ),
    path("digest/settings/", views_alerts.digest_settings, name="digest_settings"),
    path("digest/preview/", views_alerts.digest_preview_view, name="digest_preview"),
    path("digest/send/", views_alerts.digest_send_now, name="digest_send"),
    path("business/", views_alerts.business_view, name="business"),
]
