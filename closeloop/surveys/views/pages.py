"""Survey list, new survey, import and export, publishing, version history and preview."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override  # type: ignore[import-untyped]
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.roles import Perm
from closeloop.core.errors import DomainError
from closeloop.surveys import selectors, services
from closeloop.surveys.forms import SCRATCH, SurveyCreateForm, SurveyFilterForm, SurveyImportForm
from closeloop.surveys.models import Survey
from closeloop.surveys.schema import DefinitionError
from closeloop.surveys.templates_library import list_templates
from closeloop.surveys.views import ops, present
from closeloop.surveys.views.builder import builder_url
from closeloop.surveys.views.common import (
    can_edit,
    get_survey,
    org,
    user,
    version_response_counts,
)
from closeloop.surveys.views.preview import render_preview

PREVIEW_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
    "base-uri": ["'self'"],
}


def _language() -> str:
    return (get_language() or "en").split("-")[0]


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def survey_list(request: HttpRequest) -> HttpResponse:
    """Every survey of the organization, with status, version and responses."""
    form = SurveyFilterForm(request.GET or None)
    q = status = None
    if form.is_valid():
        q = form.cleaned_data["q"] or None
        status = form.cleaned_data["status"] or None
    surveys = list(selectors.survey_list(organization=org(request), status=status, q=q)[:500])
    counts = selectors.survey_response_counts(surveys=surveys)
    rows = [
        {
            "survey": s,
            "responses": counts[s.pk].total,
            "complete": counts[s.pk].complete,
            "published": s.current_version.number if s.current_version else None,
            "draft": selectors.survey_draft_number(s),
        }
        for s in surveys
    ]
    context = {"rows": rows, "form": form, "can_edit": can_edit(request)}
    return render(request, "surveys/list.html", context)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def survey_new(request: HttpRequest) -> HttpResponse:
    """Start a survey from scratch or from a template, in the chosen languages."""
    organization = org(request)
    form = SurveyCreateForm(request.POST or None, default_language=organization.default_language)
    if request.method == "POST" and form.is_valid():
        source = form.cleaned_data["source"]
        languages: list[str] = form.cleaned_data["languages"]
        try:
            survey = _create(request, source, form.cleaned_data["name"], languages)
        except DefinitionError as error:
            form.add_error(None, error.message)
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
        else:
            messages.success(request, _("Survey %(name)s created.") % {"name": survey.name})
            lang = selectors.survey_latest_version(survey).definition["default_language"]
            return HttpResponseRedirect(builder_url(survey, tab="questions", lang=lang))
    language = _language()
    templates = [
        {
            "id": info.id,
            "name": info.localized_name(language),
            "description": info.localized_description(language),
            "kind": info.kind,
            "languages": info.languages,
        }
        for info in list_templates()
    ]
    context = {
        "form": form,
        "templates": templates,
        "scratch": SCRATCH,
        "import_form": SurveyImportForm(),
        "can_edit": can_edit(request),
    }
    return render(request, "surveys/new.html", context, status=400 if form.errors else 200)


def _create(request: HttpRequest, source: str, name: str, languages: list[str]) -> Survey:
    organization, actor = org(request), user(request)
    default = languages[0]
    if source == SCRATCH:
        survey = services.survey_create(
            organization=organization, actor=actor, name=name, language=default
        )
    else:
        survey = services.survey_create(
            organization=organization, actor=actor, name=name, template=source
        )
    data = selectors.survey_latest_version(survey).definition
    wanted = list(dict.fromkeys(languages))
    if data["languages"] == wanted and data["default_language"] == default:
        return survey
    from django.http import QueryDict

    for code in wanted:
        if code not in data["languages"]:
            data, _focus = ops.apply(data, "add_language", QueryDict(f"language={code}"), default)
    if default in data["languages"] and data["default_language"] != default:
        data, _focus = ops.apply(
            data, "set_default_language", QueryDict(f"language={default}"), default
        )
    for code in list(data["languages"]):
        if code not in wanted:
            data, _focus = ops.apply(
                data, "remove_language", QueryDict(f"language={code}"), default
            )
    services.survey_update_definition(survey=survey, actor=actor, definition=data)
    return survey


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def survey_import(request: HttpRequest) -> HttpResponse:
    """Create a survey from an uploaded JSON or YAML file."""
    form = SurveyImportForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        try:
            text = form.text()
            survey = services.survey_import(
                organization=org(request),
                actor=user(request),
                text=text,
                fmt=form.format,  # type: ignore[arg-type]
                name=form.cleaned_data["name"] or None,
            )
        except DefinitionError as error:
            errors = error.errors
            form.add_error(None, _("The file is not a valid survey."))
        except DomainError as error:
            form.add_error(None, error.message)
        except forms.ValidationError as error:  # the file is not UTF-8
            form.add_error("file", error.messages)
        else:
            messages.success(request, _("Survey %(name)s imported.") % {"name": survey.name})
            return redirect("surveys:edit", org_slug=org(request).slug, survey_id=survey.pk)
    context = {"form": form, "errors": errors, "can_edit": can_edit(request)}
    status = 400 if form.errors else 200
    return render(request, "surveys/import.html", context, status=status)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def survey_export(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Download the newest version (or ?version=N) as JSON or YAML."""
    survey = get_survey(request, survey_id)
    fmt = request.GET.get("format", "json")
    if fmt not in ("json", "yaml"):
        fmt = "json"
    number = request.GET.get("version")
    try:
        text = services.survey_export(
            survey=survey,
            fmt=fmt,  # type: ignore[arg-type]
            version=int(number) if number and number.isdigit() else None,
        )
    except DomainError as error:
        raise Http404(error.message) from None
    content_type = "application/json" if fmt == "json" else "application/yaml"
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    filename = f"survey-{survey.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def survey_publish(request: HttpRequest, survey_id: str) -> HttpResponse:
    """What blocks publishing, and the button that publishes the draft."""
    survey = get_survey(request, survey_id)
    draft = selectors.survey_draft(survey)
    errors: list[dict[str, Any]] = []
    if request.method == "POST":
        try:
            version = services.survey_publish(survey=survey, actor=user(request))
        except DefinitionError as error:
            errors = error.errors
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Version %(n)d is published.") % {"n": version.number})
            return redirect("surveys:versions", org_slug=org(request).slug, survey_id=survey.pk)
    data = draft.definition if draft is not None else None
    missing = present.missing_translations(data) if data else []
    lang = data["default_language"] if data else "en"
    context = {
        "survey": survey,
        "draft": draft,
        "missing": missing,
        "errors": errors,
        "can_edit": can_edit(request),
        "translations_url": builder_url(survey, tab="translations", lang=lang),
        "builder_url": builder_url(survey, tab="questions", lang=lang),
    }
    return render(request, "surveys/publish.html", context, status=400 if errors else 200)


