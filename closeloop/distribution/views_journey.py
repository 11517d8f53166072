"""Pages of the customer journey: touchpoints in order, listening posts, links and QR codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.crud import Crud, Labels
from closeloop.core.errors import DomainError
from closeloop.distribution import journey_selectors as selectors
from closeloop.distribution import journey_services as services
from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.forms_journey import ListeningPostForm, TouchpointForm
from closeloop.distribution.models import ListeningPost, Touchpoint
from closeloop.distribution.qr import FORMATS, qr_image

READ = Perm.VIEW
WRITE = Perm.EDIT_SURVEYS


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can_edit(request: HttpRequest) -> bool:
    return has_perm(request.membership.role, WRITE)  # type: ignore[attr-defined]


def _touchpoint(request: HttpRequest, touchpoint_id: str) -> Touchpoint:
    return selectors.access_touchpoint(organization=_org(request), pk=touchpoint_id)


def _detail_url(request: HttpRequest, touchpoint_id: Any) -> str:
    return reverse(
        "journey:detail", kwargs={"org_slug": _org(request).slug, "touchpoint_id": touchpoint_id}
    )


def _list_context(request: HttpRequest, form: Form | None, obj: Any) -> Mapping[str, Any]:
    stops = selectors.journey(organization=_org(request))
    return {
        "stops": stops,
        "can_edit": _can_edit(request),
        "window_days": selectors.WINDOW_DAYS,
        "gaps": sum(1 for s in stops if s.no_listening_post),
    }


def _detail_context(
    request: HttpRequest, touchpoint: Touchpoint, **forms: Form | None
) -> dict[str, Any]:
    return {
        "touchpoint": touchpoint,
        "stop": selectors.journey_stop(touchpoint=touchpoint),
        "form": forms.get("form")
        or TouchpointForm(initial={"name": touchpoint.name, "description": touchpoint.description}),
        "post_form": forms.get("post_form") or ListeningPostForm(organization=_org(request)),
        "can_edit": _can_edit(request),
        "window_days": selectors.WINDOW_DAYS,
    }


touchpoints = Crud[Touchpoint](
    read=READ,
    write=WRITE,
    form=TouchpointForm,
    form_kwargs=lambda request, tp: (
        {"initial": {"name": tp.name, "description": tp.description}} if tp is not None else {}
    ),
    access=_touchpoint,
    create=lambda request, data, _parent: services.touchpoint_create(
        organization=_org(request), actor=_user(request), **data
    ),
    update=lambda request, tp, data: services.touchpoint_update(
        touchpoint=tp, actor=_user(request), **data
    ),
    delete=lambda request, tp: services.touchpoint_delete(touchpoint=tp, actor=_user(request)),
    prepare=lambda request: services.touchpoints_ensure_defaults(organization=_org(request)),
    labels=Labels(
        added=gettext_lazy("Touchpoint %(name)s added."),
        saved=gettext_lazy("Touchpoint %(name)s saved."),
        deleted=gettext_lazy("Touchpoint %(name)s deleted."),
    ),
    success_url=lambda request, tp: _detail_url(request, tp.pk),
    deleted_url="journey:list",
    invalid_status=200,  # the journey pages show a refused form with 200
)
# The journey: every touchpoint in order, who listens there and what customers said; POST adds
# a touchpoint at the end.
journey_list = touchpoints.add_view(
    template="distribution/journey_list.html", context=_list_context
)
# One touchpoint: edit it, its listening posts, and the link and QR code of each.
touchpoint_detail = touchpoints.edit_view(
    template="distribution/journey_detail.html",
    context=lambda request, form, tp: _detail_context(request, tp, form=form),
)
# Confirm, then delete a touchpoint.
touchpoint_delete = touchpoints.delete_view(
    confirm_template="distribution/journey_delete.html",
    context=lambda request, _form, tp: {"touchpoint": tp},
    read=WRITE,
)


@org_view(read=WRITE, write=WRITE)
@require_POST
def touchpoint_move(request: HttpRequest, touchpoint_id: str) -> HttpResponse:
    """Move a touchpoint one step up or down the journey (a plain form button per direction)."""
    touchpoint = _touchpoint(request, touchpoint_id)
    try:
        services.touchpoint_move(
            touchpoint=touchpoint, direction=request.POST.get("direction", ""), actor=_user(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    url = reverse("journey:list", kwargs={"org_slug": _org(request).slug})
    # Back to the moved card, so keyboard users keep their place.
    return redirect(f"{url}#tp-{touchpoint.key}")


listening_posts = Crud[ListeningPost](
    read=WRITE,
    write=WRITE,
    form=ListeningPostForm,
    form_kwargs=lambda request, _tp: {"organization": _org(request)},
    parent=_touchpoint,
    access=lambda request, touchpoint_id, listening_post_id: selectors.access_listening_post(
        touchpoint=_touchpoint(request, touchpoint_id), pk=listening_post_id
    ),
    create=lambda request, data, tp: services.listening_post_add(
        touchpoint=tp, actor=_user(request), **data
    ),
    delete=lambda request, post: services.listening_post_remove(post=post, actor=_user(request)),
    labels=Labels(
        added=gettext_lazy("Listening post added."),
        deleted=gettext_lazy("Listening post removed."),
    ),
    success_url=lambda request, post: _detail_url(request, post.touchpoint_id),
)
# Add a listening post (a survey and a channel) at a touchpoint; remove one.
post_add = listening_posts.add_view(
    template="distribution/journey_detail.html",
    context=lambda request, form, tp: _detail_context(request, tp, post_form=form),
    post_only=True,
)
post_remove = listening_posts.delete_view()


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
