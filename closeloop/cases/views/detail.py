"""One case: customer, their history, the response's answers, the timeline, and the controls
(reply with a template and preview, internal note, assign, priority, status, resolve)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Membership, Team
from closeloop.cases import config, selectors, services
from closeloop.cases.choices import TRANSITIONS, CasePriority, CaseStatus
from closeloop.cases.forms import NoteForm, ReplyForm, ResolveForm
from closeloop.cases.models import Case
from closeloop.cases.views.common import READ, WORK, can, form_error, org_of, user_of
from closeloop.core.errors import DomainError


def _context(
    request: HttpRequest,
    case: Case,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    resolve_form: ResolveForm | None = None,
    preview: dict[str, str] | None = None,
) -> dict[str, Any]:
    org = org_of(request)
    templates = config.reply_templates(organization=org, active_only=True)
    causes = config.root_causes(organization=org, active_only=True)
    moves = [
        (s, CaseStatus(s).label)
        for s in CaseStatus.values
        if s in TRANSITIONS.get(case.status, ()) and s != CaseStatus.RESOLVED
    ]
    return {
        "case": case,
        "timeline": selectors.case_timeline(case=case),
        "answers": selectors.case_answers(case=case),
        "history": selectors.contact_history(case=case),
        "replies": case.replies.select_related("delivery", "sent_by"),
        "reply_form": reply_form or ReplyForm(templates=templates),
        "note_form": note_form or NoteForm(),
        "resolve_form": resolve_form or ResolveForm(root_causes=causes),
        "preview": preview,
        "moves": moves,
        "can_resolve": CaseStatus.RESOLVED in TRANSITIONS.get(case.status, ()),
        "priorities": CasePriority.choices,
        "agents": selectors.case_agents(organization=org),
        "teams": Team.objects.filter(organization=org).order_by("name"),
        "can_work": can(request, WORK),
        "can_reply": bool(case.contact and case.contact.email and case.contact.erased_at is None),
        "placeholders": services.REPLY_PLACEHOLDERS,
    }


@org_view(read=READ, write=WORK)
def case_detail(request: HttpRequest, case_id: Any) -> HttpResponse:
    """The case page."""
    case = selectors.access_case(organization=org_of(request), pk=case_id)
    return render(request, "cases/detail.html", _context(request, case))


@org_view(read=READ, write=WORK)
@require_POST
def case_reply(request: HttpRequest, case_id: Any) -> HttpResponse:
    """Reply by email. Buttons: load the chosen template, preview, or send."""
    org = org_of(request)
    case = selectors.access_case(organization=org, pk=case_id)
    templates = config.reply_templates(organization=org, active_only=True)
    action = request.POST.get("action", "send")
    form = ReplyForm(request.POST, templates=templates)
    if action == "load":
        template = None
        if request.POST.get("template"):
            template = selectors.access_reply_template(
                organization=org, pk=request.POST["template"]
            )
        draft = services.reply_draft(case=case, template=template, agent=user_of(request))
        form = ReplyForm(initial={"template": template, **draft}, templates=templates)
        return _reply_box(request, case, form)
    if not form.is_valid():
        return _reply_box(request, case, form, status=400)
    data = form.cleaned_data
    if action == "preview":
        values = services.placeholder_values(case, user_of(request))
        preview = {
            "subject": services.render_placeholders(data["subject"], values)
            or _("About your feedback"),
            "body": services.render_placeholders(data["body"], values),
        }
        return _reply_box(request, case, form, preview=preview)
    try:
        services.case_reply(
            case=case,
            body=data["body"],
            subject=data["subject"],
            template=data["template"],
            actor=user_of(request),
        )
    except DomainError as exc:
        form_error(form, exc)
        return _reply_box(request, case, form, status=400)
    messages.success(
        request,
        _("Reply sent to %(email)s.") % {"email": case.contact.email if case.contact else ""},
    )
    return redirect("cases:detail", org.slug, case.pk)


def _reply_box(
    request: HttpRequest,
    case: Case,
    form: ReplyForm,
    *,
    preview: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _context(request, case, reply_form=form, preview=preview)
    if getattr(request, "htmx", False):
        return render(request, "cases/_reply_box.html", context, status=status)
    return render(request, "cases/detail.html", context, status=status)


@org_view(read=READ, write=WORK)
@require_POST
def case_note(request: HttpRequest, case_id: Any) -> HttpResponse:
    """Add an internal note."""
    org = org_of(request)
    case = selectors.access_case(organization=org, pk=case_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.case_add_note(
                case=case, body=form.cleaned_data["body"], actor=user_of(request)
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Note added."))
            return redirect("cases:detail", org.slug, case.pk)
    return render(request, "cases/detail.html", _context(request, case, note_form=form), status=400)


@org_view(read=READ, write=WORK)
@require_POST
def case_assign(request: HttpRequest, case_id: Any) -> HttpResponse:
    """Change the assignee and/or the team."""
    org = org_of(request)
    case = selectors.access_case(organization=org, pk=case_id)
    choice = request.POST.get("assignee", "")
    assignee: Membership | None = None
    if choice and choice != "none":
        assignee = selectors.access_member(organization=org, pk=choice)
    kwargs: dict[str, Any] = {}
    if "team" in request.POST:
        team_id = request.POST.get("team", "")
        kwargs["team"] = selectors.access_team(organization=org, pk=team_id) if team_id else None
    try:
        services.case_assign(case=case, assignee=assignee, actor=user_of(request), **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Assignment saved."))
    return redirect("cases:detail", org.slug, case.pk)


@org_view(read=READ, write=WORK)
@require_POST
def case_priority(request: HttpRequest, case_id: Any) -> HttpResponse:
    """Change the priority."""
    org = org_of(request)
    case = selectors.access_case(organization=org, pk=case_id)
    try:
        services.case_set_priority(
            case=case, priority=request.POST.get("priority", ""), actor=user_of(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Priority saved."))
    return redirect("cases:detail", org.slug, case.pk)


@org_view(read=READ, write=WORK)
@require_POST
def case_status(request: HttpRequest, case_id: Any) -> HttpResponse:
    """Move the case to another status (from the case page or a board card)."""
    org = org_of(request)
    case = selectors.access_case(organization=org, pk=case_id)
    try:
        services.case_transition(
            case=case,
            to_status=request.POST.get("to_status", ""),
            actor=user_of(request),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Case #%(n)s is now %(status)s.")
            % {"n": case.number, "status": CaseStatus(request.POST["to_status"]).label},
        )
    if request.POST.get("next") == "board":
        return redirect("cases:board", org.slug)
    return redirect("cases:detail", org.slug, case.pk)


@org_view(read=READ, write=WORK)
@require_POST
def case_resolve(request: HttpRequest, case_id: Any) -> HttpResponse:
    """Resolve with a root cause and a note; the customer gets the follow-up."""
    org = org_of(request)
    case = selectors.access_case(organization=org, pk=case_id)
    form = ResolveForm(
        request.POST, root_causes=config.root_causes(organization=org, active_only=True)
    )
    if form.is_valid():
        try:
            services.case_resolve(
                case=case,
                root_cause=form.cleaned_data["root_cause"],
                note=form.cleaned_data["note"],
                actor=user_of(request),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Case resolved; the customer was asked whether it is."))
            return redirect("cases:detail", org.slug, case.pk)
    return render(
        request, "cases/detail.html", _context(request, case, resolve_form=form), status=400
    )


@org_view(read=READ, write=WORK)
@require_POST
def case_tags(request: HttpRequest, case_id: Any) -> HttpResponse:
    """Add tags (comma separated)."""
    org = org_of(request)
    case = selectors.access_case(organization=org, pk=case_id)
    tags = [t for t in request.POST.get("tags", "").split(",") if t.strip()]
    if tags:
        services.case_add_tags(case=case, tags=tags, actor=user_of(request))
    return redirect("cases:detail", org.slug, case.pk)
