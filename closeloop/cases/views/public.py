"""The customer's follow-up page: "Did we resolve your issue?" and a fresh score.

A link in the email (`?resolved=no`, `?score=9`) only opens the page with that choice made:
mail scanners and link previews open links too, so nothing is recorded until the customer
presses the button (a POST with the usual CSRF token). Saving the same answer twice records it
once.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from closeloop.cases.followup import follow_up_answer, follow_up_case
from closeloop.cases.models import Case
from closeloop.core.errors import DomainError, NotFoundError


def _parse(raw_resolved: str | None, raw_score: str | None) -> tuple[bool | None, int | None]:
    resolved = {"yes": True, "no": False}.get((raw_resolved or "").lower())
    score = None
    if raw_score is not None and raw_score.strip().isdigit():
        value = int(raw_score)
        score = value if 0 <= value <= 10 else None
    return resolved, score


def _page(
    request: HttpRequest,
    case: Case,
    token: str,
    *,
    resolved: bool | None,
    score: int | None,
    answered: bool = False,
    confirm: bool = False,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "case": case,
        "org": case.organization,
        "token": token,
        "scores": range(11),
        "resolved": resolved,
        "score": score,
        "answered": answered,
        "confirm": confirm,
        "form_error": error,
    }
    return render(request, "cases/follow_up.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def follow_up(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the question with the link's choice (or the saved answer) selected; POST
    records the answer: "no" reopens the case, "yes" closes it."""
    try:
        case = follow_up_case(token=token)
    except NotFoundError as exc:
        return render(request, "cases/follow_up.html", {"error": exc.message}, status=404)
    with translation.override(case.language or case.organization.default_language):
        if request.method != "POST":
            resolved, score = _parse(request.GET.get("resolved"), request.GET.get("score"))
            confirm = resolved is not None or score is not None
            return _page(
                request,
                case,
                token,
                resolved=case.follow_up_resolved if resolved is None else resolved,
                score=case.follow_up_score if score is None else score,
                confirm=confirm,
            )
        resolved, score = _parse(request.POST.get("resolved"), request.POST.get("score"))
        if resolved is None and score is None:
            return _page(
                request,
                case,
                token,
                resolved=case.follow_up_resolved,
                score=case.follow_up_score,
                error=_("Choose Yes or No, or a score."),
                status=400,
            )
        try:
            case = follow_up_answer(case=case, resolved=resolved, score=score)
        except DomainError as exc:
            return _page(
                request, case, token, resolved=resolved, score=None, error=exc.message, status=400
            )
        return _page(
            request,
            case,
            token,
            resolved=case.follow_up_resolved,
            score=case.follow_up_score,
            answered=True,
        )
