"""Announcement pages (under /o/<org_slug>/announcements/): compose per language for a shipped
initiative, preview one recipient's copy, send, follow the progress and the opens; the
frequency settings; and the public open pixel."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.errors import DomainError
from closeloop.initiatives import announcements as svc
from closeloop.initiatives.choices import AnnouncementStatus, RecipientStatus
from closeloop.initiatives.forms_announcements import AnnouncementForm, FrequencyForm
from closeloop.initiatives.models import Announcement, Initiative
from closeloop.initiatives.selectors import access_initiative

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
RECIPIENTS_SHOWN = 500


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can(request: HttpRequest, perm: Perm) -> bool:
    membership = cast(Membership, request.membership)  # type: ignore[attr-defined]
    return has_perm(membership.role, perm)


def _initial(
    initiative: Initiative, announcement: Announcement | None, languages: list[str]
) -> dict[str, str]:
    initial: dict[str, str] = {}
    default_changed = initiative.description or initiative.title
    for code in languages:
        text = (announcement.texts or {}).get(code) if announcement is not None else None
        text = text or svc.default_text(code)
        changed = (announcement.what_changed or {}).get(code) if announcement is not None else None
        initial[f"{code}_subject"] = text["subject"]
        initial[f"{code}_body"] = text["body"]
        initial[f"{code}_what_changed"] = changed or default_changed
    return initial


def _compose(
    request: HttpRequest, initiative: Initiative, announcement: Announcement | None
) -> HttpResponse:
    org = _org(request)
    planned = svc.recipients_planned(initiative=initiative, announcement=announcement)
    languages = svc.recipient_languages(planned, org.default_language)
    form = AnnouncementForm(
        request.POST if request.method == "POST" else None,
        languages=languages,
        initial=_initial(initiative, announcement, languages),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if announcement is None:
                    announcement = svc.announcement_create(
                        initiative=initiative,
                        actor=_user(request),
                        texts=form.texts(),
                        what_changed=form.what_changed(),
                    )
                else:
                    announcement = svc.announcement_update(
                        announcement=announcement,
                        actor=_user(request),
                        texts=form.texts(),
                        what_changed=form.what_changed(),
                    )
            except DomainError as exc:
                form.add_domain_error(exc.field, exc.message)
            else:
                if request.POST.get("action") == "send":
                    try:
                        svc.announcement_send(announcement=announcement, actor=_user(request))
                    except DomainError as exc:
                        messages.error(request, exc.message)
                    else:
                        messages.success(
                            request, _("The announcement is on its way; this page shows it.")
                        )
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("announcements:detail", org.slug, announcement.pk)
        status = 400
    counts = {
        "total": len(planned),
        "skipped": sum(1 for p in planned if p.skip),
    }
    context = {
        "initiative": initiative,
        "announcement": announcement,
        "form": form,
        "planned": planned,
        "counts": counts,
        "can_send": initiative.status in svc.SENDABLE,
    }
    return render(request, "initiatives/announcement_compose.html", context, status=status)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def announcement_compose_view(request: HttpRequest, initiative_pk: Any) -> HttpResponse:
    """Write a new announcement of the initiative (per language) and send it or keep a draft."""
    initiative = access_initiative(organization=_org(request), pk=initiative_pk)
    return _compose(request, initiative, None)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def announcement_edit_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """Change a draft's wording (a sent announcement goes to its page)."""
    announcement = svc.access_announcement(organization=_org(request), pk=pk)
    if announcement.status != AnnouncementStatus.DRAFT:
        return redirect("announcements:detail", _org(request).slug, announcement.pk)
    return _compose(request, announcement.initiative, announcement)


@org_view(read=Perm.EDIT_SURVEYS)
@require_GET
def announcement_preview_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """One recipient's copy of a draft (`?r=<contact id>`, the first recipient by default)."""
    org = _org(request)
    announcement = svc.access_announcement(organization=org, pk=pk)
    planned = svc.recipients_planned(initiative=announcement.initiative, announcement=announcement)
    key = request.GET.get("r")
    chosen = next((p.recipient for p in planned if p.recipient.key == key), None)
    if chosen is None and planned:
        chosen = planned[0].recipient
    message = (
        svc.announcement_preview(announcement=announcement, recipient=chosen)
        if chosen is not None
        else None
    )
    context = {
        "announcement": announcement,
        "planned": planned,
        "chosen": chosen,
        "message": message,
    }
    return render(request, "initiatives/announcement_preview.html", context)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def announcement_send_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """Send a draft now (in the background)."""
    org = _org(request)
    announcement = svc.access_announcement(organization=org, pk=pk)
    try:
        svc.announcement_send(announcement=announcement, actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The announcement is on its way; this page shows it."))
    return redirect("announcements:detail", org.slug, announcement.pk)


@org_view(read=Perm.VIEW)
@require_GET
def announcement_detail_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """An announcement: its progress (htmx polls it while sending), deliveries and opens, each
    recipient's status, and its recipients' NPS before and after being told."""
    org = _org(request)
    announcement = svc.access_announcement(organization=org, pk=pk)
    counts = svc.announcement_counts(announcement)
    if getattr(request, "htmx", False) and request.GET.get("part") == "progress":
        return render(
            request,
            "initiatives/announcement_progress.html",
            {"announcement": announcement, "counts": counts},
        )
    row = svc.outer_loop_settings(organization=org)
    status = request.GET.get("status") or ""
    if status not in RecipientStatus.values:
        status = ""
    context: dict[str, Any] = {
        "announcement": announcement,
        "initiative": announcement.initiative,
        "counts": counts,
        "status": status,
        "statuses": RecipientStatus.choices,
        "can_send": _can(request, Perm.EDIT_SURVEYS),
        "shipped": announcement.initiative.status in svc.SENDABLE,
    }
    if announcement.status == AnnouncementStatus.DRAFT:
        context["planned"] = svc.recipients_planned(
            initiative=announcement.initiative, announcement=announcement
        )
    else:
        rows = list(
            svc.announcement_recipients(announcement=announcement, status=status or None)[
                :RECIPIENTS_SHOWN
            ]
        )
        for item in rows:
            item.skip_text = svc.skip_reason_text(item.skip_reason, row) if item.skip_reason else ""  # type: ignore[attr-defined]
        context["recipients"] = rows
        context["change"] = svc.told_nps_change(announcement)
    return render(request, "initiatives/announcement_detail.html", context)


@org_view(read=Perm.VIEW)
@require_GET
def announcement_list_view(request: HttpRequest) -> HttpResponse:
    """Every announcement of the organization, newest first."""
    org = _org(request)
    rows = svc.announcement_list(organization=org)[:200]
    return render(
        request,
        "initiatives/announcement_list.html",
        {"announcements": rows, "can_manage": _can(request, Perm.MANAGE_MEMBERS)},
    )


@org_view(read=Perm.MANAGE_MEMBERS, write=Perm.MANAGE_MEMBERS)
def announcement_settings_view(request: HttpRequest) -> HttpResponse:
    """How often one contact may receive announcements (admins)."""
    org = _org(request)
    row = svc.outer_loop_settings(organization=org)
    form = FrequencyForm(request.POST or None, instance=row)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                svc.outer_loop_settings_update(
                    organization=org, actor=_user(request), **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Announcement limits saved."))
                return redirect("announcements:settings", org.slug)
        status = 400
    return render(request, "initiatives/announcement_settings.html", {"form": form}, status=status)


@require_GET
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """A 1x1 GIF; loading it marks the recipient's announcement opened (once)."""
    svc.announcement_opened(token=token)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    response["Expires"] = (timezone.now() - dt.timedelta(days=1)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    return response
