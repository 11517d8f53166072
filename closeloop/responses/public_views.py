"""The public survey page (no login): one page at a time, saved as the respondent goes.

Works without JavaScript: every step is a plain form POST answered with a redirect (or the page
again with its errors). The browser keeps a resume cookie; personal links resume their contact's
response. A per-render nonce makes a repeated POST of the same form harmless.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import trans_real
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from closeloop.distribution.journey_selectors import touchpoint_id_for_key
from closeloop.responses import ratelimit
from closeloop.responses.choices import Channel, ResponseStatus
from closeloop.responses.forms import FormData, answers_to_form
from closeloop.responses.models import PersonalLink, Response
from closeloop.responses.rendering import question_view
from closeloop.responses.selectors import (
    completed_count,
    definition_of,
    personal_link_by_token,
    personal_link_is_expired,
    response_by_resume_token,
    response_by_start_nonce,
    response_for_personal_link,
    survey_by_public_token,
)
from closeloop.responses.services import (
    page_answers,
    response_go_back,
    response_save_page,
    response_set_language,
    response_start,
)
from closeloop.surveys.choices import SurveyStatus
from closeloop.surveys.logic import SurveyRun
from closeloop.surveys.models import Survey
from closeloop.surveys.schema import ENDING_PREFIX, SurveyDefinition, is_rtl

RESUME_COOKIE = "cl_resume"
RESUME_COOKIE_AGE = 60 * 60 * 24 * 90
MAX_BODY_BYTES = 64 * 1024
HONEYPOT = "website"
# One-click aliases: `?nps=9` answers the first question when it is of that type.
ONE_CLICK_TYPES = ("nps", "csat", "ces", "rating")
RESERVED_PARAMS = frozenset({"lang", "new", "done", "tp", "ch"})


@dataclass
class Link:
    """What a token in /s/<token>/ resolved to."""

    token: str
    survey: Survey
    personal: PersonalLink | None


def _message(
    request: HttpRequest, status: int, title: str, message: str, *, retry_after: int | None = None
) -> HttpResponse:
    response = render(
        request,
        "responses/public/message.html",
        {"title": title, "message": message},
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _resolve(token: str) -> Link | None:
    survey = survey_by_public_token(token=token)
    if survey is not None:
        return Link(token=token, survey=survey, personal=None)
    link = personal_link_by_token(token=token)
    if link is not None:
        return Link(token=token, survey=link.survey, personal=link)
    return None


def _best_language(request: HttpRequest, definition: SurveyDefinition) -> str | None:
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if not header or len(header) > 500:
        return None
    languages = definition.languages
    lowered = {code.lower(): code for code in languages}
    for accepted, _quality in trans_real.parse_accept_lang_header(header):
        accepted = accepted.lower()
        if accepted in lowered:
            return lowered[accepted]
        primary = accepted.split("-")[0]
        for code in languages:
            if code.lower().split("-")[0] == primary:
                return code
    return None


def resolve_language(
    request: HttpRequest,
    definition: SurveyDefinition,
    link: PersonalLink | None,
    response: Response | None,
) -> str:
    """The contact's (personal link's) language, else ?lang=, else Accept-Language, else default.

    Once a response exists, its language holds until the respondent picks another (?lang=)."""
    languages = definition.languages
    asked = request.GET.get("lang", "")
    if response is not None:
        if asked in languages:
            return asked
        if response.language in languages:
            return response.language
    if link is not None and link.language in languages:
        return link.language
    if asked in languages:
        return asked
    return _best_language(request, definition) or definition.default_language


def _hidden_from_query(request: HttpRequest, definition: SurveyDefinition) -> dict[str, str]:
    keys = {h.key for h in definition.hidden_fields}
    return {key: str(value) for key, value in request.GET.items() if key in keys}


def _existing_response(request: HttpRequest, link: Link) -> Response | None:
    if link.personal is not None:
        return response_for_personal_link(link=link.personal)
    raw = request.COOKIES.get(RESUME_COOKIE, "")
    return response_by_resume_token(survey=link.survey, token=raw) if raw else None


def _set_resume_cookie(response: HttpResponse, request: HttpRequest, link: Link, raw: str) -> None:
    if link.personal is not None:
        return
    response.set_cookie(
        RESUME_COOKIE,
        raw,
        max_age=RESUME_COOKIE_AGE,
        path=f"/s/{link.token}/",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def _page_url(link: Link, params: dict[str, str]) -> str:
    query = urlencode(params)
    return f"/s/{link.token}/" + (f"?{query}" if query else "")


def _carry(request: HttpRequest, definition: SurveyDefinition, language: str) -> dict[str, str]:
    """Query parameters every form and redirect keeps: hidden fields, language, a fresh start."""
    params = _hidden_from_query(request, definition)
    params["lang"] = language
    if request.GET.get("new") == "1":
        params["new"] = "1"
    # The touchpoint and channel of a shared link or QR code, kept until the response starts.
    for name in ("tp", "ch"):
        if request.GET.get(name):
            params[name] = request.GET[name][:60]
    return params


def _one_click(
    request: HttpRequest, definition: SurveyDefinition, hidden: dict[str, str]
) -> tuple[str, str, str] | None:
    """(page key, question key, value) when the link carries an answer to the first question."""
    run = SurveyRun(definition, {}, hidden)
    first = run.first_page()
    if first.is_ending:
        return None
    questions = run.visible_questions(first.key)
    if not questions:
        return None
    question = questions[0]
    names = [question.key]
    if question.type in ONE_CLICK_TYPES:
        names.append(question.type)
    for name in names:
        value = request.GET.get(name)
        if value is not None and name not in RESERVED_PARAMS and len(value) <= 100:
            return first.key, question.key, value
    return None


def _limit_reached(survey: Survey) -> bool:
    return survey.response_limit is not None and completed_count(survey=survey) >= int(
        survey.response_limit
    )


def _closed(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        410,
        _("This survey is closed"),
        _("It no longer takes answers. Thank you for your interest."),
    )


def _languages_menu(
    link: Link, definition: SurveyDefinition, params: dict[str, str], current: str
) -> list[dict[str, Any]]:
    if len(definition.languages) < 2:
        return []
    items = []
    for code in definition.languages:
        try:
            name = translation.get_language_info(code)["name_local"]
        except KeyError:
            name = code
        items.append(
            {
                "code": code,
                "name": name,
                "url": _page_url(link, {**params, "lang": code}),
                "current": code == current,
            }
        )
    return items


def _theme_style(definition: SurveyDefinition) -> str:
    theme = definition.theme
    return f"--accent:{theme.primary_color};--bg:{theme.background}"


def _render_page(
    request: HttpRequest,
    *,
    link: Link,
    definition: SurveyDefinition,
    response: Response | None,
    page_key: str,
    language: str,
    data: FormData | None,
    errors: dict[str, str],
    status: int = 200,
) -> HttpResponse:
    answers = response.answers if response is not None else {}
    hidden = response.hidden if response is not None else _hidden_from_query(request, definition)
    run = SurveyRun(definition, answers, hidden)
    page = run.page(page_key)
    questions = run.visible_questions(page)
    if data is None:
        data = answers_to_form(questions, answers)
    seed = str(response.pk) if response is not None else secrets.token_hex(4)
    views = [
        question_view(
            question,
            number=index + 1,
            run=run,
            language=language,
            data=data,
            error=errors.get(question.key, ""),
            seed=seed,
        )
        for index, question in enumerate(questions)
    ]
    path = run.path()
    params = _carry(request, definition, language)
    first_page = page_key == (path[0] if path else page_key)
    context = {
        "title": run.text(definition.title, language),
        "description": run.text(definition.description, language)
        if definition.description and first_page
        else "",
        "page_title": run.text(page.title, language) if page.title else "",
        "questions": views,
        "errors": [(v, v.error) for v in views if v.error],
        "page_key": page_key,
        "nonce": secrets.token_urlsafe(12),
        "action": _page_url(link, params),
        "progress": round(run.progress(page_key) * 100),
        "show_progress": definition.settings.progress_bar,
        "can_back": definition.settings.allow_back and response is not None and not first_page,
        "is_last": bool(path) and path[-1] == page_key,
        "languages": _languages_menu(link, definition, params, language),
        "language": language,
        "rtl": is_rtl(language),
        "theme_style": _theme_style(definition),
        "honeypot": HONEYPOT,
    }
    with translation.override(language):
        return _private(render(request, "responses/public/page.html", context, status=status))


def _render_ending(
    request: HttpRequest,
    *,
    link: Link,
    definition: SurveyDefinition,
    response: Response,
    language: str,
    fresh: bool,
) -> HttpResponse:
    run = SurveyRun(definition, response.answers, response.hidden)
    key = response.current_page.removeprefix(ENDING_PREFIX)
    ending = definition.ending(key) or run.ending()
    params = _carry(request, definition, language)
    params.pop("new", None)
    can_restart = (
        not fresh and link.personal is None and not link.survey.single_response_per_browser
    )
    context = {
        "title": run.text(definition.title, language),
        "ending_title": run.text(ending.title, language),
        "message": run.text(ending.message, language),
        "button_label": run.text(ending.button.label, language) if ending.button else "",
        "button_url": run.url(ending.button.url) if ending.button else None,
        "redirect_url": run.url(ending.redirect_url) if fresh else None,
        "already": not fresh,
        "restart_url": _page_url(link, {**params, "new": "1"}) if can_restart else "",
        "review_links": _review_links(response, language),
        "language": language,
        "rtl": is_rtl(language),
        "theme_style": _theme_style(definition),
    }
    with translation.override(language):
        return _private(render(request, "responses/public/ending.html", context))


def _review_links(response: Response, language: str) -> list[Any]:
    """The organization's review links for the thank-you page, if it shows them there."""
    from closeloop.advocacy.services import ending_review_links

    return ending_review_links(response=response, language=language)


