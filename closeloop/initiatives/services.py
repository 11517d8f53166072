"""Writes for initiatives: create (numbered I-1, I-2... per organization), update fields and
links, the one status transition, and creating an initiative from a theme, a root cause, a set
of cases or an idea.

Every write records an Activity (the initiative's timeline on its page and the audit log); a
status change also emits `initiative.status_changed` after commit (webhooks).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.accounts.models import ApiKey, Membership, Organization, Team, User
from closeloop.core import events
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs
from closeloop.initiatives.choices import (
    INITIATIVE_TRANSITIONS,
    InitiativeOrigin,
    InitiativeStatus,
    TargetMetric,
)
from closeloop.initiatives.models import Idea, Initiative

if TYPE_CHECKING:
    from closeloop.cases.models import Case, RootCause
    from closeloop.contacts.models import Contact, Segment
    from closeloop.distribution.models import Touchpoint
    from closeloop.surveys.models import Survey
    from closeloop.text.models import Theme

logger = logging.getLogger("closeloop.initiatives")

register_verbs(
    {
        "initiative.created": gettext_lazy("created an initiative"),
        "initiative.updated": gettext_lazy("changed an initiative"),
        "initiative.linked": gettext_lazy("linked something to an initiative"),
        "initiative.unlinked": gettext_lazy("removed a link from an initiative"),
        "initiative.status_changed": gettext_lazy("moved an initiative"),
        "initiative.shipped": gettext_lazy("shipped an initiative"),
        "initiative.measured": gettext_lazy("marked an initiative measured"),
        "initiative.dropped": gettext_lazy("dropped an initiative"),
    }
)

# The links an initiative has; "ideas" is Idea.initiative, "contributors" are teams.
LINK_KINDS = ("themes", "root_causes", "cases", "contacts", "ideas", "contributors")
# Fields initiative_update may change (besides the links).
FIELDS = (
    "title", "description", "owner_team", "owner", "due_date", "target_metric",
    "target_survey", "target_touchpoint", "target_segment", "target_theme",
    "expected_change", "before_days", "after_days",
)  # fmt: skip
MAX_WINDOW_DAYS = 365


# --- validation -------------------------------------------------------------------------------


def _same_org(obj: Model | None, organization: Organization, field: str) -> None:
    if obj is not None and getattr(obj, "organization_id", None) != organization.pk:
        raise DomainError(_("Choose one from your organization."), field=field)


def _check_owner(owner: User | None, organization: Organization) -> None:
    if (
        owner is not None
        and not Membership.objects.filter(organization=organization, user=owner).exists()
    ):
        raise DomainError(_("The owner must be a member of your organization."), field="owner")


def _clean_title(title: str) -> str:
    clean = " ".join(str(title or "").split())
    if not clean:
        raise DomainError(_("Give the initiative a title."), field="title")
    if len(clean) > 200:
        raise DomainError(_("Keep the title under 200 characters."), field="title")
    return clean


def _check_target(initiative: Initiative) -> None:
    if initiative.target_metric not in TargetMetric.values:
        raise DomainError(
            _("Choose a target metric: %(list)s.") % {"list": ", ".join(TargetMetric.values)},
            field="target_metric",
        )
    if initiative.target_metric == TargetMetric.THEME_SHARE and initiative.target_theme is None:
        raise DomainError(
            _("A theme share target needs the theme whose share should fall."),
            field="target_theme",
        )
    if initiative.expected_change is not None:
        change = float(initiative.expected_change)
        if change != change or abs(change) > 200:  # NaN or beyond any metric's range
            raise DomainError(
                _("Give the expected change in the metric's points (-200 to 200)."),
                field="expected_change",
            )
    for field in ("before_days", "after_days"):
        days = getattr(initiative, field)
        if not 7 <= int(days) <= MAX_WINDOW_DAYS:
            raise DomainError(
                _("Windows are 7 to %(max)d days.") % {"max": MAX_WINDOW_DAYS}, field=field
            )


def _validate(initiative: Initiative) -> None:
    org = initiative.organization
    for field in (
        "owner_team", "target_survey", "target_touchpoint", "target_segment", "target_theme",
    ):  # fmt: skip
        _same_org(getattr(initiative, field), org, field)
    _check_owner(initiative.owner, org)
    _check_target(initiative)


def _objects(items: Iterable[Model], organization: Organization, field: str) -> list[Model]:
    result: list[Model] = []
    seen: set[Any] = set()
    for obj in items:
        _same_org(obj, organization, field)
        if obj.pk not in seen:
            seen.add(obj.pk)
            result.append(obj)
    return result


def _record(
    initiative: Initiative,
    verb: str,
    actor: User | None,
    api_key: ApiKey | None,
    **data: Any,
) -> None:
    activity_record(
        organization=initiative.organization, verb=verb, actor=actor, api_key=api_key,
        target=initiative, data=data,
    )  # fmt: skip


def _next_number(organization: Organization) -> int:
    """The org's next initiative number. Locking the organization's row makes concurrent
    creators wait their turn (PostgreSQL); SQLite serializes writers anyway."""
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    last = Initiative.objects.filter(organization=organization).aggregate(n=Max("number"))["n"]
    return int(last or 0) + 1


# --- links ------------------------------------------------------------------------------------


def _link_many(initiative: Initiative, kind: str, objs: list[Model]) -> list[str]:
    """Add the objects to the link of `kind`; the ids newly linked."""
    if not objs:
        return []
    if kind == "ideas":
        ids = [o.pk for o in objs if getattr(o, "initiative_id", None) != initiative.pk]
        Idea.objects.filter(pk__in=ids).update(initiative=initiative)
        return [str(i) for i in ids]
    manager = getattr(initiative, kind)
    have = set(manager.values_list("pk", flat=True))
    new = [o for o in objs if o.pk not in have]
    if new:
        manager.add(*new)
    return [str(o.pk) for o in new]


def _unlink_many(initiative: Initiative, kind: str, objs: list[Model]) -> list[str]:
    if not objs:
        return []
    if kind == "ideas":
        ids = [o.pk for o in objs]
        qs = Idea.objects.filter(pk__in=ids, initiative=initiative)
        gone = [str(i) for i in qs.values_list("pk", flat=True)]
        qs.update(initiative=None)
        return gone
    manager = getattr(initiative, kind)
    have = set(manager.values_list("pk", flat=True))
    gone_objs = [o for o in objs if o.pk in have]
    if gone_objs:
        manager.remove(*gone_objs)
    return [str(o.pk) for o in gone_objs]


def _check_kind(kind: str) -> None:
    if kind not in LINK_KINDS:
        raise DomainError(
            _("Links are one of: %(list)s.") % {"list": ", ".join(LINK_KINDS)}, field="kind"
        )


def _current(initiative: Initiative, kind: str) -> list[Model]:
    if kind == "ideas":
        return list(Idea.objects.filter(initiative=initiative))
    return list(getattr(initiative, kind).all())


@transaction.atomic
def initiative_link(
    *,
    initiative: Initiative,
    kind: str,
    objects: Iterable[Model],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Initiative:
    """Link themes, root causes, cases, contacts, ideas or contributing teams."""
    _check_kind(kind)
    objs = _objects(objects, initiative.organization, kind)
    if kind == "contributors" and initiative.owner_team_id in {o.pk for o in objs}:
        raise DomainError(_("The owner team already owns it."), field="contributors")
    added = _link_many(initiative, kind, objs)
    if added:
        _record(initiative, "initiative.linked", actor, api_key, kind=kind, ids=added)
    return initiative


@transaction.atomic
def initiative_unlink(
    *,
    initiative: Initiative,
    kind: str,
    objects: Iterable[Model],
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Initiative:
    """Remove links (the objects themselves stay)."""
    _check_kind(kind)
    objs = _objects(objects, initiative.organization, kind)
    removed = _unlink_many(initiative, kind, objs)
    if removed:
        _record(initiative, "initiative.unlinked", actor, api_key, kind=kind, ids=removed)
    return initiative


def _set_links(
    initiative: Initiative,
    kind: str,
    objects: Iterable[Model],
    actor: User | None,
    api_key: ApiKey | None,
) -> None:
    wanted = _objects(objects, initiative.organization, kind)
    wanted_ids = {o.pk for o in wanted}
    current = _current(initiative, kind)
    drop = [o for o in current if o.pk not in wanted_ids]
    if drop:
        initiative_unlink(
            initiative=initiative, kind=kind, objects=drop, actor=actor, api_key=api_key
        )
    initiative_link(initiative=initiative, kind=kind, objects=wanted, actor=actor, api_key=api_key)


# --- create and update ------------------------------------------------------------------------


@transaction.atomic
def initiative_create(
    *,
    organization: Organization,
    actor: User | None = None,
    title: str,
    description: str = "",
    origin: str = InitiativeOrigin.MANUAL,
    owner_team: Team | None = None,
    owner: User | None = None,
    contributors: Iterable[Team] = (),
    due_date: dt.date | None = None,
    target_metric: str = TargetMetric.NPS,
    target_survey: Survey | None = None,
    target_touchpoint: Touchpoint | None = None,
    target_segment: Segment | None = None,
    target_theme: Theme | None = None,
    expected_change: float | None = None,
    themes: Iterable[Theme] = (),
    root_causes: Iterable[RootCause] = (),
    cases: Iterable[Case] = (),
    contacts: Iterable[Contact] = (),
    ideas: Iterable[Idea] = (),
    before_days: int = 60,
    after_days: int = 60,
    api_key: ApiKey | None = None,
) -> Initiative:
    """A new initiative (proposed) with its owner, target and links, numbered I-<n> in the org."""
    if origin not in InitiativeOrigin.values:
        raise DomainError(_("Unknown origin."), field="origin")
    initiative = Initiative(
        organization=organization,
        title=_clean_title(title),
        description=str(description or "").strip(),
        origin=origin,
        owner_team=owner_team,
        owner=owner,
        due_date=due_date,
        target_metric=target_metric or TargetMetric.NPS,
        target_survey=target_survey,
        target_touchpoint=target_touchpoint,
        target_segment=target_segment,
        target_theme=target_theme,
        expected_change=expected_change,
        before_days=before_days,
        after_days=after_days,
        created_by=actor,
    )
    _validate(initiative)
    links: dict[str, list[Model]] = {
        "contributors": _objects(contributors, organization, "contributors"),
        "themes": _objects(themes, organization, "themes"),
        "root_causes": _objects(root_causes, organization, "root_causes"),
        "cases": _objects(cases, organization, "cases"),
        "contacts": _objects(contacts, organization, "contacts"),
        "ideas": _objects(ideas, organization, "ideas"),
    }
    if owner_team is not None and owner_team.pk in {t.pk for t in links["contributors"]}:
        links["contributors"] = [t for t in links["contributors"] if t.pk != owner_team.pk]
    initiative.number = _next_number(organization)
    initiative.save()
    for kind, objs in links.items():
        _link_many(initiative, kind, objs)
    _record(
        initiative, "initiative.created", actor, api_key, number=initiative.number,
        origin=origin, links={k: len(v) for k, v in links.items() if v},
    )  # fmt: skip
    return initiative


def _diff_value(value: Any) -> Any:
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@transaction.atomic
def initiative_update(
    *,
    initiative: Initiative,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    **changes: Any,
) -> Initiative:
    """Change fields (FIELDS) and/or replace links (LINK_KINDS: the full list wanted); fields
    left out stay. The status changes only through initiative_transition."""
    unknown = set(changes) - set(FIELDS) - set(LINK_KINDS)
    if unknown:
        name = sorted(unknown)[0]
        if name in {"status", "shipped_at", "measured_at", "impact", "dropped_reason"}:
            raise DomainError(_("Change the status with a transition."), field=name)
        raise DomainError(_("This field cannot be changed."), field=name)
    locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
    diff: dict[str, list[Any]] = {}
    for field in FIELDS:
        if field not in changes:
            continue
        value = changes[field]
        if field == "title":
            value = _clean_title(value)
        elif field == "description":
            value = str(value or "").strip()
        elif field == "target_metric":
            value = value or TargetMetric.NPS
        old = getattr(locked, field)
        if old != value:
            diff[field] = [_diff_value(old), _diff_value(value)]
            setattr(locked, field, value)
    if diff:
        _validate(locked)
        locked.save()
        _record(locked, "initiative.updated", actor, api_key, changes=diff)
    for kind in LINK_KINDS:
        if kind in changes:
            wanted = list(changes[kind] or ())
            if kind == "contributors" and locked.owner_team_id is not None:
                wanted = [t for t in wanted if t.pk != locked.owner_team_id]
            _set_links(locked, kind, wanted, actor, api_key)
    return locked


# --- the one transition -----------------------------------------------------------------------


def _frozen_impact(initiative: Initiative) -> dict[str, Any]:
    """The impact figures at measuring time (empty when they cannot be computed)."""
    from closeloop.initiatives.impact import impact_snapshot

    return impact_snapshot(initiative) or {}


def allowed_statuses(status: str) -> list[str]:
    """The statuses an initiative in `status` may move to, in the statuses' order."""
    allowed = INITIATIVE_TRANSITIONS.get(status, frozenset())
    return [s for s in InitiativeStatus.values if s in allowed]


