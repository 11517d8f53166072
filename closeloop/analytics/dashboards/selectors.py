"""Reads for dashboards: which dashboards a member may see, one by id, one by share token."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from closeloop.accounts.access import access_object
from closeloop.accounts.choices import Role
from closeloop.accounts.models import Membership, Organization
from closeloop.accounts.roles import Perm, has_perm
from closeloop.analytics.dashboards.schemas import BASIS_LABELS, PageFilters
from closeloop.analytics.models import (
    Dashboard,
    DashboardKind,
    DashboardVisibility,
    ShareLink,
    Widget,
)
from closeloop.contacts.models import Segment
from closeloop.distribution.models import Touchpoint
from closeloop.lib.tokens import hash_token
from closeloop.responses.choices import Channel
from closeloop.surveys.models import Survey

_SEES_PRIVATE = frozenset({Role.OWNER, Role.ADMIN})


def can_edit_dashboards(membership: Membership) -> bool:
    """Owners, admins and analysts build and change dashboards; everyone else reads."""
    return has_perm(membership.role, Perm.EDIT_SURVEYS)


def dashboard_list(*, organization: Organization, membership: Membership) -> QuerySet[Dashboard]:
    """The dashboards this member may open: the overview first, then custom ones, then teams'."""
    queryset = Dashboard.objects.filter(organization=organization)
    if membership.role not in _SEES_PRIVATE:
        queryset = queryset.filter(
            Q(visibility=DashboardVisibility.MEMBERS) | Q(created_by_id=membership.user_id)
        )
    order = Case(
        When(kind=DashboardKind.OVERVIEW, then=Value(0)),
        When(kind=DashboardKind.CUSTOM, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        queryset.select_related("team", "created_by")
        .annotate(widget_count=Count("widgets"), kind_order=order)
        .order_by("kind_order", "name")
    )


def access_dashboard(*, organization: Organization, membership: Membership, pk: Any) -> Dashboard:
    """One dashboard the member may see, or 404 (a private one of someone else included)."""
    dashboard = access_object(
        Dashboard.objects.select_related("team", "organization"), organization=organization, pk=pk
    )
    if (
        dashboard.visibility == DashboardVisibility.PRIVATE
        and dashboard.created_by_id != membership.user_id
        and membership.role not in _SEES_PRIVATE
    ):
        raise Http404
    return dashboard


def access_widget(*, dashboard: Dashboard, pk: Any) -> Widget:
    """One widget of this dashboard, or 404."""
    widget = access_object(
        Widget.objects.filter(dashboard=dashboard), organization=dashboard.organization, pk=pk
    )
    widget.dashboard = dashboard
    return widget


def access_share_link(*, dashboard: Dashboard, pk: Any) -> ShareLink:
    """One share link of this dashboard, or 404."""
    return access_object(
        ShareLink.objects.filter(dashboard=dashboard), organization=dashboard.organization, pk=pk
    )


def overview_dashboard(*, organization: Organization) -> Dashboard | None:
    """The organization's CX overview."""
    return (
        Dashboard.objects.select_related("organization")
        .filter(organization=organization, kind=DashboardKind.OVERVIEW)
        .first()
    )


def widget_list(*, dashboard: Dashboard) -> list[Widget]:
    """The dashboard's widgets in order."""
    widgets = list(Widget.objects.filter(dashboard=dashboard).order_by("position", "created_at"))
    for widget in widgets:
        widget.dashboard = dashboard
    return widgets


def share_link_list(*, dashboard: Dashboard) -> QuerySet[ShareLink]:
    """The dashboard's share links, newest first (revoked ones included)."""
    return ShareLink.objects.filter(dashboard=dashboard).select_related("created_by")


def share_link_by_token(*, token: str) -> ShareLink | None:
    """The working share link whose token hashes to a stored hash, with its dashboard."""
    if not token or len(token) > 100:
        return None
    return (
        ShareLink.objects.select_related("dashboard", "dashboard__organization", "dashboard__team")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )


def filters_described(*, organization: Organization, filters: PageFilters) -> list[tuple[str, str]]:
    """The page filters other than the period, in words ("Survey": its name...), for a report;
    an object that no longer exists is named as such."""

    def name_of(model: Any, pk: Any) -> str:
        found = model.objects.filter(organization=organization, pk=pk).values_list("name")
        row = found.first()
        return str(row[0]) if row else _("(deleted)")

    rows: list[tuple[str, str]] = []
    if filters.survey:
        rows.append((_("Survey"), name_of(Survey, filters.survey)))
    if filters.touchpoint:
        rows.append((_("Touchpoint"), name_of(Touchpoint, filters.touchpoint)))
    if filters.channel:
        labels = dict(Channel.choices)
        rows.append((_("Channel"), str(labels.get(filters.channel, filters.channel))))
    if filters.language:
        languages = dict(settings.LANGUAGES)
        rows.append((_("Language"), str(languages.get(filters.language, filters.language))))
    if filters.segment:
        rows.append((_("Segment"), name_of(Segment, filters.segment)))
    rows.append((_("Count"), str(BASIS_LABELS[filters.basis])))
    return rows
