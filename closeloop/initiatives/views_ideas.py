"""Staff pages of the idea portal under /o/<org_slug>/ideas/: the list with filters, one idea
(votes, comments, status with a public reply, merge, themes and initiative), the moderation
queue and the portal's settings. Reading needs VIEW; moderating, replying and setting statuses
need EDIT_SURVEYS or WORK_CASES; the portal settings need EDIT_SURVEYS."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.errors import DomainError
from closeloop.initiatives.choices import IdeaStatus
from closeloop.initiatives.forms_ideas import (
    STATUS_FILTERS,
    LinkForm,
    MergeForm,
    OfficialCommentForm,
    PortalSettingsForm,
    StaffIdeaForm,
    StatusForm,
)
from closeloop.initiatives.ideas import selectors, services
from closeloop.initiatives.models import Idea

MODERATE_PERMS = (Perm.EDIT_SURVEYS, Perm.WORK_CASES)


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def can_moderate(request: HttpRequest) -> bool:
    role = request.membership.role  # type: ignore[attr-defined]
    return any(has_perm(role, p) for p in MODERATE_PERMS)


def _require_moderate(request: HttpRequest) -> None:
    if not can_moderate(request):
        raise PermissionDenied


def _themes(org: Organization) -> Any:
    from closeloop.text.models import Theme

    return Theme.objects.filter(organization=org).exclude(status="merged").order_by("key")


def _initiatives(org: Organization) -> Any:
    from closeloop.initiatives.models import Initiative

    return Initiative.objects.filter(organization=org).order_by("-number")


def _create_initiative_url(org: Organization, idea: Idea) -> str:
    try:
        return reverse("initiatives:create", kwargs={"org_slug": org.slug}) + f"?idea={idea.pk}"
    except NoReverseMatch:
        return ""


@org_view(read=Perm.VIEW, write=Perm.VIEW)
def idea_list(request: HttpRequest) -> HttpResponse:
    """All ideas: filter by status, theme, initiative and words; sort by votes or newest."""
    org = _org(request)
    f = selectors.IdeaFilters(
        status=request.GET.get("status", ""),
        theme=request.GET.get("theme", ""),
        initiative=request.GET.get("initiative", ""),
        q=request.GET.get("q", "").strip()[:100],
        sort=request.GET.get("sort", "votes"),
    )
    ideas = selectors.idea_list(organization=org, filters=f)
    page = Paginator(ideas, 30).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in vars(f).items() if v})
    portal = selectors.portal_get(organization=org)
    return render(request, "initiatives/ideas/list.html", {
        "page": page,
        "filters": f,
        "query": query,
        "status_filters": STATUS_FILTERS,
        "themes": _themes(org),
        "initiatives": _initiatives(org),
        "portal": portal,
        "moderation_count": selectors.moderation_count(organization=org),
        "can_moderate": can_moderate(request),
        "new_form": StaffIdeaForm(),
    })  # fmt: skip


@org_view(read=Perm.VIEW, write=Perm.VIEW)
@require_POST
def idea_new(request: HttpRequest) -> HttpResponse:
    """Add an idea on a customer's behalf (from a call, a meeting): open at once."""
    _require_moderate(request)
    org = _org(request)
    form = StaffIdeaForm(request.POST)
    if form.is_valid():
        try:
            idea = services.idea_create(
                organization=org, title=form.cleaned_data["title"], body=form.cleaned_data["body"],
                language=org.default_language, actor=_user(request),
            )  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("ideas:detail", org_slug=org.slug, pk=idea.pk)
    else:
        messages.error(request, _("Give the idea a title."))
    return redirect("ideas:list", org_slug=org.slug)


