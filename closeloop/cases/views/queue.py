"""The case queue (tabs, filters, sort, bulk assign), the board, and opening a case by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Membership, Team
from closeloop.cases import selectors, services
from closeloop.cases.choices import TRANSITIONS, AssigneeStrategy, CasePriority, CaseStatus
from closeloop.cases.forms import CaseCreateForm
from closeloop.cases.models import Case
from closeloop.cases.views.common import READ, WORK, can, form_error, membership_of, org_of, user_of
from closeloop.core.errors import DomainError

PAGE_SIZE = 50
BOARD_LIMIT = 200


def _filters(request: HttpRequest) -> selectors.CaseFilters:
    get = request.GET
    breached = {"yes": True, "no": False}.get(get.get("breached", ""))
    tab = get.get("tab", "all")
    return selectors.CaseFilters(
        tab=tab if tab in selectors.TABS else "all",
        status=get.getlist("status"),
        priority=get.getlist("priority"),
        team=get.get("team", ""),
        assignee=get.get("assignee", ""),
        tag=get.get("tag", "").strip(),
        breached=breached,
        q=get.get("q", "").strip(),
        sort=get.get("sort", "newest") if get.get("sort") in selectors.SORTS else "newest",
    )


def _common(request: HttpRequest, filters: selectors.CaseFilters) -> dict[str, Any]:
    org = org_of(request)
    params = request.GET.copy()
    params.pop("page", None)
    tab_params = params.copy()
    tab_params.pop("tab", None)
    return {
        "filters": filters,
        "tabs": [
            ("mine", _("Mine")),
            ("team", _("My teams'")),
            ("unassigned", _("Unassigned")),
            ("breaching", _("Breaching soon")),
            ("all", _("All")),
        ],
        "counts": selectors.tab_counts(organization=org, membership=membership_of(request)),
        "statuses": CaseStatus.choices,
        "priorities": CasePriority.choices,
        "teams": Team.objects.filter(organization=org).order_by("name"),
        "agents": selectors.case_agents(organization=org),
        "sorts": [
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("due", _("Due soonest")),
            ("priority", _("Priority")),
        ],
        "query": params.urlencode(),
        "tab_query": tab_params.urlencode(),
        "can_work": can(request, WORK),
    }


@org_view(read=READ, write=WORK)
def case_list(request: HttpRequest) -> HttpResponse:
    """The queue: tabs, filters, sort, and checkboxes to assign many cases at once."""
    filters = _filters(request)
    cases = selectors.case_list(
        organization=org_of(request), filters=filters, membership=membership_of(request)
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _common(request, filters) | {"page": page, "view": "list"}
    return render(request, "cases/list.html", context)


@org_view(read=READ, write=WORK)
def case_board(request: HttpRequest) -> HttpResponse:
    """The board: a column per status; each card moves with its own small form."""
    filters = _filters(request)
    filters.status = []
    cases = list(
        selectors.case_list(
            organization=org_of(request), filters=filters, membership=membership_of(request)
        )[:BOARD_LIMIT]
    )
    columns = selectors.board_columns(cases)
    moves = {
        s: [
            (t, CaseStatus(t).label)
            for t in CaseStatus.values
            if t in TRANSITIONS[s] and t != CaseStatus.RESOLVED
        ]
        for s in CaseStatus.values
    }
    context = _common(request, filters) | {
        "columns": [(s, label, cards, moves[s]) for s, label, cards in columns],
        "view": "board",
        "limited": len(cases) >= BOARD_LIMIT,
    }
    return render(request, "cases/board.html", context)


@org_view(read=READ, write=WORK)
@require_POST
def case_bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign the ticked cases to one member (or nobody)."""
    org = org_of(request)
    back = reverse("cases:list", args=[org.slug]) + "?" + request.POST.get("query", "")
    ids = request.POST.getlist("cases")
    choice = request.POST.get("assignee", "")
    if not ids:
        messages.error(request, _("Tick the cases to assign first."))
        return redirect(back)
    assignee: Membership | None = None
    if choice and choice != "none":
        assignee = selectors.access_member(organization=org, pk=choice)
    cases = [selectors.access_case(organization=org, pk=pk) for pk in ids]
    try:
        changed = services.case_bulk_assign(
            organization=org, cases=cases, assignee=assignee, actor=user_of(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        ngettext("%(n)d case assigned.", "%(n)d cases assigned.", changed) % {"n": changed},
    )
    return redirect(back)


@org_view(read=WORK, write=WORK)
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case by hand (a phone call, a visit, an email that did not come from a survey)."""
    from closeloop.contacts.models import Contact
    from closeloop.contacts.services import contact_create

    org = org_of(request)
    teams = Team.objects.filter(organization=org).order_by("name")
    members = Membership.objects.filter(
        pk__in=[m.pk for m in selectors.case_agents(organization=org)]
    ).select_related("user")
    form = CaseCreateForm(request.POST or None, teams=teams, members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contact = None
        try:
            if data["contact_email"]:
                email = data["contact_email"].lower()
                contact = Contact.objects.filter(organization=org, email=email).first()
                if contact is None:
                    contact = contact_create(
                        organization=org, data={"email": email}, actor=user_of(request)
                    )
            case = services.case_create(
                organization=org,
                title=data["title"],
                team=data["team"],
                priority=data["priority"],
                contact=contact,
                assignee=data["assignee"],
                assignee_strategy=AssigneeStrategy.ROUND_ROBIN,
                actor=user_of(request),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Case #%(n)s opened.") % {"n": case.number})
            return redirect("cases:detail", org.slug, case.pk)
    return render(request, "cases/new.html", {"form": form})


def case_row_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.organization.slug, case.pk])
