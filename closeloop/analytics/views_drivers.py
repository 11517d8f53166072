"""The key-drivers page (/o/<org>/analytics/drivers/) and plotly.min.js served from our origin.

plotly.js is not on a CDN and not copied into the repository: `plotly_js_view` streams the file
that plotly's wheel ships (plotly/package_data/plotly.min.js) at a URL carrying plotly's version,
gzip-compressed once per process, with a one-year immutable cache header and an ETag. The
version in the URL changes when the pinned plotly changes, so browsers never keep a stale copy.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.util
import threading
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Organization
from closeloop.accounts.roles import Perm
from closeloop.analytics.drivers import (
    DriverAnalysis,
    DriverFilters,
    DriverInputError,
    TargetOption,
    default_driver_survey,
    driver_analysis,
    driver_surveys,
    driver_targets,
)
from closeloop.analytics.drivers.chart import driver_chart_data
from closeloop.responses.choices import Channel
from closeloop.surveys.models import Survey
from closeloop.surveys.selectors import access_survey

PLOTLY_VERSION = importlib.metadata.version("plotly")
ONE_YEAR = 365 * 24 * 3600


# --- plotly.min.js -----------------------------------------------------------------------------


def plotly_js_path() -> Path:
    """Where plotly's wheel keeps plotly.min.js (found without importing the plotly package)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise Http404
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


class _PlotlyAsset:
    """plotly.min.js read and gzip-compressed once per process (about 1.4 MB compressed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.raw: bytes = b""
        self.gzipped: bytes = b""
        self.etag = ""

    def load(self) -> None:
        with self._lock:
            if self.raw:
                return
            raw = plotly_js_path().read_bytes()
            self.gzipped = gzip.compress(raw, compresslevel=6, mtime=0)
            self.etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
            self.raw = raw


_plotly = _PlotlyAsset()


def plotly_js_response(request: HttpRequest) -> HttpResponse:
    """plotly.min.js with long cache headers; gzip when the browser accepts it. Routable from
    any page (a public dashboard link can mount it too)."""
    _plotly.load()
    if _plotly.etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        body = _plotly.gzipped if accepts_gzip else _plotly.raw
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
        if accepts_gzip:
            response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(body))
    response["ETag"] = _plotly.etag
    response["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response["Vary"] = "Accept-Encoding"
    return response


@org_view(read=Perm.VIEW)
@require_safe
def plotly_js_view(request: HttpRequest) -> HttpResponse:
    """plotly.min.js for the organization's analytics pages."""
    return plotly_js_response(request)


# --- the drivers page --------------------------------------------------------------------------


def _org(request: HttpRequest) -> Organization:
    org: Organization = request.org  # type: ignore[attr-defined]
    return org


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code


class DriversForm(forms.Form):
    """What to analyse: survey, target, date range (?from=&to=) and filters."""

    survey = forms.ChoiceField(label=_("Survey"))
    target = forms.ChoiceField(label=_("Explain"), required=False)
    touchpoint = forms.ChoiceField(label=_("Touchpoint"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices]
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        surveys: list[Survey],
        targets: list[TargetOption],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from closeloop.contacts.selectors import segment_list
        from closeloop.distribution.models import Touchpoint

        date = forms.DateInput(attrs={"type": "date"})
        # "from" is a Python keyword, so these two are added by name.
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=date)
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=date)
        self.order_fields(["survey", "target", "from", "to"])
        self.organization = organization
        self.fields["survey"].choices = [(str(s.pk), s.name) for s in surveys]  # type: ignore[attr-defined]
        self.fields["target"].choices = [("", _("NPS, else CSAT"))] + [  # type: ignore[attr-defined]
            (t.key, f"{t.label} — {t.title}" if t.label != t.title else t.title) for t in targets
        ]
        self.fields["touchpoint"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (str(t.pk), t.name) for t in Touchpoint.objects.filter(organization=organization)
        ]
        self.fields["segment"].choices = [("", _("All contacts"))] + [  # type: ignore[attr-defined]
            (str(s.pk), s.name) for s in segment_list(organization=organization)
        ]
        self.fields["language"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (code, _language_name(code)) for code, _name in settings.LANGUAGES
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end date is before the start date."))
        return data

    def filters(self) -> DriverFilters:
        from closeloop.contacts.models import Segment

        data = self.cleaned_data
        segment = None
        if data.get("segment"):
            segment = Segment.objects.filter(
                organization=self.organization, pk=data["segment"]
            ).first()
        return DriverFilters(
            date_from=data.get("from"),
            date_to=data.get("to"),
            touchpoint_id=uuid.UUID(data["touchpoint"]) if data.get("touchpoint") else None,
            channel=data.get("channel") or "",
            language=data.get("language") or "",
            segment=segment,
        )


@org_view(read=Perm.VIEW)
@require_safe
def drivers_view(request: HttpRequest) -> HttpResponse:
    """Key drivers of a survey's NPS or CSAT: summary, priority matrix and table."""
    org = _org(request)
    surveys = driver_surveys(organization=org)
    survey: Survey | None
    if request.GET.get("survey"):
        survey = access_survey(organization=org, pk=request.GET["survey"])
    else:
        survey = default_driver_survey(organization=org) or (surveys[0] if surveys else None)
    targets = driver_targets(survey=survey) if survey is not None else []
    data = request.GET.copy()
    if survey is not None:
        data["survey"] = str(survey.pk)
    form = DriversForm(data, organization=org, surveys=surveys, targets=targets)
    analysis: DriverAnalysis | None = None
    empty = ""
    if survey is None:
        empty = str(
            _(
                "There is no published survey yet. Key drivers need a survey with an NPS or "
                "CSAT question and at least 30 responses."
            )
        )
    elif not targets:
        empty = str(
            _(
                "This survey has no NPS, CSAT, CES or rating question, so there is no score "
                "to explain. Choose another survey."
            )
        )
    elif form.is_valid():
        try:
            analysis = driver_analysis(
                survey=survey, target=form.cleaned_data["target"], filters=form.filters()
            )
        except DriverInputError as error:
            empty = error.message
        else:
            if not analysis.ok:
                empty = analysis.message
    context = {
        "form": form,
        "survey": survey,
        "analysis": analysis if analysis is not None and analysis.ok else None,
        "excluded": analysis.excluded if analysis is not None else (),
        "empty": empty,
        "chart": driver_chart_data(analysis) if analysis is not None and analysis.ok else None,
        "plotly_version": PLOTLY_VERSION,
    }
    return render(request, "analytics/drivers.html", context)
