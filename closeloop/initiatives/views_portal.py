"""The public idea portal at /ideas/<org_slug>/: browse, propose, vote and comment without
JavaScript. Writing needs a verified person: the first action asks for a name and email and
is done when the emailed link is followed; the portal session cookie covers the rest."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from closeloop.core.errors import DomainError
from closeloop.initiatives.choices import PUBLIC_IDEA_STATUSES, IdeaStatus
from closeloop.initiatives.forms_ideas import (
    LANGUAGE_NAMES,
    CommentForm,
    IdentifyForm,
    ProposeForm,
    SigninForm,
)
from closeloop.initiatives.ideas import limits, selectors, services
from closeloop.initiatives.ideas.notifications import visitor_from_updates_off_token
from closeloop.initiatives.models import Idea, IdeaPortal, PortalVisitor

SESSION_COOKIE = "cl_portal"
LANG_COOKIE = "cl_portal_lang"
COOKIE_AGE = 60 * 60 * 24 * 180
IDENTITY_PARAMS = ("widget", "email", "name", "uid", "user_hash")
PAGE_SIZE = 20


@dataclass
class Portal:
    """What every portal page needs: the portal, the visitor, the language."""

    request: HttpRequest
    portal: IdeaPortal
    visitor: PortalVisitor | None
    language: str
    set_lang: bool = False
    new_session: str = ""

    @property
    def slug(self) -> str:
        return self.portal.organization.slug

    def url(self, name: str, **kwargs: Any) -> str:
        return reverse(f"portal:{name}", kwargs={"org_slug": self.slug, **kwargs})


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _cookie_path(slug: str) -> str:
    return f"/ideas/{slug}/"


def _language(
    request: HttpRequest, portal: IdeaPortal, visitor: PortalVisitor | None
) -> tuple[str, bool]:
    asked = request.GET.get("lang", "")
    if asked in selectors.PORTAL_LANGUAGES:
        return asked, True
    cookie = request.COOKIES.get(LANG_COOKIE, "")
    if cookie in selectors.PORTAL_LANGUAGES:
        return cookie, False
    if visitor is not None and visitor.language in selectors.PORTAL_LANGUAGES:
        return visitor.language, False
    default = portal.default_language
    return (default if default in selectors.PORTAL_LANGUAGES else "en"), False


def _load(request: HttpRequest, org_slug: str) -> Portal:
    portal = selectors.portal_by_slug(org_slug=org_slug)
    visitor = selectors.visitor_by_session(
        portal=portal, token=request.COOKIES.get(SESSION_COOKIE, "")
    )
    language, set_lang = _language(request, portal, visitor)
    return Portal(
        request=request, portal=portal, visitor=visitor, language=language, set_lang=set_lang
    )


def _finish(ctx: Portal, response: HttpResponse) -> HttpResponse:
    """Cookies, privacy headers and the logo's origin in the page's CSP."""
    path = _cookie_path(ctx.slug)
    secure = ctx.request.is_secure()
    if ctx.set_lang:
        response.set_cookie(
            LANG_COOKIE, ctx.language, max_age=COOKIE_AGE, path=path, samesite="Lax", secure=secure
        )
    if ctx.new_session:
        response.set_cookie(
            SESSION_COOKIE, ctx.new_session, max_age=COOKIE_AGE, path=path, httponly=True,
            samesite="Lax", secure=secure,
        )  # fmt: skip
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = ctx.language
    logo = ctx.portal.logo_url
    if logo:
        parts = urlsplit(logo)
        if parts.scheme in ("http", "https") and parts.netloc:
            config: dict[str, Any] = copy.deepcopy(settings.SECURE_CSP)
            config["img-src"] = [*config.get("img-src", ()), f"{parts.scheme}://{parts.netloc}"]
            response._csp_config = config  # type: ignore[attr-defined]
    return response


def _render(ctx: Portal, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    portal = ctx.portal
    base = {
        "portal": portal,
        "org": portal.organization,
        "visitor": ctx.visitor,
        "language": ctx.language,
        "languages": [(c, LANGUAGE_NAMES[c]) for c in selectors.PORTAL_LANGUAGES],
        "portal_title": selectors.portal_text(portal, "title", ctx.language)
        or portal.organization.name,
        "portal_intro": selectors.portal_text(portal, "intro", ctx.language),
        "accent": portal.accent_color if len(portal.accent_color) == 7 else "#2563eb",
        "home_url": ctx.url("home"),
        "path": ctx.request.path,
    }
    with translation.override(ctx.language):
        response = render(ctx.request, template, {**base, **context}, status=status)
    return _finish(ctx, response)


def _message(
    ctx: Portal,
    title: str,
    message: str,
    *,
    status: int = 200,
    retry_after: int | None = None,
    link: str = "",
) -> HttpResponse:
    response = _render(
        ctx, "initiatives/portal/message.html",
        {"title": title, "message": message, "link": link or ctx.url("home")}, status=status,
    )  # fmt: skip
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _limited(ctx: Portal, exc: limits.RateLimited) -> HttpResponse:
    with translation.override(ctx.language):
        title = _("Please slow down")
    return _message(ctx, title, exc.message, status=429, retry_after=exc.retry_after)


def _redirect(ctx: Portal, url: str, **params: str) -> HttpResponse:
    query = {"lang": ctx.language, **{k: v for k, v in params.items() if v}}
    return _finish(ctx, HttpResponseRedirect(f"{url}?{urlencode(query)}"))


def _check_email_sent(ctx: Portal, email: str) -> HttpResponse:
    with translation.override(ctx.language):
        title = _("Check your email")
        message = _(
            "We sent a link to %(email)s. Open it within 48 hours to confirm your address; "
            "what you asked for happens then."
        ) % {"email": email}
    return _message(ctx, title, message)


def _widget_identity(ctx: Portal) -> HttpResponse | None:
    """A link from the business's own site with a signed identity (like the widget's): sign
    the visitor in without an email and drop the identity from the address."""
    get = ctx.request.GET
    if not get.get("user_hash"):
        return None
    visitor = services.visitor_from_widget_identity(
        portal=ctx.portal, widget_key=get.get("widget", ""), email=get.get("email", ""),
        name=get.get("name", ""), external_id=get.get("uid", ""),
        user_hash=get.get("user_hash", ""), language=ctx.language,
    )  # fmt: skip
    if visitor is not None:
        ctx.visitor = visitor
        ctx.new_session = services.visitor_session_start(visitor=visitor)
    rest = {k: v for k, v in get.items() if k not in IDENTITY_PARAMS}
    rest["lang"] = ctx.language
    return _finish(ctx, HttpResponseRedirect(f"{ctx.request.path}?{urlencode(rest)}"))


def _gate(ctx: Portal) -> HttpResponse | None:
    """The sign-in page when the portal is for members and this visitor is not one."""
    if selectors.may_read(ctx.portal, ctx.visitor):
        return None
    return _render(
        ctx,
        "initiatives/portal/signin.html",
        {"form": SigninForm(), "members_only": True},
        status=200,
    )


# --- pages -------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The list of ideas: filter by status, search, sort by votes or newest."""
    ctx = _load(request, org_slug)
    if (early := _widget_identity(ctx)) is not None:
        return early
    if (gate := _gate(ctx)) is not None:
        return gate
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort", "votes")
    ideas = selectors.public_ideas(portal=ctx.portal, status=status, q=q, sort=sort)
    page = Paginator(ideas, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    with translation.override(ctx.language):
        statuses = [(s, IdeaStatus(s).label) for s in PUBLIC_IDEA_STATUSES]
    return _render(ctx, "initiatives/portal/home.html", {
        "page": page,
        "ideas": rows,
        "voted": selectors.voted_idea_ids(visitor=ctx.visitor, ideas=rows),
        "pending": selectors.own_pending_ideas(portal=ctx.portal, visitor=ctx.visitor),
        "statuses": statuses,
        "status": status,
        "q": q,
        "sort": sort,
        "note": request.GET.get("note", ""),
    })  # fmt: skip


def _idea_context(ctx: Portal, idea: Idea, **extra: Any) -> dict[str, Any]:
    return {
        "idea": idea,
        "voted": bool(selectors.voted_idea_ids(visitor=ctx.visitor, ideas=[idea])),
        "comments": selectors.public_comments(idea=idea, visitor=ctx.visitor),
        "history": [
            (c.created_at, IdeaStatus(c.to_status).label, c.reply)
            for c in selectors.public_status_changes(idea=idea)
        ],
        "comment_form": extra.pop("comment_form", None)
        or CommentForm(need_identity=ctx.visitor is None, auto_id="c_%s"),
        "is_open": idea.status in PUBLIC_IDEA_STATUSES,
        "note": ctx.request.GET.get("note", ""),
        "merged_from": ctx.request.GET.get("merged", ""),
        **extra,
    }


@require_http_methods(["GET", "HEAD"])
def idea_page(request: HttpRequest, org_slug: str, number: int) -> HttpResponse:
    """One idea: status and public reply, votes, comments; a merged idea goes to the one kept."""
    ctx = _load(request, org_slug)
    if (early := _widget_identity(ctx)) is not None:
        return early
    if (gate := _gate(ctx)) is not None:
        return gate
    idea = selectors.portal_idea(portal=ctx.portal, number=number, visitor=ctx.visitor)
    if idea.status == IdeaStatus.MERGED and idea.merged_into is not None:
        return _redirect(
            ctx, ctx.url("idea", number=idea.merged_into.number), merged=str(idea.number)
        )
    return _render(ctx, "initiatives/portal/idea.html", _idea_context(ctx, idea))


def _start_confirmation(ctx: Portal, form: Any, action: dict[str, Any]) -> HttpResponse | None:
    """Ask an unverified visitor to confirm; None when the form must be shown again."""
    try:
        services.visitor_request_confirmation(
            portal=ctx.portal, email=form.cleaned_data["email"], name=form.cleaned_data["name"],
            language=ctx.language, action=action, ip=_client_ip(ctx.request),
        )  # fmt: skip
    except limits.RateLimited as exc:
        return _limited(ctx, exc)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None
    return _check_email_sent(ctx, form.cleaned_data["email"])


@require_http_methods(["GET", "HEAD", "POST"])
def propose(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Propose an idea; the first time, with a name and an email to confirm."""
    ctx = _load(request, org_slug)
    if (gate := _gate(ctx)) is not None:
        return gate
    need = ctx.visitor is None
    if request.method != "POST":
        return _render(
            ctx, "initiatives/portal/propose.html", {"form": ProposeForm(need_identity=need)}
        )
    with translation.override(ctx.language):
        form = ProposeForm(request.POST, need_identity=need)
        valid = form.is_valid()
    if form.is_bot():
        return _check_email_sent(ctx, str(request.POST.get("email", "")))
    try:
        limits.check_ip_write(organization_id=ctx.portal.organization_id, ip=_client_ip(request))
    except limits.RateLimited as exc:
        return _limited(ctx, exc)
    if valid:
        data = form.cleaned_data
        with translation.override(ctx.language):
            if ctx.visitor is None:
                action = {
                    "kind": "idea",
                    "title": data["title"],
                    "body": data["body"],
                    "language": ctx.language,
                }
                done = _start_confirmation(ctx, form, action)
                if done is not None:
                    return done
            else:
                try:
                    idea = services.idea_propose(
                        portal=ctx.portal, visitor=ctx.visitor, title=data["title"],
                        body=data["body"], language=ctx.language,
                    )  # fmt: skip
                except limits.RateLimited as exc:
                    return _limited(ctx, exc)
                except DomainError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    note = "pending" if idea.status == IdeaStatus.PENDING else "proposed"
                    return _redirect(ctx, ctx.url("idea", number=idea.number), note=note)
    return _render(ctx, "initiatives/portal/propose.html", {"form": form}, status=400)


def _open_idea(ctx: Portal, number: int) -> Idea:
    idea = selectors.portal_idea(portal=ctx.portal, number=number, visitor=ctx.visitor)
    if idea.status not in PUBLIC_IDEA_STATUSES:
        raise Http404
    return idea


def _back(ctx: Portal, idea: Idea, note: str) -> HttpResponse:
    if ctx.request.POST.get("next") == "home":
        return _redirect(ctx, ctx.url("home"), note=note)
    return _redirect(ctx, ctx.url("idea", number=idea.number), note=note)


@require_POST
def vote(request: HttpRequest, org_slug: str, number: int) -> HttpResponse:
    """Vote for an idea, or take the vote back; unverified visitors say who they are first."""
    ctx = _load(request, org_slug)
    if (gate := _gate(ctx)) is not None:
        return gate
    idea = _open_idea(ctx, number)
    with translation.override(ctx.language):
        form = IdentifyForm(request.POST, need_identity=ctx.visitor is None)
        valid = form.is_valid()
    if form.is_bot():
        return _check_email_sent(ctx, str(request.POST.get("email", "")))
    try:
        limits.check_ip_write(organization_id=ctx.portal.organization_id, ip=_client_ip(request))
    except limits.RateLimited as exc:
        return _limited(ctx, exc)
    if ctx.visitor is not None:
        try:
            with translation.override(ctx.language):
                now_voted = services.idea_vote_toggle(
                    portal=ctx.portal, idea=idea, visitor=ctx.visitor
                )
        except limits.RateLimited as exc:
            return _limited(ctx, exc)
        except DomainError as exc:
            return _message(ctx, _("Your vote was not counted"), exc.message, status=400)
        return _back(ctx, idea, "voted" if now_voted else "unvoted")
    if "email" in request.POST and valid:
        with translation.override(ctx.language):
            done = _start_confirmation(ctx, form, {"kind": "vote", "idea": str(idea.pk)})
        if done is not None:
            return done
    elif "email" not in request.POST:
        form = IdentifyForm(need_identity=True)
    return _render(
        ctx,
        "initiatives/portal/identify.html",
        {"form": form, "idea": idea},
        status=400 if form.errors else 200,
    )


@require_POST
def comment(request: HttpRequest, org_slug: str, number: int) -> HttpResponse:
    """Comment on an idea (with a name and email to confirm the first time)."""
    ctx = _load(request, org_slug)
    if (gate := _gate(ctx)) is not None:
        return gate
    idea = _open_idea(ctx, number)
    with translation.override(ctx.language):
        form = CommentForm(request.POST, need_identity=ctx.visitor is None, auto_id="c_%s")
        valid = form.is_valid()
    if form.is_bot():
        return _check_email_sent(ctx, str(request.POST.get("email", "")))
    try:
        limits.check_ip_write(organization_id=ctx.portal.organization_id, ip=_client_ip(request))
    except limits.RateLimited as exc:
        return _limited(ctx, exc)
    if valid:
        body = form.cleaned_data["body"]
        with translation.override(ctx.language):
            if ctx.visitor is None:
                done = _start_confirmation(
                    ctx, form, {"kind": "comment", "idea": str(idea.pk), "body": body}
                )
                if done is not None:
                    return done
            else:
                try:
                    row = services.comment_add(
                        portal=ctx.portal, idea=idea, visitor=ctx.visitor, body=body
                    )
                except limits.RateLimited as exc:
                    return _limited(ctx, exc)
                except DomainError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    return _back(ctx, idea, "commented" if row.approved else "comment_pending")
    return _render(
        ctx, "initiatives/portal/idea.html", _idea_context(ctx, idea, comment_form=form), status=400
    )


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    """The emailed link: a page with one button (so mail scanners that open links do nothing),
    which confirms the address, signs the visitor in and does what they asked."""
    ctx = _load(request, org_slug)
    visitor = services.confirmation_visitor(portal=ctx.portal, token=token)
    with translation.override(ctx.language):
        expired_title = _("This link has expired")
        expired = _("The link works for 48 hours and only once. Please try again from the portal.")
    if visitor is None:
        return _message(ctx, expired_title, expired, status=404)
    if request.method != "POST":
        return _render(
            ctx,
            "initiatives/portal/confirm.html",
            {"pending": visitor.pending_action, "email": visitor.email},
        )
    try:
        with translation.override(ctx.language):
            result = services.visitor_confirm(portal=ctx.portal, token=token)
    except DomainError:
        return _message(ctx, expired_title, expired, status=404)
    ctx.visitor = result.visitor
    ctx.new_session = result.session_token
    if result.error:
        with translation.override(ctx.language):
            title = _("Your email is confirmed")
        return _message(ctx, title, result.error, status=200)
    idea = result.idea
    if idea is None:
        return _redirect(ctx, ctx.url("home"), note="signed_in")
    note = {"vote": "voted", "comment": "commented"}.get(result.kind, "proposed")
    if result.kind == "idea" and idea.status == IdeaStatus.PENDING:
        note = "pending"
    if result.kind == "comment" and ctx.portal.moderate_comments:
        note = "comment_pending"
    return _redirect(ctx, ctx.url("idea", number=idea.number), note=note)


@require_http_methods(["GET", "HEAD", "POST"])
def signin(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Sign in by email (a link), for a members-only portal or to see one's own ideas."""
    ctx = _load(request, org_slug)
    members_only = not selectors.may_read(ctx.portal, ctx.visitor)
    if request.method != "POST":
        return _render(
            ctx,
            "initiatives/portal/signin.html",
            {"form": SigninForm(), "members_only": members_only},
        )
    with translation.override(ctx.language):
        form = SigninForm(request.POST)
        valid = form.is_valid()
    if form.is_bot():
        return _check_email_sent(ctx, str(request.POST.get("email", "")))
    try:
        limits.check_ip_write(organization_id=ctx.portal.organization_id, ip=_client_ip(request))
    except limits.RateLimited as exc:
        return _limited(ctx, exc)
    if valid:
        email = form.cleaned_data["email"]
        try:
            with translation.override(ctx.language):
                services.visitor_request_confirmation(
                    portal=ctx.portal, email=email, name="", language=ctx.language,
                    action={"kind": "signin"}, ip=_client_ip(request),
                )  # fmt: skip
        except limits.RateLimited as exc:
            return _limited(ctx, exc)
        except DomainError as exc:
            form.add_error("email", exc.message)
        else:
            if members_only:
                with translation.override(ctx.language):
                    return _message(
                        ctx,
                        _("Check your email"),
                        _(
                            "If %(email)s belongs to a customer of %(org)s, a sign-in link "
                            "is on its way. It works for 48 hours."
                        )
                        % {"email": email, "org": ctx.portal.organization.name},
                    )
            return _check_email_sent(ctx, email)
    return _render(
        ctx,
        "initiatives/portal/signin.html",
        {"form": form, "members_only": members_only},
        status=400,
    )


@require_POST
def signout(request: HttpRequest, org_slug: str) -> HttpResponse:
    ctx = _load(request, org_slug)
    if ctx.visitor is not None:
        services.visitor_session_end(visitor=ctx.visitor)
    response = _redirect(ctx, ctx.url("home"), note="signed_out")
    response.delete_cookie(SESSION_COOKIE, path=_cookie_path(ctx.slug))
    return response


@csrf_exempt  # RFC 8058 one-click unsubscribe: the mail client POSTs without a form token
@require_http_methods(["GET", "HEAD", "POST"])
def updates_off(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    """Stop emails about ideas (the link in every update email)."""
    ctx = _load(request, org_slug)
    visitor = visitor_from_updates_off_token(token)
    if visitor is None or visitor.organization_id != ctx.portal.organization_id:
        raise Http404
    if request.method == "POST":
        services.visitor_updates_off(visitor=visitor)
        with translation.override(ctx.language):
            return _message(
                ctx,
                _("No more emails about ideas"),
                _("We will not email %(email)s about ideas any more.") % {"email": visitor.email},
            )
    return _render(ctx, "initiatives/portal/updates_off.html", {"email": visitor.email})
