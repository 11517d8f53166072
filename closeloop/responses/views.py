"""Staff pages: the organization's responses (filtered, paginated) and one response's answers."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.access import access_object, org_view
from closeloop.accounts.models import Organization
from closeloop.accounts.roles import Perm
from closeloop.responses.choices import ResponseStatus
from closeloop.responses.rendering import answer_rows, answer_summary
from closeloop.responses.selectors import definition_of, response_list, survey_list_for_filter

PAGE_SIZE = 50


class ResponseFilterForm(forms.Form):
    """Filters of the responses list."""

    survey = forms.ChoiceField(label=_("Survey"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *ResponseStatus.choices],
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        surveys = survey_list_for_filter(organization=organization)
        self.fields["survey"].choices = [("", _("All surveys"))] + [  # type: ignore[attr-defined]
            (str(s.pk), s.name) for s in surveys
        ]


def _org(request: HttpRequest) -> Organization:
    org: Organization = request.org  # type: ignore[attr-defined]
    return org


def _day_start(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(tz))


@org_view(read=Perm.VIEW)
def response_list_view(request: HttpRequest) -> HttpResponse:
    """The organization's responses, newest first."""
    org = _org(request)
    form = ResponseFilterForm(request.GET or None, organization=org)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        if data["survey"]:
            from closeloop.surveys.models import Survey

            filters["survey"] = access_object(
                Survey.objects.all(), organization=org, pk=uuid.UUID(data["survey"])
            )
        if data["status"]:
            filters["status"] = data["status"]
        if data["since"]:
            filters["since"] = _day_start(data["since"], org.time_zone)
        if data["until"]:
            filters["until"] = _day_start(data["until"] + dt.timedelta(days=1), org.time_zone)
    paginator = Paginator(response_list(organization=org, **filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = []
    for response in page.object_list:
        score, text = answer_summary(definition_of(response.version), response.answers)
        rows.append({"response": response, "score": score, "text": text})
    query_data = {k: str(v) for k, v in request.GET.items() if k != "page" and v}
    query = urlencode(query_data) + "&" if query_data else ""
    context = {"form": form, "page": page, "rows": rows, "query": query}
    return render(request, "responses/list.html", context)


@org_view(read=Perm.VIEW)
def response_detail_view(request: HttpRequest, response_id: uuid.UUID) -> HttpResponse:
    """One response: its answers with the question titles in the organization's language."""
    org = _org(request)
    response = access_object(response_list(organization=org), organization=org, pk=response_id)
    definition = definition_of(response.version)
    language = (
        org.default_language
        if org.default_language in definition.languages
        else definition.default_language
    )
    context = {
        "response": response,
        "rows": answer_rows(definition, response.answers, language),
        "hidden": sorted(response.hidden.items()),
    }
    return render(request, "responses/detail.html", context)