def _detail_context(request: HttpRequest, idea: Idea, **forms: Any) -> dict[str, Any]:
    org = _org(request)
    return {
        "idea": idea,
        "votes": selectors.idea_votes(idea=idea),
        "comments": idea.comments.select_related("visitor", "author_user").order_by("created_at"),
        "history": idea.status_changes.select_related("actor").order_by("created_at"),
        "status_form": forms.get("status_form")
        or StatusForm(initial={"status": idea.status, "reply": idea.public_reply}),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "link_form": forms.get("link_form")
        or LinkForm(
            themes=_themes(org),
            initiatives=_initiatives(org),
            initial={"themes": list(idea.themes.all()), "initiative": idea.initiative},
        ),
        "comment_form": forms.get("comment_form") or OfficialCommentForm(),
        "can_moderate": can_moderate(request),
        "create_initiative_url": _create_initiative_url(org, idea),
        "portal": selectors.portal_get(organization=org),
        "merged_ideas": idea.merged_ideas.all(),
        "public_statuses": (
            "open",
            "under_review",
            "planned",
            "in_progress",
            "shipped",
            "declined",
        ),
    }


@org_view(read=Perm.VIEW, write=Perm.VIEW)
def idea_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    """One idea with its votes (how many, who), comments and history, and the staff actions."""
    idea = selectors.access_idea(organization=_org(request), pk=pk)
    return render(request, "initiatives/ideas/detail.html", _detail_context(request, idea))


def _back(request: HttpRequest, idea: Idea) -> HttpResponse:
    return redirect("ideas:detail", org_slug=_org(request).slug, pk=idea.pk)


