"""The staff preview of a survey version: the respondent's question templates, nothing stored."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.surveys.logic import SurveyRun
from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.schema import DefinitionError, Question, SurveyDefinition, is_rtl
from closeloop.surveys.serialization import definition_from_data

RESPONDENT_BASE = "responses/public/base.html"


def _exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def _fallback(question: Question, run: SurveyRun, language: str) -> dict[str, Any]:
    return {
        "key": question.key,
        "type": question.type,
        "title": run.text(question.title, language),
        "help": run.text(question.help, language) if question.help else "",
        "required": question.required,
        "template": "surveys/preview_question.html",
    }


def _questions(defn: SurveyDefinition, page_index: int, language: str) -> list[Any]:
    """The page's questions prepared by the survey page's own code when it is there."""
    page = defn.pages[page_index]
    run = SurveyRun(defn, {}, {})
    try:
        from closeloop.responses.rendering import question_view
    except ImportError:
        return [_fallback(q, run, language) for q in page.questions]
    views: list[Any] = []
    for number, question in enumerate(page.questions, start=1):
        view = question_view(
            question, number=number, run=run, language=language, data={}, error="", seed="preview"
        )
        views.append(view if _exists(view.template) else _fallback(question, run, language))
    return views


def render_preview(request: HttpRequest, survey: Survey, version: SurveyVersion) -> HttpResponse:
    """One page of the version (`?page=N`, `?lang=`) with its questions, or the ending."""
    try:
        defn = definition_from_data(version.definition)
    except DefinitionError as error:
        return render(
            request,
            "surveys/preview_frame.html",
            {"invalid": error.errors, "base_template": "surveys/preview_base.html"},
        )
    language = request.GET.get("lang") or defn.default_language
    if language not in defn.languages:
        language = defn.default_language
    try:
        index = int(request.GET.get("page", "0"))
    except ValueError:
        index = 0
    frame = reverse("surveys:preview_frame", args=[survey.organization.slug, survey.pk])
    run = SurveyRun(defn, {}, {})
    pages = len(defn.pages)
    context: dict[str, Any] = {
        "survey": survey,
        "title": run.text(defn.title, language),
        "language": language,
        "rtl": is_rtl(language),
        "theme_style": f"--accent:{defn.theme.primary_color};--bg:{defn.theme.background}",
        "frame_url": frame,
        "languages": defn.languages,
        "page_count": pages,
        "base_template": (
            RESPONDENT_BASE if _exists(RESPONDENT_BASE) else "surveys/preview_base.html"
        ),
    }
    if index >= pages:
        ending = defn.endings[min(index - pages, len(defn.endings) - 1)]
        context.update(
            ending=True,
            ending_title=run.text(ending.title, language),
            message=run.text(ending.message, language),
            button_label=run.text(ending.button.label, language) if ending.button else "",
            restart_url=f"{frame}?lang={language}",
        )
    else:
        page = defn.pages[index]
        context.update(
            ending=False,
            description=run.text(defn.description, language)
            if defn.description and index == 0
            else "",
            page_title=run.text(page.title, language) if page.title else "",
            questions=_questions(defn, index, language),
            page_number=index + 1,
            progress=round(index * 100 / pages),
            show_progress=defn.settings.progress_bar,
            next_page=index + 1,
            back_url=f"{frame}?lang={language}&page={index - 1}" if index > 0 else "",
            is_last=index == pages - 1,
            logic_note=_("Logic is not applied in the preview: every page and question is shown."),
        )
    with translation.override(language):
        return render(request, "surveys/preview_frame.html", context)
