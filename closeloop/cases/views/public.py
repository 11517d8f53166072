"""The customer's follow-up page: one-click "Did we resolve your issue?" and a fresh score."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from closeloop.cases.followup import follow_up_answer, follow_up_case
from closeloop.core.errors import NotFoundError


def _parse(raw_resolved: str | None, raw_score: str | None) -> tuple[bool | None, int | None]:
    resolved = {"yes": True, "no": False}.get((raw_resolved or "").lower())
    score = None
    if raw_score is not None and raw_score.strip().isdigit():
        value = int(raw_score)
        score = value if 0 <= value <= 10 else None
    return resolved, score


@csrf_exempt  # the token in the URL is the credential; there is no session to forge
def follow_up(request: HttpRequest, token: str) -> HttpResponse:
    """GET with ?resolved=yes|no and/or ?score=N records the answer (the email's one-click
    links); the page then asks for what is still missing. POST does the same from its form."""
    try:
        case = follow_up_case(token=token)
    except NotFoundError as exc:
        return render(request, "cases/follow_up.html", {"error": exc.message}, status=404)
    source = request.POST if request.method == "POST" else request.GET
    resolved, score = _parse(source.get("resolved"), source.get("score"))
    with translation.override(case.language or case.organization.default_language):
        case = follow_up_answer(case=case, resolved=resolved, score=score)
        return render(
            request,
            "cases/follow_up.html",
            {
                "case": case,
                "org": case.organization,
                "token": token,
                "scores": range(11),
                "answered": resolved is not None or score is not None,
            },
        )