@org_view(read=Perm.VIEW, write=Perm.VIEW)
@require_POST
def idea_status(request: HttpRequest, pk: Any) -> HttpResponse:
    """Set the status with a public reply; voters and the author are emailed."""
    _require_moderate(request)
    idea = selectors.access_idea(organization=_org(request), pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            change = services.idea_transition(
                idea=idea, to_status=form.cleaned_data["status"],
                reply=form.cleaned_data["reply"], actor=_user(request),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error("status", exc.message)
        else:
            messages.success(
                request,
                _("Status set to %(status)s; %(n)d people will be emailed.")
                % {"status": IdeaStatus(change.to_status).label, "n": change.notified},
            )
            return _back(request, idea)
    return render(
        request,
        "initiatives/ideas/detail.html",
        _detail_context(request, idea, status_form=form),
        status=400,
    )


@org_view(read=Perm.VIEW, write=Perm.VIEW)
@require_POST
def idea_moderate(request: HttpRequest, pk: Any) -> HttpResponse:
    """Approve a pending idea (it appears on the portal) or reject it (it never does)."""
    _require_moderate(request)
    org = _org(request)
    idea = selectors.access_idea(organization=org, pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.idea_transition(
            idea=idea, to_status=IdeaStatus.OPEN if approve else IdeaStatus.REJECTED,
            actor=_user(request),
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Idea approved.") if approve else _("Idea rejected."))
    if request.POST.get("next") == "moderation":
        return redirect("ideas:moderation", org_slug=org.slug)
    return _back(request, idea)


@org_view(read=Perm.VIEW, write=Perm.VIEW)
@require_POST
def idea_merge(request: HttpRequest, pk: Any) -> HttpResponse:
    """Merge this idea into another (by number)."""
    _require_moderate(request)
    org = _org(request)
    idea = selectors.access_idea(organization=org, pk=pk)
    form = MergeForm(request.POST)
    if form.is_valid():
        into = Idea.objects.filter(organization=org, number=form.cleaned_data["into"]).first()
        if into is None:
            form.add_error("into", _("There is no idea with this number."))
        else:
            try:
                keep = services.idea_merge(idea=idea, into=into, actor=_user(request))
            except DomainError as exc:
                form.add_error("into", exc.message)
            else:
                messages.success(request, _("Merged into #%(n)d.") % {"n": keep.number})
                return _back(request, keep)
    return render(
        request,
        "initiatives/ideas/detail.html",
        _detail_context(request, idea, merge_form=form),
        status=400,
    )


@org_view(read=Perm.VIEW, write=Perm.VIEW)
@require_POST
def idea_links(request: HttpRequest, pk: Any) -> HttpResponse:
    """Link the idea to themes and an initiative."""
    _require_moderate(request)
    org = _org(request)
    idea = selectors.access_idea(organization=org, pk=pk)
    form = LinkForm(request.POST, themes=_themes(org), initiatives=_initiatives(org))
    if form.is_valid():
        services.idea_update(
            idea=idea, actor=_user(request), themes=form.cleaned_data["themes"],
            initiative=form.cleaned_data["initiative"],
        )  # fmt: skip
        messages.success(request, _("Links saved."))
        return _back(request, idea)
    return render(
        request,
        "initiatives/ideas/detail.html",
        _detail_context(request, idea, link_form=form),
        status=400,
    )


@org_view(read=Perm.VIEW, write=Perm.VIEW)
@require_POST
def idea_reply(request: HttpRequest, pk: Any) -> HttpResponse:
    """An official comment on the idea."""
    _require_moderate(request)
    idea = selectors.access_idea(organization=_org(request), pk=pk)
    form = OfficialCommentForm(request.POST)
    if form.is_valid():
        services.comment_add(idea=idea, body=form.cleaned_data["body"], author_user=_user(request))
        messages.success(request, _("Reply posted."))
        return _back(request, idea)
    return render(
        request,
        "initiatives/ideas/detail.html",
        _detail_context(request, idea, comment_form=form),
        status=400,
    )


@org_view(read=Perm.VIEW, write=Perm.VIEW)
@require_POST
def comment_moderate(request: HttpRequest, pk: Any) -> HttpResponse:
    """Approve or remove a comment."""
    _require_moderate(request)
    org = _org(request)
    row = selectors.access_comment(organization=org, pk=pk)
    approve = request.POST.get("decision") == "approve"
    services.comment_moderate(comment=row, approve=approve, actor=_user(request))
    messages.success(request, _("Comment approved.") if approve else _("Comment removed."))
    if request.POST.get("next") == "moderation":
        return redirect("ideas:moderation", org_slug=org.slug)
    return _back(request, row.idea)


@org_view(read=Perm.VIEW, write=Perm.VIEW)
@require_POST
def visitor_block(request: HttpRequest, pk: Any) -> HttpResponse:
    """Block (or unblock) a visitor: they can no longer propose, vote or comment."""
    _require_moderate(request)
    org = _org(request)
    visitor = selectors.access_visitor(organization=org, pk=pk)
    blocked = request.POST.get("block", "1") == "1"
    services.visitor_block(visitor=visitor, actor=_user(request), blocked=blocked)
    messages.success(
        request,
        (_("%(email)s is blocked.") if blocked else _("%(email)s may take part again."))
        % {"email": visitor.email},
    )
    return redirect(
        request.POST.get("back") or reverse("ideas:moderation", kwargs={"org_slug": org.slug})
    )


@org_view(read=Perm.VIEW, write=Perm.VIEW)
def moderation(request: HttpRequest) -> HttpResponse:
    """The moderation queue: new ideas and comments waiting for approval."""
    org = _org(request)
    return render(request, "initiatives/ideas/moderation.html", {
        **selectors.moderation_queue(organization=org),
        "can_moderate": can_moderate(request),
        "portal": selectors.portal_get(organization=org),
    })  # fmt: skip


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def portal_settings(request: HttpRequest) -> HttpResponse:
    """The portal's settings: open or closed, who sees it, branding and language, limits."""
    org = _org(request)
    portal = selectors.portal_get(organization=org)
    can_edit = has_perm(request.membership.role, Perm.EDIT_SURVEYS)  # type: ignore[attr-defined]
    if request.method == "POST":
        form = PortalSettingsForm(request.POST, instance=portal)
        if form.is_valid():
            values = {k: form.cleaned_data[k] for k in PortalSettingsForm.Meta.fields}
            values["title"] = form.texts("title")
            values["intro"] = form.texts("intro")
            portal.refresh_from_db()
            services.portal_update(portal=portal, actor=_user(request), **values)
            messages.success(request, _("Portal settings saved."))
            return redirect("ideas:settings", org_slug=org.slug)
    else:
        form = PortalSettingsForm(instance=portal)
    return render(request, "initiatives/ideas/settings.html", {
        "form": form, "portal": portal, "can_edit": can_edit,
        "portal_url": reverse("portal:home", kwargs={"org_slug": org.slug}),
    })  # fmt: skip