@transaction.atomic
def initiative_transition(
    *,
    initiative: Initiative,
    to_status: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    reason: str = "",
) -> Initiative:
    """Move an initiative to another status (locks the row; a move not allowed is refused with
    the ones that are). Shipping sets shipped_at (moving back clears it); measuring freezes the
    impact figures; dropping needs a reason."""
    locked = (
        Initiative.objects.select_for_update().select_related("organization").get(pk=initiative.pk)
    )
    if to_status not in InitiativeStatus.values:
        raise DomainError(
            _("Unknown status. Choose one of: %(list)s.")
            % {"list": ", ".join(InitiativeStatus.values)},
            field="status",
        )
    from_status = locked.status
    allowed = allowed_statuses(from_status)
    if to_status not in allowed:
        raise DomainError(
            _("An initiative that is %(from)s cannot become %(to)s; it can become: %(list)s.")
            % {
                "from": InitiativeStatus(from_status).label,
                "to": InitiativeStatus(to_status).label,
                "list": ", ".join(str(InitiativeStatus(s).label) for s in allowed) or "—",
            },
            field="status",
            code="transition",
        )
    reason = " ".join(str(reason or "").split())[:300]
    if to_status == InitiativeStatus.DROPPED and not reason:
        raise DomainError(_("Say why the initiative is dropped."), field="reason")
    now = timezone.now()
    locked.status = to_status
    if to_status == InitiativeStatus.SHIPPED and from_status != InitiativeStatus.MEASURED:
        locked.shipped_at = now
    if to_status in (
        InitiativeStatus.PROPOSED,
        InitiativeStatus.PLANNED,
        InitiativeStatus.IN_PROGRESS,
    ):
        locked.shipped_at = None
        locked.measured_at = None
        locked.impact = {}
    if to_status == InitiativeStatus.SHIPPED and from_status == InitiativeStatus.MEASURED:
        locked.measured_at = None
        locked.impact = {}
    if to_status == InitiativeStatus.MEASURED:
        locked.measured_at = now
        locked.impact = _frozen_impact(locked)
    if to_status == InitiativeStatus.DROPPED:
        locked.dropped_reason = reason
    elif from_status == InitiativeStatus.DROPPED:
        locked.dropped_reason = ""
    locked.save()
    verb = {
        InitiativeStatus.SHIPPED: "initiative.shipped",
        InitiativeStatus.MEASURED: "initiative.measured",
        InitiativeStatus.DROPPED: "initiative.dropped",
    }.get(InitiativeStatus(to_status), "initiative.status_changed")
    data: dict[str, Any] = {"from": from_status, "to": to_status}
    if reason:
        data["reason"] = reason
    _record(locked, verb, actor, api_key, **data)
    events.emit(
        "initiative.status_changed",
        event_id=uuid.uuid4().hex,
        organization_id=str(locked.organization_id),
        initiative_id=str(locked.pk),
        number=locked.number,
        title=locked.title,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        shipped_at=locked.shipped_at.isoformat() if locked.shipped_at else None,
    )
    return locked


