"""Objects for whole-product tests (tenant isolation): a custom dashboard with one widget."""

from __future__ import annotations

from closeloop.accounts.models import Organization
from closeloop.analytics.models import Dashboard, DashboardKind, Widget, WidgetKind

ISOLATION_NAME = "Isolation dashboard"


def isolation_dashboard(organization: Organization) -> Dashboard:
    """The org's isolation dashboard (one per org, so a widget can be found on it)."""
    dashboard, _created = Dashboard.objects.get_or_create(
        organization=organization,
        name=ISOLATION_NAME,
        kind=DashboardKind.CUSTOM,
    )
    return dashboard


def isolation_dashboard_widget(organization: Organization) -> Widget:
    """A widget on the org's isolation dashboard."""
    dashboard = isolation_dashboard(organization)
    widget = Widget.objects.filter(dashboard=dashboard).first()
    if widget is None:
        widget = Widget.objects.create(
            organization=organization,
            dashboard=dashboard,
            kind=WidgetKind.METRIC_CARD,
            config={"metric": "nps"},
        )
    return widget
