"""The verbatim explorer (/o/<org>/text/comments/): search and filter comments, highlighted;
correct a comment's sentiment and themes; open a case from a comment."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from closeloop.accounts.access import access_object, org_view
from closeloop.core.crud import form_errors_text
from closeloop.core.errors import DomainError
from closeloop.text import explorer
from closeloop.text.comment_cases import comment_case_create
from closeloop.text.comment_writes import comment_correct
from closeloop.text.forms import CaseFromCommentForm, CorrectionForm, ExplorerForm, language_name
from closeloop.text.models import Comment
from closeloop.text.views.common import (
    EDIT,
    READ,
    WORK,
    can,
    org_of,
    ui_language,
    user_of,
)

PAGE_SIZE = 25


def _comment(request: HttpRequest, comment_id: uuid.UUID) -> Comment:
    return access_object(Comment.objects.all(), organization=org_of(request), pk=comment_id)


def _back(request: HttpRequest) -> str:
    """Where to return after a correction: the explorer page the form was on."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("text:comments", kwargs={"org_slug": org_of(request).slug})


@org_view(read=READ)
@require_safe
def comment_list(request: HttpRequest) -> HttpResponse:
    """Search comments in any language with filters; matched words highlighted."""
    org = org_of(request)
    language = ui_language(request)
    facets = explorer.facets(organization=org)
    form = ExplorerForm(
        request.GET or None, organization=org, languages=facets["languages"], language=language
    )
    filters = form.filters() if form.is_bound and form.is_valid() else explorer.CommentFilters()
    comments = explorer.comment_search(organization=org, filters=filters)
    page = Paginator(comments, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    links = explorer.themes_of(rows)
    can_edit, can_work = can(request, EDIT), can(request, WORK)
    items: list[dict[str, Any]] = []
    for comment in rows:
        themes = links.get(comment.pk, [])
        item: dict[str, Any] = {
            "comment": comment,
            "html": explorer.highlight(comment.text, comment.language, filters.terms),
            "themes": [(link, link.theme.name_in(language)) for link in themes],
            "language_name": language_name(comment.language) if comment.language else "",
        }
        if can_edit:
            item["correction"] = CorrectionForm(
                organization=org,
                language=language,
                initial={
                    "sentiment": comment.sentiment or "neutral",
                    "themes": [str(link.theme_id) for link in themes],
                },
                prefix=f"c{comment.pk.hex[:8]}",
            )
        items.append(item)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "items": items,
        "query": params.urlencode(),
        "terms": [t.raw for t in filters.terms],
        "filtered": form.is_bound
        and (not form.is_valid() or any(v for k, v in form.cleaned_data.items() if k != "q")),
        "can_edit": can_edit,
        "can_work": can_work,
        "case_form": CaseFromCommentForm(organization=org) if can_work else None,
        "here": request.get_full_path(),
    }
    return render(request, "text/comments.html", context)


@org_view(read=READ, write=EDIT)
@require_POST
def comment_correct_view(request: HttpRequest, comment_id: uuid.UUID) -> HttpResponse:
    """Correct a comment's sentiment and themes; kept and used by later enrichment."""
    org = org_of(request)
    comment = _comment(request, comment_id)
    prefix = request.POST.get("prefix") or None
    form = CorrectionForm(
        request.POST, organization=org, language=ui_language(request), prefix=prefix
    )
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_back(request))
    try:
        changed = comment_correct(
            comment=comment,
            sentiment=form.cleaned_data["sentiment"],
            theme_ids=[uuid.UUID(t) for t in form.cleaned_data["themes"]],
            actor=user_of(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if changed:
            messages.success(request, _("Correction saved: later comments learn from it."))
        else:
            messages.info(request, _("Nothing changed."))
    return redirect(_back(request))


@org_view(read=READ, write=WORK)
@require_POST
def comment_case_view(request: HttpRequest, comment_id: uuid.UUID) -> HttpResponse:
    """Open a case about a comment and go to it."""
    org = org_of(request)
    comment = _comment(request, comment_id)
    form = CaseFromCommentForm(request.POST, organization=org)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_back(request))
    try:
        case = comment_case_create(
            comment=comment,
            title=form.cleaned_data["title"],
            team=form.cleaned_data["team"],
            priority=form.cleaned_data["priority"],
            actor=user_of(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_back(request))
    messages.success(request, _("Case #%(n)s opened.") % {"n": case.number})
    return redirect("cases:detail", org.slug, case.pk)
