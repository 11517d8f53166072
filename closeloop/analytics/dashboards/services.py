"""Writes for dashboards: create, rename, filters, widgets, sharing, and the defaults every
organization gets (the CX overview and one dashboard per team)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError

from closeloop.accounts.models import Organization, Team, User
from closeloop.analytics.dashboards.defaults import OVERVIEW, PROFILES, Spec, team_profile
from closeloop.analytics.dashboards.schemas import CONFIG_MODELS, PageFilters
from closeloop.analytics.models import (
    Dashboard,
    DashboardKind,
    DashboardVisibility,
    ShareLink,
    Widget,
    WidgetKind,
)
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs
from closeloop.lib.tokens import hash_token, new_token

MAX_WIDGETS = 40
SHARE_PREFIX = "dsh_"

register_verbs(
    {
        "dashboard.created": gettext_lazy("created a dashboard"),
        "dashboard.updated": gettext_lazy("changed a dashboard"),
        "dashboard.deleted": gettext_lazy("deleted a dashboard"),
        "dashboard.widgets_changed": gettext_lazy("changed a dashboard's widgets"),
        "dashboard.link_created": gettext_lazy("created a share link for a dashboard"),
        "dashboard.link_revoked": gettext_lazy("revoked a dashboard's share link"),
    }
)


def _validation_message(exc: ValidationError) -> str:
    errors = exc.errors()
    message = str(errors[0]["msg"]) if errors else str(exc)
    return message.removeprefix("Value error, ")


def _clean_filters(filters: dict[str, Any] | PageFilters | None) -> dict[str, Any]:
    if isinstance(filters, PageFilters):
        return filters.stored()
    try:
        return PageFilters.model_validate(filters or {}).stored()
    except ValidationError as exc:
        raise DomainError(_validation_message(exc), field="filters") from None


def _clean_config(kind: str, config: dict[str, Any] | None) -> dict[str, Any]:
    if kind not in CONFIG_MODELS:
        raise DomainError(_("Choose a kind of widget."), field="kind")
    try:
        model = CONFIG_MODELS[kind].model_validate(config or {})
    except ValidationError as exc:
        errors = exc.errors()
        loc = errors[0]["loc"] if errors else ()
        field = str(loc[0]) if loc else "config"
        raise DomainError(_validation_message(exc), field=field) from None
    return model.model_dump(mode="json")


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the dashboard a name."), field="name")
    if len(name) > 200:
        raise DomainError(_("Keep the name under 200 characters."), field="name")
    return name


def dashboard_create(
    *,
    organization: Organization,
    name: str,
    actor: User | None,
    kind: str = DashboardKind.CUSTOM,
    team: Team | None = None,
    filters: dict[str, Any] | None = None,
    visibility: str = DashboardVisibility.MEMBERS,
    widgets: list[Spec] | None = None,
) -> Dashboard:
    """Create a dashboard (optionally with its first widgets)."""
    if team is not None and team.organization_id != organization.pk:
        raise DomainError(_("Choose a team of this organization."), field="team")
    if visibility not in DashboardVisibility.values:
        raise DomainError(_("Choose who can see the dashboard."), field="visibility")
    with transaction.atomic():
        dashboard = Dashboard.objects.create(
            organization=organization,
            name=_clean_name(name),
            kind=kind,
            team=team,
            visibility=visibility,
            filters=_clean_filters(filters),
            created_by=actor,
        )
        Widget.objects.bulk_create(
            Widget(
                organization=organization,
                dashboard=dashboard,
                position=n,
                kind=spec.kind,
                title=str(spec.title)[:200],
                config=_clean_config(spec.kind, spec.config),
            )
            for n, spec in enumerate(widgets or [])
        )
        if kind == DashboardKind.CUSTOM:
            # The overview and team dashboards are set-up, like the default teams: no entry.
            activity_record(
                organization=organization, actor=actor, verb="dashboard.created", target=dashboard
            )
    return dashboard


def dashboard_update(
    *, dashboard: Dashboard, actor: User, name: str, visibility: str | None = None
) -> Dashboard:
    """Rename a dashboard, or change who of the members can see it (custom dashboards)."""
    dashboard.name = _clean_name(name)
    fields = ["name", "updated_at"]
    if visibility is not None and visibility != dashboard.visibility:
        if visibility not in DashboardVisibility.values:
            raise DomainError(_("Choose who can see the dashboard."), field="visibility")
        if dashboard.kind != DashboardKind.CUSTOM:
            raise DomainError(
                _("The overview and team dashboards are always open to every member."),
                field="visibility",
            )
        dashboard.visibility = visibility
        fields.append("visibility")
    dashboard.save(update_fields=fields)
    activity_record(
        organization=dashboard.organization,
        actor=actor,
        verb="dashboard.updated",
        target=dashboard,
        data={"visibility": dashboard.visibility},
    )
    return dashboard


def dashboard_set_filters(
    *, dashboard: Dashboard, filters: dict[str, Any] | PageFilters, actor: User
) -> Dashboard:
    """Save the filters the page opens with."""
    dashboard.filters = _clean_filters(filters)
    dashboard.save(update_fields=["filters", "updated_at"])
    activity_record(
        organization=dashboard.organization,
        actor=actor,
        verb="dashboard.updated",
        target=dashboard,
        data={"filters": dashboard.filters},
    )
    return dashboard


def dashboard_delete(*, dashboard: Dashboard, actor: User) -> None:
    """Delete a custom dashboard, its widgets and share links (the overview and team dashboards
    stay)."""
    if dashboard.kind != DashboardKind.CUSTOM:
        raise DomainError(_("The overview and team dashboards cannot be deleted."))
    activity_record(
        organization=dashboard.organization, actor=actor, verb="dashboard.deleted", target=dashboard
    )
    dashboard.delete()


def _widgets_changed(dashboard: Dashboard, actor: User | None, **data: Any) -> None:
    Dashboard.objects.filter(pk=dashboard.pk).update(updated_at=timezone.now())
    activity_record(
        organization=dashboard.organization,
        actor=actor,
        verb="dashboard.widgets_changed",
        target=dashboard,
        data=data,
    )


def widget_add(
    *,
    dashboard: Dashboard,
    kind: str,
    actor: User | None,
    title: str = "",
    config: dict[str, Any] | None = None,
) -> Widget:
    """Add a widget at the end of the dashboard."""
    clean = _clean_config(kind, config)
    with transaction.atomic():
        Dashboard.objects.select_for_update().filter(pk=dashboard.pk).first()
        count = Widget.objects.filter(dashboard=dashboard).count()
        if count >= MAX_WIDGETS:
            raise DomainError(
                _("A dashboard holds at most %(n)d widgets.") % {"n": MAX_WIDGETS}, field="kind"
            )
        last = Widget.objects.filter(dashboard=dashboard).aggregate(m=Max("position"))["m"]
        widget = Widget.objects.create(
            organization=dashboard.organization,
            dashboard=dashboard,
            kind=kind,
            title=title.strip()[:200],
            config=clean,
            position=0 if last is None else last + 1,
        )
        _widgets_changed(dashboard, actor, added=str(widget.pk), kind=kind)
    return widget


def widget_update(
    *, widget: Widget, actor: User, title: str, config: dict[str, Any] | None
) -> Widget:
    """Change a widget's title and settings."""
    widget.config = _clean_config(widget.kind, config)
    widget.title = title.strip()[:200]
    widget.save(update_fields=["config", "title", "updated_at"])
    _widgets_changed(widget.dashboard, actor, changed=str(widget.pk))
    return widget