# --- create from a theme, a root cause, cases or an idea --------------------------------------


def initiative_create_from_theme(
    *, organization: Organization, actor: User | None, theme: Theme, **fields: Any
) -> Initiative:
    """An initiative about a theme: its name as title, the theme linked and targeted, NPS as
    the metric; the customers come through the theme's comments."""
    from closeloop.initiatives.selectors import initiative_prefill

    prefill = initiative_prefill(organization=organization, theme=theme)
    return initiative_create(
        organization=organization, actor=actor, **(prefill.create_kwargs() | fields)
    )


def initiative_create_from_root_cause(
    *, organization: Organization, actor: User | None, root_cause: RootCause, **fields: Any
) -> Initiative:
    """An initiative about a root cause, linking the resolved cases that had it."""
    from closeloop.initiatives.selectors import initiative_prefill

    prefill = initiative_prefill(organization=organization, root_cause=root_cause)
    return initiative_create(
        organization=organization, actor=actor, **(prefill.create_kwargs() | fields)
    )


def initiative_create_from_cases(
    *, organization: Organization, actor: User | None, cases: Iterable[Case], **fields: Any
) -> Initiative:
    """An initiative for a set of cases, linking them and their customers."""
    from closeloop.initiatives.selectors import initiative_prefill

    prefill = initiative_prefill(organization=organization, cases=list(cases))
    return initiative_create(
        organization=organization, actor=actor, **(prefill.create_kwargs() | fields)
    )


def initiative_create_from_idea(
    *, organization: Organization, actor: User | None, idea: Idea, **fields: Any
) -> Initiative:
    """An initiative carrying out an idea of the portal (its votes show on the initiative)."""
    from closeloop.initiatives.selectors import initiative_prefill

    prefill = initiative_prefill(organization=organization, idea=idea)
    return initiative_create(
        organization=organization, actor=actor, **(prefill.create_kwargs() | fields)
    )
