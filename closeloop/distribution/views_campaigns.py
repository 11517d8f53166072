"""Pages for email campaigns, invitation templates and invitations (under
/o/<org_slug>/campaigns/), and the public open-tracking pixel."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from closeloop.accounts.access import org_view
from closeloop.accounts.models import Membership, Organization, User
from closeloop.accounts.roles import Perm, has_perm
from closeloop.core.errors import DomainError
from closeloop.distribution import campaigns_selectors as selectors
from closeloop.distribution import campaigns_services as services
from closeloop.distribution.choices import CampaignStatus, InvitationStatus, ListeningChannel
from closeloop.distribution.emails import RenderedEmail, invitation_email, invitation_from_pixel
from closeloop.distribution.forms_campaigns import CampaignForm, EmailTemplateForm
from closeloop.distribution.models import Campaign, EmailTemplate, Invitation
from closeloop.distribution.sending import campaign_recipients, invitation_opened
from closeloop.surveys.models import Survey

PAGE_SIZE = 50
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _org(request: HttpRequest) -> Organization:
    return cast(Organization, request.org)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _can_edit(request: HttpRequest) -> bool:
    membership = cast(Membership, request.membership)  # type: ignore[attr-defined]
    return has_perm(membership.role, Perm.EDIT_SURVEYS)


def _campaign(request: HttpRequest, campaign_id: Any) -> Campaign:
    return selectors.access_campaign(organization=_org(request), pk=campaign_id)


# --- campaigns ----------------------------------------------------------------------------------


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = selectors.campaign_list(organization=_org(request))
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "distribution/campaigns_list.html",
        {"page": page, "can_edit": _can_edit(request)},
    )


def _apply_when(request: HttpRequest, campaign: Campaign, form: CampaignForm) -> None:
    when = form.cleaned_data.get("when")
    if when == "now":
        services.campaign_send_now(campaign=campaign, actor=_user(request))
        messages.success(request, _("Sending has started."))
    elif when == "later":
        at = form.cleaned_data["scheduled_at"]
        services.campaign_schedule(campaign=campaign, at=at, actor=_user(request))
        messages.success(request, _("The campaign is scheduled."))
    else:
        messages.success(request, _("Campaign saved."))


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def campaign_new(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = CampaignForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                organization=org,
                actor=_user(request),
                contacts=form.contacts,
                **form.service_fields(),
            )
            _apply_when(request, campaign, form)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("campaigns:detail", org.slug, campaign.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "distribution/campaigns_form.html", {"form": form, "campaign": None}, status=status
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def campaign_edit(request: HttpRequest, campaign_id: Any) -> HttpResponse:
    org = _org(request)
    campaign = _campaign(request, campaign_id)
    if campaign.status not in services.EDITABLE:
        messages.error(request, _("Only a draft or scheduled campaign can be changed."))
        return redirect("campaigns:detail", org.slug, campaign.pk)
    form = CampaignForm(request.POST or None, organization=org, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(
                campaign=campaign,
                actor=_user(request),
                contacts=form.contacts,
                **form.service_fields(),
            )
            _apply_when(request, campaign, form)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("campaigns:detail", org.slug, campaign.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "distribution/campaigns_form.html",
        {"form": form, "campaign": campaign},
        status=status,
    )


def _stopping_rules(invitations: list[Invitation]) -> None:
    for invitation in invitations:
        invitation.rule_label = (  # type: ignore[attr-defined]
            invitation.get_suppressed_reason_display() if invitation.suppressed_reason else ""
        )


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def campaign_detail(request: HttpRequest, campaign_id: Any) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    counts = selectors.campaign_status_counts(campaign=campaign)
    context: dict[str, Any] = {
        "campaign": campaign,
        "counts": [(InvitationStatus(s).label, s, n) for s, n in counts.items()],
        "percent": round(100 * campaign.processed / campaign.total) if campaign.total else 0,
        "sending": campaign.status == CampaignStatus.SENDING,
        "can_edit": _can_edit(request),
        "editable": campaign.status in services.EDITABLE,
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        return render(request, "distribution/campaigns_progress.html", context)
    invitations = selectors.invitation_list(organization=_org(request), campaign=campaign.pk)
    status = request.GET.get("status", "")
    if status in InvitationStatus.values:
        invitations = invitations.filter(status=status)
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    _stopping_rules(list(page.object_list))
    context |= {"page": page, "status": status}
    return render(request, "distribution/campaigns_detail.html", context)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def campaign_send(request: HttpRequest, campaign_id: Any) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    try:
        services.campaign_send_now(campaign=campaign, actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sending has started."))
    return redirect("campaigns:detail", _org(request).slug, campaign.pk)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
@require_POST
def campaign_cancel(request: HttpRequest, campaign_id: Any) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    services.campaign_cancel(campaign=campaign, actor=_user(request))
    messages.success(request, _("The campaign is cancelled."))
    return redirect("campaigns:detail", _org(request).slug, campaign.pk)


def _sample_contact(organization: Organization) -> Any:
    from closeloop.contacts.models import Contact

    return Contact(organization=organization, first_name=_("Alex"), email="alex@example.com")


def _preview(
    *,
    organization: Organization,
    survey: Any,
    contact: Any,
    language: str,
    template: EmailTemplate | None,
) -> RenderedEmail:
    invitation = Invitation(
        organization=organization,
        survey=survey,
        contact=contact,
        channel=ListeningChannel.EMAIL,
        language=language,
    )
    return invitation_email(invitation=invitation, template=template)


def _survey_languages(survey: Any) -> list[str]:
    version = survey.current_version if survey is not None else None
    if version is None:
        return []
    return list(version.definition.get("languages") or [])


@org_view(read=Perm.VIEW)
def campaign_preview(request: HttpRequest, campaign_id: Any) -> HttpResponse:
    org = _org(request)
    campaign = _campaign(request, campaign_id)
    contacts = list(campaign_recipients(campaign).order_by("last_name", "first_name")[:50])
    contact = next((c for c in contacts if str(c.pk) == request.GET.get("contact")), None)
    contact = contact or (contacts[0] if contacts else _sample_contact(org))
    languages = _survey_languages(campaign.survey)
    language = request.GET.get("lang", "")
    if language not in languages:
        language = contact.language if contact.language in languages else ""
        language = language or (languages[0] if languages else org.default_language)
    template = campaign.template or services.email_template_default(organization=org)
    email = _preview(
        organization=org,
        survey=campaign.survey,
        contact=contact,
        language=language,
        template=template,
    )
    return render(
        request,
        "distribution/campaigns_preview.html",
        {
            "campaign": campaign,
            "contacts": contacts,
            "contact": contact,
            "languages": languages,
            "language": language,
            "email": email,
        },
    )


# --- templates ----------------------------------------------------------------------------------


@org_view(read=Perm.VIEW, write=Perm.EDIT_SURVEYS)
def template_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    services.email_template_default(organization=org)
    return render(
        request,
        "distribution/campaigns_templates.html",
        {
            "templates": selectors.email_template_list(organization=org),
            "can_edit": _can_edit(request),
        },
    )


def _template_page(request: HttpRequest, template: EmailTemplate | None) -> HttpResponse:
    org = _org(request)
    form = EmailTemplateForm(request.POST or None, template=template)
    preview: RenderedEmail | None = None
    surveys = list(
        Survey.objects.filter(organization=org, current_version__isnull=False).order_by("name")[:50]
    )
    chosen = next((s for s in surveys if str(s.pk) == request.POST.get("_survey")), None)
    if request.method == "POST" and form.is_valid():
        if "_preview" in request.POST:
            survey = chosen or (surveys[0] if surveys else None)
            if survey is None:
                form.add_error(None, _("Publish a survey to preview the email."))
            else:
                language = request.POST.get("_lang", "") or org.default_language
                draft = EmailTemplate(organization=org, name=form.cleaned_data["name"])
                try:
                    draft.texts = services.clean_texts(form.texts())
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    preview = _preview(
                        organization=org,
                        survey=survey,
                        contact=_sample_contact(org),
                        language=language,
                        template=draft,
                    )
        else:
            try:
                if template is None:
                    template = services.email_template_create(
                        organization=org,
                        actor=_user(request),
                        name=form.cleaned_data["name"],
                        texts=form.texts(),
                    )
                else:
                    services.email_template_update(
                        template=template,
                        actor=_user(request),
                        name=form.cleaned_data["name"],
                        texts=form.texts(),
                    )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Template saved."))
                return redirect("campaigns:templates", org.slug)
    return render(
        request,
        "distribution/campaigns_template_form.html",
        {
            "form": form,
            "template": template,
            "preview": preview,
            "surveys": surveys,
            "chosen": chosen,
            "lang": request.POST.get("_lang", ""),
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def template_new(request: HttpRequest) -> HttpResponse:
    return _template_page(request, None)


@org_view(read=Perm.EDIT_SURVEYS, write=Perm.EDIT_SURVEYS)
def template_edit(request: HttpRequest, email_template_id: Any) -> HttpResponse:
    template = selectors.access_email_template(organization=_org(request), pk=email_template_id)
    return _template_page(request, template)


# --- invitations --------------------------------------------------------------------------------


@org_view(read=Perm.VIEW)
def invitation_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    status = request.GET.get("status", "")
    status = status if status in InvitationStatus.values else ""
    surveys = list(Survey.objects.filter(organization=org).order_by("name"))
    survey = next((s for s in surveys if str(s.pk) == request.GET.get("survey")), None)
    contact_id = request.GET.get("contact", "")
    try:
        contact_key = uuid.UUID(contact_id) if contact_id else None
    except ValueError:
        contact_key = None
    invitations = selectors.invitation_list(
        organization=org,
        status=status,
        survey=survey.pk if survey else None,
        contact=contact_key,
    )
    query = request.GET.get("q", "").strip()
    if query:
        invitations = invitations.filter(contact__email__icontains=query.lower())
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    _stopping_rules(list(page.object_list))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "distribution/campaigns_invitations.html",
        {
            "page": page,
            "statuses": InvitationStatus.choices,
            "status": status,
            "surveys": surveys,
            "survey": survey,
            "q": query,
            "contact_id": contact_id if contact_key else "",
            "query": params.urlencode(),
        },
    )


# --- public: open pixel -------------------------------------------------------------------------


@require_GET
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """A 1x1 GIF; loading it marks the invitation opened (a bad token still gets the image)."""
    invitation_id = invitation_from_pixel(token)
    if invitation_id:
        invitation_opened(invitation_id=invitation_id)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    response["Expires"] = (timezone.now() - dt.timedelta(days=1)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    return response
