"""The survey builder: one page with tabs; every edit posts, changes the draft and comes back.

Each form works as a plain POST (the page redirects back to itself); with htmx, the builder
region is swapped in place (hx-boost with hx-select) and builder.js puts the focus back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.roles import Perm
from closeloop.core.errors import DomainError
from closeloop.surveys import selectors, services
from closeloop.surveys.forms import SurveySettingsForm
from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.schema import DefinitionError
from closeloop.surveys.views import ops, present
from closeloop.surveys.views.common import can_edit, get_survey, org, user

TABS = ("questions", "endings", "translations", "settings")
LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _state(request: HttpRequest, data: dict[str, Any]) -> tuple[str, str]:
    """The tab shown and the language being edited (from the query or the posted form)."""
    source = request.POST if request.method == "POST" else request.GET
    tab = source.get("tab") or "questions"
    if tab not in TABS:
        tab = "questions"
    lang = source.get("lang") or data.get("default_language", "en")
    if lang not in data.get("languages", []):
        lang = data.get("default_language", "en")
    return tab, lang


def builder_url(
    survey: Survey, *, tab: str, lang: str, edit: str = "", anchor: str = "", done: bool = False
) -> str:
    query = {"tab": tab, "lang": lang}
    if edit:
        query["edit"] = edit
    if done:
        query["done"] = "1"
    url = reverse("surveys:edit", args=[survey.organization.slug, survey.pk])
    return f"{url}?{urlencode(query)}" + (f"#{anchor}" if anchor else "")


def _language_label(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


def render_builder(
    request: HttpRequest,
    survey: Survey,
    version: SurveyVersion,
    data: dict[str, Any],
    *,
    edit: str = "",
    errors: list[dict[str, Any]] | None = None,
    general_errors: list[str] | None = None,
    settings_form: SurveySettingsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tab, lang = _state(request, data)
    targets = present.error_targets(data, errors or [])
    survey_errors = [*(general_errors or []), *targets.get("", [])]
    editable = can_edit(request)
    if settings_form is None:
        settings_form = SurveySettingsForm(
            initial={
                "name": survey.name,
                "single_response_per_browser": survey.single_response_per_browser,
                "response_limit": survey.response_limit,
            }
        )
    default = data.get("default_language", "en")
    title, title_missing = present.localized(data.get("title"), lang, default)
    context = {
        "survey": survey,
        "version": version,
        "data": data,
        "tab": tab,
        "tabs": [
            ("questions", _("Questions")),
            ("endings", _("Endings")),
            ("translations", _("Translations")),
            ("settings", _("Settings")),
        ],
        "lang": lang,
        "languages": [(code, _language_label(code)) for code in data.get("languages", [])],
        "addable_languages": [
            (code, name) for code, name in settings.LANGUAGES if code not in data["languages"]
        ],
        "default_language": default,
        "can_edit": editable,
        "edit": edit,
        "survey_title": title,
        "survey_title_missing": title_missing,
        "survey_title_value": (data.get("title") or {}).get(lang, ""),
        "survey_description_value": (data.get("description") or {}).get(lang, ""),
        "pages": present.pages_view(data, lang=lang, edit=edit, errors=targets),
        "endings": present.endings_view(data, lang=lang, errors=targets),
        "translations": present.translations_view(data) if tab == "translations" else [],
        "missing": present.missing_translations(data),
        "question_types": list(ops.QUESTION_TYPE_LABELS.items()),
        "operators": list(ops.OPERATORS.items()),
        "errors": errors or [],
        "survey_errors": survey_errors,
        "settings_form": settings_form,
        "public_url": selectors.survey_public_url(survey),
        "theme": data.get("theme") or {},
        "options": {
            "progress_bar": (data.get("settings") or {}).get("progress_bar", True),
            "allow_back": (data.get("settings") or {}).get("allow_back", True),
        },
    }
    return render(request, "surveys/builder.html", context, status=status)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def builder(request: HttpRequest, survey_id: str) -> HttpResponse:
    """The builder: the newest version (the draft if there is one), read-only for viewers."""
    survey = get_survey(request, survey_id)
    version = selectors.survey_latest_version(survey)
    edit = request.GET.get("edit", "") if can_edit(request) else ""
    return render_builder(request, survey, version, version.definition, edit=edit)


def _confirm(request: HttpRequest, survey: Survey, op: str) -> HttpResponse:
    """Without JavaScript, removing something asks on a page of its own first."""
    labels = {
        "delete_question": _("Delete question %(key)s?"),
        "delete_page": _("Delete page %(key)s and its questions?"),
        "delete_ending": _("Delete ending %(key)s?"),
        "remove_language": _("Remove the language %(key)s and all its texts?"),
    }
    key = request.POST.get("key") or request.POST.get("language") or ""
    context = {
        "survey": survey,
        "question": labels[op] % {"key": key},
        "fields": [(k, v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"],
        "back": builder_url(
            survey, tab=request.POST.get("tab", "questions"), lang=request.POST.get("lang", "")
        ),
    }
    return render(request, "surveys/confirm.html", context)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
@require_POST
def builder_op(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Apply one builder action to the draft and return to the builder."""
    survey = get_survey(request, survey_id)
    op = request.POST.get("op", "")
    if op == "save_settings":
        return _save_settings(request, survey)
    if op in ops.CONFIRM_OPS and request.POST.get("confirmed") != "1":
        return _confirm(request, survey, op)
    version = selectors.survey_latest_version(survey)
    tab, lang = _state(request, version.definition)
    error_status = 200 if getattr(request, "htmx", False) else 400
    edit = request.POST.get("key", "") if op == "save_question" else ""
    if op == "save_page":
        edit = f"page:{request.POST.get('key', '')}"
    try:
        data, focus = ops.apply(version.definition, op, request.POST, lang)
    except DomainError as error:
        return render_builder(
            request,
            survey,
            version,
            version.definition,
            edit=edit,
            general_errors=[error.message],
            status=error_status,
        )
    try:
        version = services.survey_update_definition(
            survey=survey, actor=user(request), definition=data
        )
    except DefinitionError as error:
        return render_builder(
            request,
            survey,
            version,
            data,
            edit=edit,
            errors=error.errors,
            general_errors=[_("Not saved: fix the problems below.")],
            status=error_status,
        )
    except DomainError as error:
        return render_builder(
            request,
            survey,
            version,
            version.definition,
            edit=edit,
            general_errors=[error.message],
            status=error_status,
        )
    if op == "add_language":
        lang = focus
    if op in ("remove_language", "set_default_language") and lang not in data["languages"]:
        lang = data["default_language"]
    keep_open = ""
    if (op == "save_question" and request.POST.get("choice_action")) or op == "add_question":
        keep_open = focus
    elif op == "add_page":
        keep_open = f"page:{focus}"
    anchor = ""
    if focus:
        anchor = (
            f"e-{focus}"
            if op.endswith("_ending")
            else (f"p-{focus}" if op.endswith("_page") else f"q-{focus}")
        )
    return HttpResponseRedirect(
        builder_url(survey, tab=tab, lang=lang, edit=keep_open, anchor=anchor, done=True)
    )


def _save_settings(request: HttpRequest, survey: Survey) -> HttpResponse:
    form = SurveySettingsForm(request.POST)
    version = selectors.survey_latest_version(survey)
    if form.is_valid():
        try:
            services.survey_update_settings(
                survey=survey,
                actor=user(request),
                name=form.cleaned_data["name"],
                single_response_per_browser=form.cleaned_data["single_response_per_browser"],
                response_limit=form.cleaned_data["response_limit"] or 0,
            )
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
        else:
            _tab, lang = _state(request, version.definition)
            return HttpResponseRedirect(builder_url(survey, tab="settings", lang=lang, done=True))
    status = 200 if getattr(request, "htmx", False) else 400
    return render_builder(
        request, survey, version, version.definition, settings_form=form, status=status
    )


__all__ = ["builder", "builder_op", "builder_url", "org"]