def widget_remove(*, widget: Widget, actor: User) -> None:
    """Take a widget off its dashboard."""
    dashboard = widget.dashboard
    _widgets_changed(dashboard, actor, removed=str(widget.pk), kind=widget.kind)
    widget.delete()


def widget_move(*, widget: Widget, direction: str, actor: User) -> Widget:
    """Move a widget one place up or down (positions are renumbered 0..n-1)."""
    if direction not in ("up", "down", "top", "bottom"):
        raise DomainError(_("Move the widget up or down."), field="direction")
    with transaction.atomic():
        Dashboard.objects.select_for_update().filter(pk=widget.dashboard_id).first()
        order = list(
            Widget.objects.filter(dashboard_id=widget.dashboard_id).order_by(
                "position", "created_at"
            )
        )
        index = next(i for i, w in enumerate(order) if w.pk == widget.pk)
        item = order.pop(index)
        target = {
            "up": max(index - 1, 0),
            "down": min(index + 1, len(order)),
            "top": 0,
            "bottom": len(order),
        }[direction]
        order.insert(target, item)
        for position, row in enumerate(order):
            if row.position != position:
                Widget.objects.filter(pk=row.pk).update(position=position)
                row.position = position
        _widgets_changed(widget.dashboard, actor, moved=str(widget.pk), direction=direction)
    widget.position = item.position
    return widget