def _status_change(request: HttpRequest, survey_id: str, action: str) -> HttpResponse:
    survey = get_survey(request, survey_id)
    done = {
        "close": _("The survey is closed: its link no longer accepts responses."),
        "reopen": _("The survey is open again."),
        "discard": _("The draft was discarded."),
    }
    try:
        if action == "close":
            services.survey_close(survey=survey, actor=user(request))
        elif action == "reopen":
            services.survey_reopen(survey=survey, actor=user(request))
        else:
            services.survey_discard_draft(survey=survey, actor=user(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done[action])
    return redirect("surveys:versions", org_slug=org(request).slug, survey_id=survey.pk)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
@require_POST
def survey_close(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Stop accepting responses."""
    return _status_change(request, survey_id, "close")


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
@require_POST
def survey_reopen(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Accept responses again."""
    return _status_change(request, survey_id, "reopen")


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
@require_POST
def survey_discard(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Throw the draft away."""
    return _status_change(request, survey_id, "discard")


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def survey_versions(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Every version with its publication, responses and what changed; link and export."""
    survey = get_survey(request, survey_id)
    versions = list(selectors.survey_versions(survey=survey).order_by("-number"))
    counts = version_response_counts(survey)
    rows = []
    for index, version in enumerate(versions):
        previous = versions[index + 1] if index + 1 < len(versions) else None
        rows.append(
            {
                "version": version,
                "responses": counts.get(version.number, 0),
                "diff": present.diff_summary(
                    previous.definition if previous else None, version.definition
                ),
                "first": previous is None,
            }
        )
    context = {
        "survey": survey,
        "rows": rows,
        "public_url": selectors.survey_public_url(survey),
        "can_edit": can_edit(request),
        "has_draft": any(v.published_at is None for v in versions),
        "import_form": SurveyImportForm(),
    }
    return render(request, "surveys/versions.html", context)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def survey_version(request: HttpRequest, survey_id: str, number: int) -> HttpResponse:
    """One version, read-only, with what changed since the previous one."""
    survey = get_survey(request, survey_id)
    version = selectors.survey_version(survey=survey, number=number)
    if version is None:
        raise Http404
    previous = selectors.survey_version(survey=survey, number=number - 1)
    data = version.definition
    lang = request.GET.get("lang") or data.get("default_language", "en")
    if lang not in data.get("languages", []):
        lang = data.get("default_language", "en")
    context = {
        "survey": survey,
        "version": version,
        "lang": lang,
        "languages": data.get("languages", []),
        "pages": present.pages_view(data, lang=lang, edit="", errors={}),
        "endings": present.endings_view(data, lang=lang, errors={}),
        "diff": present.diff_summary(previous.definition if previous else None, data),
        "has_previous": previous is not None,
        "responses": version_response_counts(survey).get(version.number, 0),
        "can_edit": False,
    }
    return render(request, "surveys/version.html", context)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def survey_preview(request: HttpRequest, survey_id: str) -> HttpResponse:
    """The draft as a respondent sees it, in a frame at phone or desktop width."""
    survey = get_survey(request, survey_id)
    version = selectors.survey_latest_version(survey)
    data = version.definition
    lang = request.GET.get("lang") or data.get("default_language", "en")
    if lang not in data.get("languages", []):
        lang = data.get("default_language", "en")
    width = request.GET.get("width", "390")
    if width not in ("390", "1024"):
        width = "390"
    frame = reverse("surveys:preview_frame", args=[org(request).slug, survey.pk])
    context = {
        "survey": survey,
        "version": version,
        "lang": lang,
        "languages": data.get("languages", []),
        "width": width,
        "frame_url": f"{frame}?lang={lang}",
        "builder_url": builder_url(survey, tab="questions", lang=lang),
    }
    return render(request, "surveys/preview.html", context)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def survey_preview_frame(request: HttpRequest, survey_id: str) -> HttpResponse:
    """The respondent's view of the newest version, inside the preview frame; nothing is stored."""
    survey = get_survey(request, survey_id)
    version = selectors.survey_latest_version(survey)
    return render_preview(request, survey, version)