def _redirect(link: Link, params: dict[str, str], *, done: bool = False) -> HttpResponse:
    params = dict(params)
    if done:
        params.pop("new", None)
        params["done"] = "1"
    return _private(HttpResponseRedirect(_page_url(link, params), status=303))


@csrf_exempt  # a respondent's answer must never fail on a cookie; the link token is the secret
@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the current page, an ending, or a one-click landing; POST: save a page."""
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = MAX_BODY_BYTES + 1
        if length > MAX_BODY_BYTES:
            return _message(
                request, 413, _("Too much text"), _("Your answers are too long to send.")
            )
        wait = ratelimit.hit("ip", _client_ip(request), settings.SURVEY_RATE_LIMIT_PER_IP)
        if wait is not None:
            return _message(
                request,
                429,
                _("Too many answers at once"),
                _("Please wait a minute and send your answers again."),
                retry_after=wait,
            )
    link = _resolve(token)
    if link is None:
        return _message(
            request,
            404,
            _("Survey not found"),
            _("This link does not lead to a survey. Check that it was copied completely."),
        )
    survey = link.survey
    if link.personal is not None and personal_link_is_expired(link.personal):
        return _message(
            request,
            410,
            _("This link has expired"),
            _("The survey behind this link no longer takes answers. Thank you."),
        )
    if survey.status == SurveyStatus.CLOSED:
        return _closed(request)
    version = survey.current_version
    if survey.status != SurveyStatus.ACTIVE or version is None or version.published_at is None:
        return _message(
            request,
            404,
            _("Survey not available"),
            _("This survey is not open yet. Please try again later."),
        )
    if request.method == "POST":
        wait = ratelimit.hit("survey", str(survey.pk), settings.SURVEY_RATE_LIMIT_PER_SURVEY)
        if wait is not None:
            return _message(
                request,
                429,
                _("Too many answers at once"),
                _("Please wait a minute and send your answers again."),
                retry_after=wait,
            )
        if request.POST.get(HONEYPOT):
            return _message(request, 400, _("Not sent"), _("Your answers could not be accepted."))
    definition = definition_of(version)
    response = _existing_response(request, link)
    if (
        response is not None
        and response.status == ResponseStatus.COMPLETE
        and request.GET.get("new") == "1"
        and link.personal is None
        and not survey.single_response_per_browser
    ):
        response = None  # this browser answered before and starts a new response
    if response is not None and response.version_id != version.pk and response.status == "partial":
        # Keep answering the version the response started on.
        definition = definition_of(response.version)
    if request.method == "POST":
        return _post(request, link, definition, response)
    return _get(request, link, definition, response)


def _get(
    request: HttpRequest, link: Link, definition: SurveyDefinition, response: Response | None
) -> HttpResponse:
    language = resolve_language(request, definition, link.personal, response)
    if response is not None and response.status == ResponseStatus.COMPLETE:
        return _render_ending(
            request,
            link=link,
            definition=definition,
            response=response,
            language=language,
            fresh=request.GET.get("done") == "1",
        )
    if response is not None and language != response.language:
        response_set_language(response=response, language=language)
    hidden = response.hidden if response is not None else _hidden_from_query(request, definition)
    if response is None and _limit_reached(link.survey):
        return _closed(request)
    one_click = _one_click(request, definition, hidden)
    if one_click is not None:
        landed = _land_one_click(request, link, definition, response, language, one_click)
        if landed is not None:
            return landed
    if response is not None and not response.current_page.startswith(ENDING_PREFIX):
        page_key = response.current_page
    else:
        first = SurveyRun(definition, {}, hidden).first_page()
        page_key = first.key if not first.is_ending else definition.pages[0].key
    return _render_page(
        request,
        link=link,
        definition=definition,
        response=response,
        page_key=page_key,
        language=language,
        data=None,
        errors={},
    )


def _metadata(request: HttpRequest) -> dict[str, Any]:
    return {"user_agent": request.META.get("HTTP_USER_AGENT", "")[:300]}


def _start(
    request: HttpRequest, link: Link, definition: SurveyDefinition, language: str, nonce: str
) -> tuple[Response, str]:
    if link.personal is not None:
        channel = link.personal.channel
    else:
        channel = Channel.QR if request.GET.get("ch") == "qr" else Channel.LINK
    return response_start(
        survey=link.survey,
        channel=channel,
        touchpoint_id=touchpoint_id_for_key(
            organization_id=link.survey.organization_id, key=request.GET.get("tp", "")
        ),
        language=language,
        hidden=_hidden_from_query(request, definition),
        metadata=_metadata(request),
        personal_link=link.personal,
        start_nonce=nonce,
    )


def _land_one_click(
    request: HttpRequest,
    link: Link,
    definition: SurveyDefinition,
    response: Response | None,
    language: str,
    one_click: tuple[str, str, str],
) -> HttpResponse | None:
    """Record a score carried by the link, then show the rest of the survey (None: ignore it)."""
    page_key, question_key, value = one_click
    if response is not None and response.current_page != page_key:
        return None
    answers = response.answers if response is not None else {}
    hidden = response.hidden if response is not None else _hidden_from_query(request, definition)
    run = SurveyRun(definition, answers, hidden)
    data = answers_to_form(run.visible_questions(page_key), answers)
    data[question_key] = [value]
    values, errors = page_answers(
        definition=definition, answers=answers, hidden=hidden, page_key=page_key, raw=data
    )
    if question_key in errors or values.get(question_key) is None:
        return None
    raw_token = ""
    if response is None:
        response, raw_token = _start(request, link, definition, language, "")
    result = response_save_page(response=response, page_key=page_key, raw=data)
    params = _carry(request, definition, language)
    redirect = _redirect(link, params, done=result.completed)
    if raw_token:
        _set_resume_cookie(redirect, request, link, raw_token)
    return redirect


def _post(
    request: HttpRequest, link: Link, definition: SurveyDefinition, response: Response | None
) -> HttpResponse:
    language = resolve_language(request, definition, link.personal, response)
    params = _carry(request, definition, language)
    nonce = request.POST.get("_nonce", "")[:40]
    page_key = request.POST.get("_page", "")[:64]
    action = request.POST.get("_action", "next")
    data: FormData = {
        key: values
        for key, values in request.POST.lists()
        if not key.startswith("_") and key != HONEYPOT
    }
    raw_token = ""
    if response is None and nonce:
        response = response_by_start_nonce(survey=link.survey, nonce=nonce)
        if response is not None:  # the same form posted twice (double click): already saved
            return _redirect(link, params, done=response.status == ResponseStatus.COMPLETE)
    if response is not None:
        if response.status == ResponseStatus.COMPLETE:
            return _redirect(link, params)
        if (nonce and nonce == response.last_nonce) or page_key != response.current_page:
            return _redirect(link, params)  # a repeated or stale form: nothing changes
        if action == "back" and definition.settings.allow_back:
            response_go_back(response=response, page_key=page_key, raw=data, nonce=nonce)
            return _redirect(link, params)
    else:
        if _limit_reached(link.survey):
            return _closed(request)
        hidden = _hidden_from_query(request, definition)
        first = SurveyRun(definition, {}, hidden).first_page()
        if first.is_ending or page_key != first.key:
            return _redirect(link, params)
        values, errors = page_answers(
            definition=definition, answers={}, hidden=hidden, page_key=page_key, raw=data
        )
        if errors and all(value is None for value in values.values()):
            # Nothing usable was sent: show what to fix, store nothing.
            return _render_page(
                request,
                link=link,
                definition=definition,
                response=None,
                page_key=page_key,
                language=language,
                data=data,
                errors=errors,
                status=400,
            )
        try:
            with transaction.atomic():
                response, raw_token = _start(request, link, definition, language, nonce)
        except IntegrityError:
            return _redirect(link, params)
    result = response_save_page(response=response, page_key=page_key, raw=data, nonce=nonce)
    if result.errors:
        http = _render_page(
            request,
            link=link,
            definition=definition,
            response=result.response,
            page_key=page_key,
            language=language,
            data=data,
            errors=result.errors,
        )
    else:
        http = _redirect(link, params, done=result.completed)
    if raw_token:
        _set_resume_cookie(http, request, link, raw_token)
    return http
