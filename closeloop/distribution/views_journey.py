"""Pages of the customer journey: touchpoints in order, listening posts, links and QR codes."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.errors import DomainError
from closeloop.distribution import journey_selectors as selectors
from closeloop.distribution import journey_services as services
from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.forms_journey import ListeningPostForm, TouchpointForm
from closeloop.distribution.qr import FORMATS, qr_image

READ = Perm.VIEW
WRITE = Perm.EDIT_SURVEYS


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can_edit(request: HttpRequest) -> bool:
    return has_perm(request.membership.role, WRITE)  # type: ignore[attr-defined]


def _form_error(form: Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@org_view(read=READ, write=WRITE)
def journey_list(request: HttpRequest) -> HttpResponse:
    """The journey: every touchpoint in order with who listens there and what customers said;
    POST adds a touchpoint at the end."""
    org = _org(request)
    services.touchpoints_ensure_defaults(organization=org)
    form = TouchpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            touchpoint = services.touchpoint_create(
                organization=org,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=_user(request),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Touchpoint %(name)s added.") % {"name": touchpoint.name})
            return redirect("journey:detail", org_slug=org.slug, touchpoint_id=touchpoint.pk)
    stops = selectors.journey(organization=org)
    context = {
        "stops": stops,
        "form": form,
        "can_edit": _can_edit(request),
        "window_days": selectors.WINDOW_DAYS,
        "gaps": sum(1 for s in stops if s.no_listening_post),
    }
    return render(request, "distribution/journey_list.html", context)


@org_view(read=READ, write=WRITE)
def touchpoint_detail(request: HttpRequest, touchpoint_id: str) -> HttpResponse:
    """One touchpoint: edit it, its listening posts, and the link and QR code of each."""
    org = _org(request)
    touchpoint = selectors.access_touchpoint(organization=org, pk=touchpoint_id)
    form = TouchpointForm(
        request.POST or None,
        initial={"name": touchpoint.name, "description": touchpoint.description},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.touchpoint_update(
                touchpoint=touchpoint,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=_user(request),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Touchpoint %(name)s saved.") % {"name": touchpoint.name})
            return redirect("journey:detail", org_slug=org.slug, touchpoint_id=touchpoint.pk)
    context = {
        "touchpoint": touchpoint,
        "stop": selectors.journey_stop(touchpoint=touchpoint),
        "form": form,
        "post_form": ListeningPostForm(organization=org),
        "can_edit": _can_edit(request),
        "window_days": selectors.WINDOW_DAYS,
    }
    return render(request, "distribution/journey_detail.html", context)


@org_view(read=WRITE, write=WRITE)
def touchpoint_delete(request: HttpRequest, touchpoint_id: str) -> HttpResponse:
    """Confirm, then delete a touchpoint."""
    org = _org(request)
    touchpoint = selectors.access_touchpoint(organization=org, pk=touchpoint_id)
    if request.method == "POST":
        name = touchpoint.name
        services.touchpoint_delete(touchpoint=touchpoint, actor=_user(request))
        messages.success(request, _("Touchpoint %(name)s deleted.") % {"name": name})
        return redirect("journey:list", org_slug=org.slug)
    return render(request, "distribution/journey_delete.html", {"touchpoint": touchpoint})


@org_view(read=WRITE, write=WRITE)
@require_POST
def touchpoint_move(request: HttpRequest, touchpoint_id: str) -> HttpResponse:
    """Move a touchpoint one step up or down the journey (a plain form button per direction)."""
    org = _org(request)
    touchpoint = selectors.access_touchpoint(organization=org, pk=touchpoint_id)
    try:
        services.touchpoint_move(
            touchpoint=touchpoint, direction=request.POST.get("direction", ""), actor=_user(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    url = redirect("journey:list", org_slug=org.slug).url
    # Back to the moved card, so keyboard users keep their place.
    return redirect(f"{url}#tp-{touchpoint.key}")


@org_view(read=WRITE, write=WRITE)
@require_POST
def post_add(request: HttpRequest, touchpoint_id: str) -> HttpResponse:
    """Add a listening post (a survey and a channel) at a touchpoint."""
    org = _org(request)
    touchpoint = selectors.access_touchpoint(organization=org, pk=touchpoint_id)
    form = ListeningPostForm(request.POST, organization=org)
    if form.is_valid():
        try:
            services.listening_post_add(
                touchpoint=touchpoint,
                survey=form.cleaned_data["survey"],
                channel=form.cleaned_data["channel"],
                actor=_user(request),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Listening post added."))
            return redirect("journey:detail", org_slug=org.slug, touchpoint_id=touchpoint.pk)
    context = {
        "touchpoint": touchpoint,
        "stop": selectors.journey_stop(touchpoint=touchpoint),
        "form": TouchpointForm(
            initial={"name": touchpoint.name, "description": touchpoint.description}
        ),
        "post_form": form,
        "can_edit": True,
        "window_days": selectors.WINDOW_DAYS,
    }
    return render(request, "distribution/journey_detail.html", context, status=400)


@org_view(read=WRITE, write=WRITE)
@require_POST
def post_remove(request: HttpRequest, touchpoint_id: str, listening_post_id: str) -> HttpResponse:
    """Remove a listening post from a touchpoint."""
    org = _org(request)
    touchpoint = selectors.access_touchpoint(organization=org, pk=touchpoint_id)
    post = selectors.access_listening_post(touchpoint=touchpoint, pk=listening_post_id)
    services.listening_post_remove(post=post, actor=_user(request))
    messages.success(request, _("Listening post removed."))
    return redirect("journey:detail", org_slug=org.slug, touchpoint_id=touchpoint.pk)


def _qr_target(request: HttpRequest, touchpoint_id: str, survey_id: str) -> tuple[str, str]:
    """(link, file name stem) of a survey's QR code at a touchpoint, or 404."""
    org = _org(request)
    touchpoint = selectors.access_touchpoint(organization=org, pk=touchpoint_id)
    survey = selectors.qr_survey_for(touchpoint=touchpoint, survey_id=survey_id)
    if survey is None:
        raise Http404
    link = selectors.touchpoint_link(
        survey=survey, touchpoint=touchpoint, channel=ListeningChannel.QR
    )
    stem = f"qr-{slugify(survey.name)[:40] or 'survey'}-{touchpoint.key}"
    return link, stem


@org_view(read=READ)
def touchpoint_qr(request: HttpRequest, touchpoint_id: str, survey_id: str) -> HttpResponse:
    """The QR code of a survey's link at a touchpoint: `?format=svg` (default) or `png`;
    `?download=1` saves it as a file."""
    fmt = request.GET.get("format", "svg")
    if fmt not in FORMATS:
        raise Http404
    link, stem = _qr_target(request, touchpoint_id, survey_id)
    body, content_type = qr_image(link, fmt, title=link)
    response = HttpResponse(body, content_type=content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{stem}.{fmt}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@org_view(read=READ)
def touchpoint_poster(request: HttpRequest, touchpoint_id: str, survey_id: str) -> HttpResponse:
    """A printable page with the QR code, for a shop counter or a parcel insert."""
    org = _org(request)
    touchpoint = selectors.access_touchpoint(organization=org, pk=touchpoint_id)
    survey = selectors.qr_survey_for(touchpoint=touchpoint, survey_id=survey_id)
    if survey is None:
        raise Http404
    context = {
        "touchpoint": touchpoint,
        "survey": survey,
        "link": selectors.touchpoint_link(
            survey=survey, touchpoint=touchpoint, channel=ListeningChannel.QR
        ),
    }
    return render(request, "distribution/journey_poster.html", context)
