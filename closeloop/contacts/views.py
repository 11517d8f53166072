"""Pages for contacts, attributes, segments and imports (under /o/<org_slug>/contacts/)."""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.contacts import importers, selectors, services
from closeloop.contacts.choices import (
    IMPORT_FIELDS,
    AttributeType,
    ContactKind,
    DedupeBy,
    RuleOp,
    SegmentMatch,
    SurveyHistory,
)
from closeloop.contacts.forms import AttributeForm, ContactForm, ImportUploadForm, ReasonForm
from closeloop.contacts.models import Contact, Segment
from closeloop.contacts.rules import SegmentInvalid, validate_definition
from closeloop.core.errors import DomainError

PAGE_SIZE = 50
MAX_RULE_ROWS = 50
PREVIEW_SIZE = 20


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can(request: HttpRequest, perm: Perm) -> bool:
    membership = cast(Membership, request.membership)  # type: ignore[attr-defined]
    return has_perm(membership.role, perm)


def _contact(request: HttpRequest, contact_id: Any) -> Contact:
    return selectors.access_contact(organization=_org(request), pk=contact_id)


# --- contacts ----------------------------------------------------------------------------------


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def contact_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in ContactKind.values else ""
    unsubscribed = {"yes": True, "no": False}.get(request.GET.get("unsubscribed", ""))
    segments = list(selectors.segment_list(organization=org))
    segment = next((s for s in segments if str(s.pk) == request.GET.get("segment")), None)
    contacts = selectors.contact_search(
        organization=org, q=q, kind=kind, segment=segment, unsubscribed=unsubscribed
    ).order_by("-created_at", "-id")
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "contacts/contact_list.html",
        {
            "page": page,
            "q": q,
            "kind": kind,
            "kinds": ContactKind.choices,
            "segments": segments,
            "segment": segment,
            "unsubscribed": request.GET.get("unsubscribed", ""),
            "query": params.urlencode(),
            "can_edit": _can(request, Perm.EDIT_SURVEYS),
        },
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def contact_new(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    definitions = selectors.attribute_definitions(organization=org)
    form = ContactForm(request.POST or None, definitions=definitions)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                organization=org, actor=_user(request), data=form.service_data()
            )
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Contact created."))
            return redirect("contacts:detail", org.slug, contact.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "contacts/contact_form.html", {"form": form}, status=status)


