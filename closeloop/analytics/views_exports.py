"""Export pages: the organization's exports with their progress, the form to start one, and the
download (members with the export permission only)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Organization, User
from closeloop.accounts.roles import Perm
from closeloop.analytics.exports import selectors, services
from closeloop.analytics.models import Export, ExportFormat
from closeloop.core.errors import DomainError
from closeloop.responses.choices import Channel
from closeloop.surveys.models import Survey

LIST_SIZE = 100


class ExportForm(forms.Form):
    """What to export: a survey's responses, in which format, with which filters."""

    survey = forms.ChoiceField(label=gettext_lazy("Survey"))
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=ExportFormat.choices,
        initial=ExportFormat.CSV,
        widget=forms.RadioSelect,
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Responses"),
        choices=[
            ("complete", gettext_lazy("Completed only")),
            ("partial", gettext_lazy("Partial only")),
            ("all", gettext_lazy("Completed and partial")),
        ],
        initial="complete",
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Whole days in the organization's time zone, both included."),
    )
    touchpoint = forms.ChoiceField(label=gettext_lazy("Touchpoint"), required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("Any")), *Channel.choices],
    )
    language = forms.CharField(
        label=gettext_lazy("Language"),
        required=False,
        max_length=10,
        help_text=gettext_lazy("A language code such as en, ko or th; empty for every language."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        from closeloop.distribution.models import Touchpoint

        super().__init__(*args, **kwargs)
        surveys = Survey.objects.filter(organization=organization).order_by("name")
        self.fields["survey"].choices = [(str(s.pk), s.name) for s in surveys]  # type: ignore[attr-defined]
        touchpoints = Touchpoint.objects.filter(organization=organization)
        self.fields["touchpoint"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *((str(t.pk), t.name) for t in touchpoints),
        ]

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "from": data["date_from"],
            "to": data["date_to"],
            "touchpoint": data["touchpoint"],
            "channel": data["channel"],
            "language": data["language"].strip(),
        }


class MetricExportForm(forms.Form):
    """A metric result to export: which metric, of which survey, grouped how, over which days."""

    metric = forms.ChoiceField(
        label=gettext_lazy("Metric"),
        choices=[
            ("nps", gettext_lazy("NPS")),
            ("csat", gettext_lazy("CSAT")),
            ("ces", gettext_lazy("CES")),
            ("enps", gettext_lazy("eNPS")),
            ("rating", gettext_lazy("Average rating")),
            ("choice", gettext_lazy("Choice distribution")),
            ("response_rate", gettext_lazy("Response rate")),
            ("start_rate", gettext_lazy("Start rate")),
            ("completion_rate", gettext_lazy("Completion rate")),
        ],
    )
    survey = forms.ChoiceField(label=gettext_lazy("Survey"), required=False)
    group_by = forms.ChoiceField(
        label=gettext_lazy("Grouped by"),
        choices=[
            ("none", gettext_lazy("No grouping (total only)")),
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
            ("quarter", gettext_lazy("Quarter")),
            ("touchpoint", gettext_lazy("Touchpoint")),
            ("channel", gettext_lazy("Channel")),
            ("language", gettext_lazy("Language")),
            ("survey", gettext_lazy("Survey")),
        ],
        initial="month",
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[c for c in ExportFormat.choices if c[0] != ExportFormat.SAV],
        initial=ExportFormat.XLSX,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "m")
        super().__init__(*args, **kwargs)
        surveys = Survey.objects.filter(organization=organization).order_by("name")
        self.fields["survey"].choices = [  # type: ignore[attr-defined]
            ("", _("Every survey of the metric's kind")),
            *((str(s.pk), s.name) for s in surveys),
        ]

    def query(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "metric": data["metric"],
            "surveys": [data["survey"]] if data["survey"] else [],
            "group_by": data["group_by"],
            "from": data["date_from"],
            "to": data["date_to"],
        }


FORM_FIELDS = {"from": "date_from", "to": "date_to"}


def _org(request: HttpRequest) -> Organization:
    org: Organization = request.org  # type: ignore[attr-defined]
    return org


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _describe(org: Organization, exports: list[Export]) -> None:
    names = selectors.touchpoint_names(organization=org)
    for export in exports:
        export.filter_labels = selectors.describe_filters(export.filters, names)  # type: ignore[attr-defined]


def _start(request: HttpRequest, org: Organization, form: forms.Form) -> Export:
    if isinstance(form, MetricExportForm):
        return services.export_metrics_create(
            organization=org,
            query=form.query(),
            format=form.cleaned_data["format"],
            language=request.LANGUAGE_CODE,
            requested_by=_user(request),
        )
    assert isinstance(form, ExportForm)
    survey = Survey.objects.filter(
        organization=org, pk=uuid.UUID(form.cleaned_data["survey"])
    ).first()
    if survey is None:
        raise DomainError(_("There is no such survey."), field="survey")
    return services.export_create(
        organization=org,
        survey=survey,
        format=form.cleaned_data["format"],
        filters=form.filters(),
        language=request.LANGUAGE_CODE,
        requested_by=_user(request),
    )


@org_view(read=Perm.EXPORT, write=Perm.EXPORT)
def export_list_view(request: HttpRequest) -> HttpResponse:
    """The organization's exports, newest first, and the form to start one."""
    org = _org(request)
    initial = {}
    if request.GET.get("survey"):
        initial["survey"] = request.GET["survey"]
    metrics = request.method == "POST" and request.POST.get("kind") == "metrics"
    form = ExportForm(
        request.POST if request.method == "POST" and not metrics else None,
        organization=org,
        initial=initial,
    )
    metric_form = MetricExportForm(request.POST if metrics else None, organization=org)
    status = 200
    if request.method == "POST":
        bound: forms.Form = metric_form if metrics else form
        if bound.is_valid():
            try:
                _start(request, org, bound)
            except DomainError as exc:
                field = FORM_FIELDS.get(exc.field or "", exc.field)
                bound.add_error(field if field in bound.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("The export is on its way; this page shows its progress."),
                )
                return redirect("analytics:exports", org.slug)
        status = 400
    exports = list(selectors.export_list(organization=org)[:LIST_SIZE])
    _describe(org, exports)
    context = {
        "form": form,
        "metric_form": metric_form,
        "exports": exports,
        "any_active": any(e.is_active for e in exports),
    }
    return render(request, "analytics/exports.html", context, status=status)


@org_view(read=Perm.EXPORT)
@require_GET
def export_detail_view(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """One export: its progress (the row htmx polls while it runs), filters and download."""
    export = selectors.access_export(organization=_org(request), pk=export_id)
    _describe(_org(request), [export])
    if getattr(request, "htmx", False):
        return render(request, "analytics/exports_row.html", {"export": export})
    return render(request, "analytics/exports_detail.html", {"export": export})


# org_view is typed for HttpResponse; a FileResponse streams the file instead of loading it.
@org_view(read=Perm.EXPORT)  # type: ignore[arg-type]
@require_GET
def export_download_view(request: HttpRequest, export_id: uuid.UUID) -> FileResponse:
    """The export's file, for members with the export permission; 404 once it has expired."""
    export: Export = selectors.access_export(organization=_org(request), pk=export_id)
    try:
        handle = services.export_file_open(export=export, actor=_user(request))
    except DomainError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export.file_name,
        content_type=services.CONTENT_TYPES.get(export.format, "application/octet-stream"),
    )
