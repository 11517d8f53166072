"""Initiative pages: the list and the board (per team), new (also from a theme, a root cause,
cases or an idea), edit, the initiative's page, its status moves and its links.

Reading needs VIEW. Writing (create, edit, move, link) needs WORK_CASES or EDIT_SURVEYS: the
agents of support and client success and the analysts of product, marketing and design all
run initiatives; viewers only read.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import SAFE_METHODS, access_object, org_view
from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.crud import form_error
from closeloop.core.errors import DomainError
from closeloop.core.verbs import verb_label
from closeloop.initiatives import selectors, services
from closeloop.initiatives.choices import InitiativeStatus
from closeloop.initiatives.forms import InitiativeForm
from closeloop.initiatives.models import Idea, Initiative

BOARD_LIMIT = 300
PAGE_SIZE = 100


def org_of(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def membership_of(request: HttpRequest) -> Membership:
    return cast(Membership, request.membership)  # type: ignore[attr-defined]


def user_of(request: HttpRequest) -> User:
    return cast(User, request.user)


def can_write(membership: Membership) -> bool:
    """Who may create, edit and move initiatives: members who work cases or edit surveys."""
    return has_perm(membership.role, Perm.WORK_CASES) or has_perm(
        membership.role, Perm.EDIT_SURVEYS
    )


def initiative_view(*, always_write: bool = False) -> Any:
    """org_view for these pages: VIEW to read; WORK_CASES or EDIT_SURVEYS to write (and to open
    a page that only writes, `always_write`)."""

    def decorator(view: Any) -> Any:
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            writing = always_write or request.method not in SAFE_METHODS
            if writing and not can_write(membership_of(request)):
                raise PermissionDenied
            return cast(HttpResponse, view(request, *args, **kwargs))

        return org_view(read=Perm.VIEW, write=Perm.VIEW)(inner)

    return decorator


def ui_language(request: HttpRequest) -> str:
    return (translation.get_language() or org_of(request).default_language).split("-")[0]


def _uuids(raw: str) -> list[uuid.UUID]:
    result = []
    for part in raw.replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            result.append(uuid.UUID(part))
        except ValueError:
            raise Http404 from None
    return result


def _objects(model: type[Model], org: Organization, raw: str) -> list[Any]:
    return [
        access_object(model._default_manager.all(), organization=org, pk=pk) for pk in _uuids(raw)
    ]


def _team_filter(request: HttpRequest) -> tuple[Team | None, str]:
    """The team of `?team=` ("all" for every team); see selectors.list_team for the start."""
    org = org_of(request)
    raw = request.GET.get("team")
    if raw is None:
        team = selectors.list_team(membership_of(request))
        return team, str(team.pk) if team else "all"
    if raw in ("", "all"):
        return None, "all"
    try:
        key = uuid.UUID(raw)
    except ValueError:
        return None, "all"
    team = Team.objects.filter(organization=org, pk=key).first()
    return team, str(team.pk) if team else "all"


def _common(request: HttpRequest) -> dict[str, Any]:
    org = org_of(request)
    team, team_value = _team_filter(request)
    status = request.GET.get("status", "")
    if status not in InitiativeStatus.values:
        status = ""
    return {
        "team": team,
        "team_value": team_value,
        "teams": Team.objects.filter(organization=org).order_by("name"),
        "status": status,
        "statuses": InitiativeStatus.choices,
        "q": request.GET.get("q", "").strip()[:100],
        "can_write": can_write(membership_of(request)),
        "team_counts": selectors.team_counts(organization=org),
    }


def _decorate(initiatives: list[Initiative]) -> list[Initiative]:
    for initiative in initiatives:
        initiative.overdue = selectors.is_overdue(initiative)  # type: ignore[attr-defined]
    return initiatives


@initiative_view()
def initiative_list(request: HttpRequest) -> HttpResponse:
    """Initiatives of a team (or all), by status, with a search box."""
    context = _common(request)
    rows = selectors.initiative_list(
        organization=org_of(request),
        team=context["team"],
        status=context["status"] or None,
        search=context["q"],
    )
    total = rows.count()
    context |= {
        "initiatives": _decorate(list(rows[:PAGE_SIZE])),
        "total": total,
        "limited": total > PAGE_SIZE,
        "view": "list",
    }
    return render(request, "initiatives/initiative_list.html", context)


@initiative_view()
def initiative_board(request: HttpRequest) -> HttpResponse:
    """A column per status; each card moves with its own small form."""
    context = _common(request)
    rows = _decorate(
        list(
            selectors.initiative_list(
                organization=org_of(request), team=context["team"], search=context["q"]
            )[:BOARD_LIMIT]
        )
    )
    columns = selectors.board_columns(rows)
    context |= {
        "columns": [
            (status, label, cards, selectors.allowed_moves(status))
            for status, label, cards in columns
        ],
        "limited": len(rows) >= BOARD_LIMIT,
        "view": "board",
    }
    return render(request, "initiatives/board.html", context)


def _prefill(request: HttpRequest) -> selectors.Prefill:
    from closeloop.cases.models import Case, RootCause
    from closeloop.text.models import Theme

    org = org_of(request)
    get = request.GET
    theme = _objects(Theme, org, get.get("theme", ""))
    root_cause = _objects(RootCause, org, get.get("root_cause", ""))
    cases = _objects(Case, org, get.get("cases", ""))
    idea = _objects(Idea, org, get.get("idea", ""))
    return selectors.initiative_prefill(
        organization=org,
        theme=theme[0] if theme else None,
        root_cause=root_cause[0] if root_cause else None,
        cases=cases,
        idea=idea[0] if idea else None,
        language=ui_language(request),
    )


def _ids(objs: list[Any]) -> str:
    return ",".join(str(o.pk) for o in objs)


def _links_from_post(request: HttpRequest) -> dict[str, Any]:
    from closeloop.cases.models import Case, RootCause
    from closeloop.contacts.models import Contact
    from closeloop.text.models import Theme

    org = org_of(request)
    post = request.POST
    return {
        "themes": _objects(Theme, org, post.get("link_themes", "")),
        "root_causes": _objects(RootCause, org, post.get("link_root_causes", "")),
        "cases": _objects(Case, org, post.get("link_cases", "")),
        "contacts": _objects(Contact, org, post.get("link_contacts", "")),
        "ideas": _objects(Idea, org, post.get("link_ideas", "")),
    }


def _form_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: data[key]
        for key in (
            "title", "description", "owner_team", "owner", "due_date", "target_metric",
            "target_survey", "target_touchpoint", "target_segment", "target_theme",
            "expected_change", "before_days", "after_days",
        )
    }  # fmt: skip


@initiative_view(always_write=True)
def initiative_create(request: HttpRequest) -> HttpResponse:
    """A new initiative, by hand or from ?theme=, ?root_cause=, ?cases=<id,id> or ?idea=."""
    org = org_of(request)
    language = ui_language(request)
    prefill = _prefill(request)
    membership = membership_of(request)
    initial: dict[str, Any] = {
        "title": prefill.title,
        "description": prefill.description,
        "target_metric": prefill.target_metric,
        "target_theme": prefill.target_theme,
        "owner": user_of(request),
        "owner_team": selectors.default_team(membership),
        "origin": prefill.origin,
        "link_themes": _ids(prefill.themes),
        "link_root_causes": _ids(prefill.root_causes),
        "link_cases": _ids(prefill.cases),
        "link_contacts": _ids(prefill.contacts),
        "link_ideas": _ids(prefill.ideas),
    }
    form = InitiativeForm(
        request.POST or None, initial=initial, organization=org, language=language
    )
    if request.method == "POST":
        links = _links_from_post(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                initiative = services.initiative_create(
                    organization=org,
                    actor=user_of(request),
                    origin=data["origin"] or "manual",
                    contributors=list(data["contributors"]),
                    **_form_kwargs(data),
                    **links,
                )
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(
                    request, _("Initiative I-%(n)s created.") % {"n": initiative.number}
                )
                return redirect("initiatives:detail", org.slug, initiative.pk)
        shown = links
    else:
        shown = {
            "themes": prefill.themes,
            "root_causes": prefill.root_causes,
            "cases": prefill.cases,
            "contacts": prefill.contacts,
            "ideas": prefill.ideas,
        }
    for theme in shown["themes"]:
        theme.display = theme.name_in(language)
    context = {
        "form": form,
        "initiative": None,
        "origin": prefill.origin,
        "prefill_links": shown,
        "language": language,
    }
    return render(request, "initiatives/initiative_form.html", context)


@initiative_view(always_write=True)
def initiative_edit(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Change the title, description, owner, contributors, due date and target."""
    org = org_of(request)
    initiative = selectors.access_initiative(organization=org, pk=pk)
    language = ui_language(request)
    initial = {f: getattr(initiative, f) for f in services.FIELDS} | {
        "contributors": list(initiative.contributors.all()),
        "origin": initiative.origin,
    }
    form = InitiativeForm(
        request.POST or None, initial=initial, organization=org, language=language
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.initiative_update(
                initiative=initiative,
                actor=user_of(request),
                contributors=list(data["contributors"]),
                **_form_kwargs(data),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Initiative I-%(n)s saved.") % {"n": initiative.number})
            return redirect("initiatives:detail", org.slug, initiative.pk)
    context = {
        "form": form,
        "initiative": initiative,
        "origin": initiative.origin,
        "prefill_links": None,
        "language": language,
    }
    return render(request, "initiatives/initiative_form.html", context)


def _impact_context(initiative: Initiative) -> dict[str, Any]:
    """The impact partial's context when shipped or measured and the impact module exists."""
    if initiative.status not in (InitiativeStatus.SHIPPED, InitiativeStatus.MEASURED):
        return {}
    try:
        from closeloop.initiatives import impact as impact_module

        get_template("initiatives/_impact.html")
        impact = impact_module.initiative_impact(initiative)  # type: ignore[attr-defined,unused-ignore]
    except (ImportError, AttributeError, TemplateDoesNotExist):
        return {}
    return {"impact": impact, "show_impact": True}


def _timeline(initiative: Initiative) -> list[dict[str, Any]]:
    rows = []
    for activity in selectors.initiative_timeline(initiative)[:100]:
        data = activity.data or {}
        detail = ""
        if "to" in data:
            try:
                detail = str(InitiativeStatus(data["to"]).label)
            except ValueError:
                detail = str(data["to"])
        rows.append(
            {
                "at": activity.created_at,
                "who": activity.actor.display_name if activity.actor else activity.actor_label,
                "what": verb_label(activity.verb),
                "detail": detail,
                "reason": data.get("reason", ""),
                "verb": activity.verb,
            }
        )
    return rows


@initiative_view()
def initiative_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """An initiative: owner, target, status and its moves, links, impact, telling customers."""
    org = org_of(request)
    initiative = selectors.access_initiative(organization=org, pk=pk)
    language = ui_language(request)
    writer = can_write(membership_of(request))
    context: dict[str, Any] = {
        "initiative": initiative,
        "overdue": selectors.is_overdue(initiative),
        "contributors": list(initiative.contributors.order_by("name")),
        "target": selectors.target_text(initiative, language),
        "moves": selectors.allowed_moves(initiative.status) if writer else [],
        "links": selectors.initiative_links(initiative),
        "announcements": list(initiative.announcements.order_by("-created_at")),
        "timeline": _timeline(initiative),
        "can_write": writer,
        "candidates": selectors.link_candidates(initiative, language) if writer else {},
        "language": language,
        "tell_customers": initiative.status
        in (InitiativeStatus.SHIPPED, InitiativeStatus.MEASURED),
    }
    for theme in context["links"].themes:
        theme.display = theme.name_in(language)
    context |= _impact_context(initiative)
    return render(request, "initiatives/initiative_detail.html", context)


@initiative_view(always_write=True)
@require_POST
def initiative_move(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Move the initiative to another status (from its page or a board card)."""
    org = org_of(request)
    initiative = selectors.access_initiative(organization=org, pk=pk)
    to_status = request.POST.get("status", "")
    try:
        moved = services.initiative_transition(
            initiative=initiative,
            to_status=to_status,
            actor=user_of(request),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("I-%(n)s is now %(status)s.")
            % {"n": moved.number, "status": InitiativeStatus(moved.status).label},
        )
    if request.POST.get("next") == "board":
        query = request.POST.get("query", "")
        return redirect(
            reverse("initiatives:board", args=[org.slug]) + (f"?{query}" if query else "")
        )
    return redirect("initiatives:detail", org.slug, initiative.pk)


LINK_MODELS = {
    "themes": ("closeloop.text.models", "Theme"),
    "root_causes": ("closeloop.cases.models", "RootCause"),
    "cases": ("closeloop.cases.models", "Case"),
    "contacts": ("closeloop.contacts.models", "Contact"),
    "ideas": ("closeloop.initiatives.models", "Idea"),
    "contributors": ("closeloop.accounts.models", "Team"),
}


def _link_object(org: Organization, kind: str, raw: str) -> Any:
    import importlib

    if kind not in LINK_MODELS:
        raise DomainError(_("Choose what to link."), field="kind")
    module, name = LINK_MODELS[kind]
    model = getattr(importlib.import_module(module), name)
    raw = raw.strip()
    if kind == "cases" and raw.lstrip("#").isdigit():
        found = model.objects.filter(organization=org, number=int(raw.lstrip("#"))).first()
        if found is None:
            raise DomainError(_("No case has this number."), field="id")
        return found
    if kind == "ideas" and raw.upper().removeprefix("IDEA-").lstrip("#").isdigit():
        number = int(raw.upper().removeprefix("IDEA-").lstrip("#"))
        found = model.objects.filter(organization=org, number=number).first()
        if found is None:
            raise DomainError(_("No idea has this number."), field="id")
        return found
    try:
        key = uuid.UUID(raw)
    except ValueError:
        raise DomainError(_("Choose what to link."), field="id") from None
    return access_object(model.objects.all(), organization=org, pk=key)


@initiative_view(always_write=True)
@require_POST
def initiative_links(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Add (action=add) or remove (action=remove) one linked theme, root cause, case, contact,
    idea or contributing team."""
    org = org_of(request)
    initiative = selectors.access_initiative(organization=org, pk=pk)
    kind = request.POST.get("kind", "")
    action = request.POST.get("action", "add")
    try:
        obj = _link_object(org, kind, request.POST.get("id", ""))
        service = services.initiative_unlink if action == "remove" else services.initiative_link
        service(initiative=initiative, kind=kind, objects=[obj], actor=user_of(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Link removed.") if action == "remove" else _("Link added."))
    return redirect("initiatives:detail", org.slug, initiative.pk)