@org_view(read=Perm.VIEW)
def contact_detail(request: HttpRequest, contact_id: Any) -> HttpResponse:
    contact = _contact(request, contact_id)
    definitions = {d.key: d for d in selectors.attribute_definitions(organization=_org(request))}
    attributes = [
        (definitions[key].label if key in definitions else key, value)
        for key, value in sorted(contact.attributes.items())
    ]
    return render(
        request,
        "contacts/contact_detail.html",
        {
            "contact": contact,
            "attributes": attributes,
            "responses": selectors.contact_responses(contact=contact)[:100],
            "reason_form": ReasonForm(),
            "can_edit": _can(request, Perm.EDIT_SURVEYS),
            "can_export": _can(request, Perm.EXPORT),
            "can_erase": _can(request, Perm.MANAGE_MEMBERS),
        },
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def contact_edit(request: HttpRequest, contact_id: Any) -> HttpResponse:
    org = _org(request)
    contact = _contact(request, contact_id)
    if contact.erased_at is not None:
        messages.error(request, _("This contact was erased and cannot be changed."))
        return redirect("contacts:detail", org.slug, contact.pk)
    definitions = selectors.attribute_definitions(organization=org)
    form = ContactForm(request.POST or None, definitions=definitions, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, actor=_user(request), data=form.service_data())
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("contacts:detail", org.slug, contact.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "contacts/contact_form.html", {"form": form, "contact": contact}, status=status
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def contact_unsubscribe(request: HttpRequest, contact_id: Any) -> HttpResponse:
    contact = _contact(request, contact_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.contact_unsubscribe(contact=contact, reason=reason, via="staff", actor=_user(request))
    messages.success(request, _("The contact is unsubscribed: nothing will be sent to them."))
    return redirect("contacts:detail", _org(request).slug, contact.pk)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def contact_resubscribe(request: HttpRequest, contact_id: Any) -> HttpResponse:
    contact = _contact(request, contact_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.contact_resubscribe(contact=contact, actor=_user(request), reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The contact can be contacted again."))
    return redirect("contacts:detail", _org(request).slug, contact.pk)


@org_view(read=Perm.EXPORT)
def contact_export(request: HttpRequest, contact_id: Any) -> HttpResponse:
    contact = _contact(request, contact_id)
    data = services.contact_export(contact=contact)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@org_view(read=Perm.MANAGE_MEMBERS, write=Perm.MANAGE_MEMBERS)
def contact_erase(request: HttpRequest, contact_id: Any) -> HttpResponse:
    contact = _contact(request, contact_id)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "erase":
            services.contact_erase(contact=contact, actor=_user(request))
            messages.success(
                request, _("The contact's identity was erased. Their answers stay, anonymous.")
            )
            return redirect("contacts:list", _org(request).slug)
        error = _("Tick the box to confirm.")
    return render(
        request,
        "contacts/contact_erase.html",
        {"contact": contact, "error": error},
        status=400 if error else 200,
    )


# --- attributes --------------------------------------------------------------------------------


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def attribute_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = AttributeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attribute_definition_create(
                organization=org,
                key=form.cleaned_data["key"],
                label=form.cleaned_data["label"],
                type=form.cleaned_data["type"],
                actor=_user(request),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Attribute added."))
            return redirect("contacts:attributes", org.slug)
    return render(
        request,
        "contacts/attributes.html",
        {
            "definitions": selectors.attribute_definitions(organization=org),
            "form": form,
            "can_edit": _can(request, Perm.EDIT_SURVEYS),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- segments ----------------------------------------------------------------------------------


def rules_from_form(data: QueryDict) -> dict[str, Any]:
    """A segment definition from the rule builder's rows (blank rows are skipped)."""
    rules: list[dict[str, Any]] = []
    for n in range(MAX_RULE_ROWS):
        field = data.get(f"rule-{n}-field", "").strip()
        if field:
            op = data.get(f"rule-{n}-op", "eq")
            value: Any = data.get(f"rule-{n}-value", "")
            if op == "in":
                value = [v.strip() for v in str(value).split(",") if v.strip()]
            rules.append({"field": field, "op": op, "value": value})
    for n in range(MAX_RULE_ROWS):
        kind = data.get(f"hist-{n}-kind", "").strip()
        if kind:
            rules.append(
                {
                    "survey_history": kind,
                    "survey": data.get(f"hist-{n}-survey") or None,
                    "within_days": data.get(f"hist-{n}-days") or None,
                }
            )
    return {"match": data.get("match") or SegmentMatch.ALL, "rules": rules}


def _builder_rows(definition: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rule builder's rows for a definition, with blank rows to add more."""
    field_rows: list[dict[str, Any]] = []
    history_rows: list[dict[str, Any]] = []
    for rule in definition.get("rules") or []:
        if "survey_history" in rule:
            history_rows.append(
                {
                    "kind": rule.get("survey_history") or "",
                    "survey": str(rule.get("survey") or ""),
                    "days": rule.get("within_days") or "",
                }
            )
        else:
            value = rule.get("value")
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            field_rows.append(
                {
                    "field": rule.get("field", ""),
                    "op": rule.get("op", "eq"),
                    "value": "" if value is None else value,
                }
            )
    field_rows += [{"field": "", "op": "eq", "value": ""}] * 2
    history_rows += [{"kind": "", "survey": "", "days": ""}]
    for n, row in enumerate(field_rows):
        field_rows[n] = {**row, "n": n}
    for n, row in enumerate(history_rows):
        history_rows[n] = {**row, "n": n}
    return field_rows, history_rows


def _builder_context(
    request: HttpRequest, definition: dict[str, Any], segment: Segment | None
) -> dict[str, Any]:
    from closeloop.surveys.models import Survey

    org = _org(request)
    field_rows, history_rows = _builder_rows(definition)
    fields = [
        ("kind", _("Kind")),
        ("language", _("Language")),
        ("email", _("Email")),
        ("unsubscribed", _("Unsubscribed (true/false)")),
    ] + [
        (f"attribute.{d.key}", f"{d.label} ({d.get_type_display()})")
        for d in selectors.attribute_definitions(organization=org)
    ]
    return {
        "segment": segment,
        "match": definition.get("match") or SegmentMatch.ALL,
        "matches": SegmentMatch.choices,
        "field_rows": field_rows,
        "history_rows": history_rows,
        "fields": fields,
        "ops": RuleOp.choices,
        "history_kinds": SurveyHistory.choices,
        "surveys": Survey.objects.filter(organization=org).order_by("name"),
    }


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def segment_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    rows = [
        (segment, selectors.segment_contacts(segment=segment).count())
        for segment in selectors.segment_list(organization=org)
    ]
    return render(
        request,
        "contacts/segment_list.html",
        {"rows": rows, "can_edit": _can(request, Perm.EDIT_SURVEYS)},
    )


def _segment_form(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    org = _org(request)
    error: DomainError | None = None
    name = segment.name if segment else ""
    description = segment.description if segment else ""
    definition: dict[str, Any] = segment.definition if segment else {"match": "all", "rules": []}
    if request.method == "POST":
        name = request.POST.get("name", "")
        description = request.POST.get("description", "")
        definition = rules_from_form(request.POST)
        try:
            if segment is None:
                segment = services.segment_create(
                    organization=org, name=name, description=description,
                    definition=definition, actor=_user(request),
                )  # fmt: skip
            else:
                services.segment_update(
                    segment=segment, name=name, description=description,
                    definition=definition, actor=_user(request),
                )  # fmt: skip
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Segment saved."))
            return redirect("contacts:segment", org.slug, segment.pk)
    preview: list[Contact] = []
    count: int | None = None
    if segment is not None and error is None:
        matching = selectors.segment_contacts(segment=segment)
        count = matching.count()
        preview = list(matching.order_by("-created_at")[:PREVIEW_SIZE])
    context = _builder_context(request, definition, segment)
    context.update(
        {
            "name": name,
            "description": description,
            "error": error,
            "preview": preview,
            "count": count,
            "can_edit": _can(request, Perm.EDIT_SURVEYS),
        }
    )
    return render(request, "contacts/segment_form.html", context, status=400 if error else 200)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def segment_new(request: HttpRequest) -> HttpResponse:
    return _segment_form(request, None)


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def segment_edit(request: HttpRequest, segment_id: Any) -> HttpResponse:
    segment = selectors.access_segment(organization=_org(request), pk=segment_id)
    return _segment_form(request, segment)


@org_view(read=Perm.VIEW)
def segment_count(request: HttpRequest) -> HttpResponse:
    """The live count of the rule builder: how many contacts the rules as typed match."""
    org = _org(request)
    try:
        definition = validate_definition(org, rules_from_form(request.GET))
    except SegmentInvalid as exc:
        return render(request, "contacts/_segment_count.html", {"error": exc.message})
    count = selectors.contacts_matching(organization=org, definition=definition).count()
    return render(request, "contacts/_segment_count.html", {"count": count})


# --- imports -----------------------------------------------------------------------------------


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def import_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "contacts/import_list.html",
        {
            "imports": selectors.import_list(organization=_org(request))[:100],
            "can_edit": _can(request, Perm.EDIT_SURVEYS),
        },
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def import_new(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > importers.MAX_FILE_BYTES:
            form.add_error("file", _("The file is larger than 10 MB; split it."))
        else:
            try:
                contact_import = importers.contact_import_create(
                    organization=org,
                    file_name=upload.name,
                    content=upload.read(),
                    created_by=_user(request),
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("contacts:import_map", org.slug, contact_import.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "contacts/import_new.html", {"form": form}, status=status)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def import_map(request: HttpRequest, import_id: Any) -> HttpResponse:
    org = _org(request)
    contact_import = selectors.access_import(organization=org, pk=import_id)
    if contact_import.status != "pending":
        return redirect("contacts:import", org.slug, contact_import.pk)
    definitions = {d.key: d for d in selectors.attribute_definitions(organization=org)}
    error: DomainError | None = None
    columns = contact_import.columns
    if request.method == "POST":
        mapping = {i: request.POST.get(f"column_{i}", "ignore") for i in range(len(columns))}
        new_attributes = {
            i: (
                request.POST.get(f"new_key_{i}", "").strip()
                or slugify(columns[i]).replace("-", "_"),
                request.POST.get(f"new_type_{i}", AttributeType.TEXT),
            )
            for i in range(len(columns))
        }
        try:
            importers.contact_import_configure(
                contact_import=contact_import,
                mapping=mapping,
                dedupe_by=request.POST.get("dedupe_by", DedupeBy.EMAIL),
                new_attributes=new_attributes,
                actor=_user(request),
            )
        except DomainError as exc:
            error = exc
        else:
            return redirect("contacts:import", org.slug, contact_import.pk)
        selected = mapping
        dedupe_by = request.POST.get("dedupe_by", DedupeBy.EMAIL)
    else:
        selected = {i: importers.suggest_target(c, definitions) for i, c in enumerate(columns)}
        dedupe_by = DedupeBy.EMAIL
    targets = [("ignore", _("Ignore this column")), *IMPORT_FIELDS]
    targets += [
        (f"attribute:{k}", f"{d.label} ({d.get_type_display()})") for k, d in definitions.items()
    ]
    targets.append(("new_attribute", _("New attribute…")))
    column_rows = [
        {
            "index": i,
            "name": name,
            "selected": selected.get(i, "ignore"),
            "samples": [row[i] for row in contact_import.preview_rows if i < len(row) and row[i]][
                :3
            ],
            "new_key": request.POST.get(f"new_key_{i}", "") or slugify(name).replace("-", "_"),
            "new_type": request.POST.get(f"new_type_{i}", AttributeType.TEXT),
            "error": error is not None and error.field == f"column_{i}",
        }
        for i, name in enumerate(columns)
    ]
    return render(
        request,
        "contacts/import_map.html",
        {
            "import": contact_import,
            "column_rows": column_rows,
            "targets": targets,
            "types": AttributeType.choices,
            "dedupe_choices": DedupeBy.choices,
            "dedupe_by": dedupe_by,
            "error": error,
        },
        status=400 if error else 200,
    )


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def import_detail(request: HttpRequest, import_id: Any) -> HttpResponse:
    contact_import = selectors.access_import(organization=_org(request), pk=import_id)
    template = (
        "contacts/_import_progress.html"
        if getattr(request, "htmx", False)
        else "contacts/import_detail.html"
    )
    return render(request, template, {"import": contact_import})


@org_view(read=Perm.VIEW)
def import_rejected(request: HttpRequest, import_id: Any) -> HttpResponse:
    contact_import = selectors.access_import(organization=_org(request), pk=import_id)
    response = HttpResponse(
        "\ufeff" + importers.rejected_rows_csv(contact_import),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="rejected-{contact_import.pk}.csv"'
    return response