def share_link_create(
    *, dashboard: Dashboard, actor: User, label: str = ""
) -> tuple[ShareLink, str]:
    """A secret read-only link; the token is returned once and only its hash is kept."""
    token = new_token(SHARE_PREFIX, 24)
    link = ShareLink.objects.create(
        organization=dashboard.organization,
        dashboard=dashboard,
        label=label.strip()[:120],
        prefix=token[: len(SHARE_PREFIX) + 4],
        token_hash=hash_token(token),
        created_by=actor,
    )
    activity_record(
        organization=dashboard.organization,
        actor=actor,
        verb="dashboard.link_created",
        target=dashboard,
        data={"link": str(link.pk)},
    )
    return link, token


def share_link_revoke(*, link: ShareLink, actor: User) -> ShareLink:
    """Stop a share link from working; it stays listed as revoked."""
    updated = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    link.refresh_from_db()
    if updated:
        activity_record(
            organization=link.organization,
            actor=actor,
            verb="dashboard.link_revoked",
            target=link.dashboard,
            data={"link": str(link.pk)},
        )
    return link


def share_link_touch(*, link: ShareLink) -> None:
    """Note when a share link was last opened (at most once a minute)."""
    now = timezone.now()
    if link.last_used_at is None or (now - link.last_used_at).total_seconds() > 60:
        ShareLink.objects.filter(pk=link.pk).update(last_used_at=now)


def _ensure(organization: Organization, *, kind: str, team: Team | None) -> bool:
    name = str(_("CX overview")) if team is None else _("%(team)s dashboard") % {"team": team.name}
    widgets = OVERVIEW if team is None else PROFILES[team_profile(slug=team.slug, name=team.name)]
    try:
        with transaction.atomic():
            dashboard_create(
                organization=organization,
                name=name,
                actor=None,
                kind=kind,
                team=team,
                widgets=widgets,
            )
    except IntegrityError:  # made by a concurrent request
        return False
    return True


def dashboards_ensure_defaults(*, organization: Organization) -> int:
    """Create the CX overview and a dashboard for each team that has none yet; how many were
    made. Cheap when everything exists (two small queries)."""
    existing: set[tuple[str, Any]] = set(
        Dashboard.objects.filter(
            organization=organization, kind__in=[DashboardKind.OVERVIEW, DashboardKind.TEAM]
        ).values_list("kind", "team_id")
    )
    teams = list(Team.objects.filter(organization=organization).order_by("name"))
    missing_overview = (DashboardKind.OVERVIEW.value, None) not in existing
    missing = [t for t in teams if (DashboardKind.TEAM.value, t.pk) not in existing]
    if not missing_overview and not missing:
        return 0
    made = 0
    # Default names are data the org can rename, written in the org's own language.
    with translation.override(organization.default_language or "en"):
        if missing_overview:
            made += _ensure(organization, kind=DashboardKind.OVERVIEW, team=None)
        for team in missing:
            made += _ensure(organization, kind=DashboardKind.TEAM, team=team)
    return made


def widget_kinds() -> list[tuple[str, str]]:
    """The kinds of widget a member can add, for a form."""
    return [(k.value, str(k.label)) for k in WidgetKind]
