"""Theme pages (/o/<org>/text/themes/): the theme set with counts, sentiment, trend and NPS
impact; one theme with its summary and the words typical of detractors and promoters; adding
and editing themes; proposals from clusters (accept, rename, merge, reject)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from closeloop.accounts.access import access_object, org_view
from closeloop.analytics.views_drivers import PLOTLY_VERSION
from closeloop.core.crud import form_error, form_errors_text
from closeloop.core.errors import DomainError
from closeloop.text import explorer, impact, proposals, services, summaries
from closeloop.text.choices import Sentiment, ThemeStatus
from closeloop.text.forms import (
    DAY_CHOICES,
    AcceptForm,
    MergeForm,
    ThemeForm,
    language_name,
)
from closeloop.text.models import Comment, Theme
from closeloop.text.views.common import EDIT, READ, can, days_of, org_of, ui_language, user_of

CHART_THEMES = 6
PROPOSAL_EXAMPLES = 3
SENTIMENT_COLORS: dict[str, str] = {
    Sentiment.POSITIVE: "#1f7a4d",
    Sentiment.NEUTRAL: "#9aa5a8",
    Sentiment.MIXED: "#d9a400",
    Sentiment.NEGATIVE: "#b42318",
}


def _theme(request: HttpRequest, theme_id: uuid.UUID) -> Theme:
    return access_object(Theme.objects.all(), organization=org_of(request), pk=theme_id)


def _themes_url(request: HttpRequest) -> str:
    return reverse("text:themes", kwargs={"org_slug": org_of(request).slug})


def _row(item: impact.ThemeImpact, language: str) -> dict[str, Any]:
    return {
        "item": item,
        "name": item.theme.name_in(language),
        "shares": [
            {"key": key, "label": label, "n": n, "pct": pct, "color": SENTIMENT_COLORS[key]}
            for key, label, n, pct in item.sentiment_shares()
        ],
    }


def _proposals(request: HttpRequest, language: str) -> list[dict[str, Any]]:
    org = org_of(request)
    proposed = list(
        Theme.objects.filter(organization=org, status=ThemeStatus.PROPOSED).order_by("-created_at")
    )
    ids: list[str] = []
    for theme in proposed:
        ids.extend(
            str(i) for i in (theme.proposal or {}).get("comment_ids", [])[:PROPOSAL_EXAMPLES]
        )
    valid = [i for i in ids if _is_uuid(i)]
    texts = dict(Comment.objects.filter(organization=org, pk__in=valid).values_list("pk", "text"))
    rows = []
    for theme in proposed:
        proposal = theme.proposal or {}
        examples = [
            texts[uuid.UUID(i)]
            for i in (str(x) for x in proposal.get("comment_ids", [])[:PROPOSAL_EXAMPLES])
            if _is_uuid(i) and uuid.UUID(i) in texts
        ]
        if not examples:
            for values in (theme.examples or {}).values():
                examples.extend(values[: PROPOSAL_EXAMPLES - len(examples)])
        rows.append(
            {
                "theme": theme,
                "name": theme.name_in(language),
                "size": proposal.get("size") or len(proposal.get("comment_ids", [])),
                "language": language_name(str(proposal.get("language") or "")),
                "keywords": [w for words in (theme.keywords or {}).values() for w in words][:8],
                "examples": examples[:PROPOSAL_EXAMPLES],
                "accept": AcceptForm(initial={"name": theme.name_in(language)}),
                "merge": MergeForm(organization=org, exclude=theme, language=language),
            }
        )
    return rows


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@org_view(read=READ)
@require_safe
def theme_list(request: HttpRequest) -> HttpResponse:
    """The theme set: mentions, sentiment, NPS impact ranked by promoters lost, and trends."""
    org = org_of(request)
    language = ui_language(request)
    days = days_of(request)
    period = impact.Period.last_days(days)
    report = impact.theme_impacts(organization=org, period=period)
    top = [i.theme for i in sorted(report.themes, key=lambda i: -i.mentions) if i.mentions][
        :CHART_THEMES
    ]
    weeks, series = impact.themes_trend(organization=org, themes=top, period=period)
    chart = {
        "weeks": [w.isoformat() for w in weeks],
        "series": [{"name": t.name_in(language), "counts": series[t.pk]} for t in top],
        "y_title": _("Mentions per week"),
    }
    context = {
        "report": report,
        "rows": [_row(item, language) for item in report.themes],
        "sentence": impact.costliest_sentence(report, language=language),
        "days": days,
        "day_choices": DAY_CHOICES,
        "chart": chart if weeks else None,
        "plotly_version": PLOTLY_VERSION,
        "proposals": _proposals(request, language),
        "can_edit": can(request, EDIT),
    }
    return render(request, "text/themes.html", context)


@org_view(read=READ)
@require_safe
def theme_detail(request: HttpRequest, theme_id: uuid.UUID) -> HttpResponse:
    """One theme: figures, weekly trend by sentiment, summary, words of detractors/promoters."""
    org = org_of(request)
    theme = _theme(request, theme_id)
    language = ui_language(request)
    days = days_of(request)
    period = impact.Period.last_days(days)
    figures = impact.theme_impact(organization=org, theme=theme, period=period)
    trend = impact.theme_trend(organization=org, theme=theme, period=period)
    languages = explorer.comment_languages(organization=org, theme=theme)
    terms_language = request.GET.get("lang") or (
        language if language in languages else (languages[0] if languages else language)
    )
    terms = explorer.typical_terms(organization=org, theme=theme, language=terms_language)
    chart = {
        "weeks": [row.week.isoformat() for row in trend],
        "series": [
            {
                "name": str(s.label),
                "color": SENTIMENT_COLORS[s],
                "counts": [row.counts.get(s, 0) for row in trend],
            }
            for s in impact.SENTIMENTS
        ],
        "y_title": _("Mentions per week"),
        "stacked": True,
    }
    context = {
        "theme": theme,
        "name": theme.name_in(language),
        "row": _row(figures, language),
        "days": days,
        "day_choices": DAY_CHOICES,
        "chart": chart if trend else None,
        "plotly_version": PLOTLY_VERSION,
        "terms": terms,
        "terms_language": terms_language,
        "term_languages": [(code, language_name(code)) for code in languages],
        "extractive": [
            (language_name(group.language) if group.language else "", group)
            for group in summaries.extractive_summary(theme=theme, language=language)
        ],
        "provider": summaries.provider_configured(),
        "provider_summary": summaries.cached_provider_summary(theme=theme, language=language),
        "can_edit": can(request, EDIT),
        "merge_form": MergeForm(organization=org, exclude=theme, language=language),
        "explorer_url": reverse("text:comments", kwargs={"org_slug": org.slug})
        + f"?theme={theme.pk}",
        "language_name": language_name,
    }
    return render(request, "text/theme_detail.html", context)


@org_view(read=EDIT, write=EDIT)
def theme_new(request: HttpRequest) -> HttpResponse:
    """Add a theme: its key, and names, keywords and examples per language."""
    org = org_of(request)
    form = ThemeForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            theme = services.theme_create(
                organization=org,
                key=form.cleaned_data["key"],
                actor=user_of(request),
                **form.values(),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("Theme “%(name)s” added. Comments are being sorted into it again.")
                % {"name": theme.name_in(ui_language(request))},
            )
            return redirect("text:theme", org.slug, theme.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "text/theme_form.html", {"form": form, "theme": None}, status=status)


@org_view(read=EDIT, write=EDIT)
def theme_edit(request: HttpRequest, theme_id: uuid.UUID) -> HttpResponse:
    """Edit a theme's names, keywords and examples per language."""
    org = org_of(request)
    theme = _theme(request, theme_id)
    form = ThemeForm(request.POST or None, organization=org, theme=theme)
    if request.method == "POST" and form.is_valid():
        try:
            theme = services.theme_update(theme=theme, actor=user_of(request), **form.values())
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("Theme saved. Comments are being sorted again with the new keywords."),
            )
            return redirect("text:theme", org.slug, theme.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "text/theme_form.html", {"form": form, "theme": theme}, status=status)


@org_view(read=READ, write=EDIT)
@require_POST
def theme_propose_view(request: HttpRequest) -> HttpResponse:
    """Look for new themes among the comments no theme took."""
    try:
        proposed = proposals.themes_propose(organization=org_of(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if proposed:
            messages.success(
                request,
                _("%(n)s new themes proposed: accept, rename, merge or reject them below.")
                % {"n": len(proposed)},
            )
        else:
            messages.info(
                request,
                _("No new themes found: too few comments that no theme took, or no clear groups."),
            )
    return redirect(_themes_url(request) + "#proposals")


@org_view(read=READ, write=EDIT)
@require_POST
def theme_accept_view(request: HttpRequest, theme_id: uuid.UUID) -> HttpResponse:
    """Accept a proposed theme, optionally renamed."""
    theme = _theme(request, theme_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_themes_url(request) + "#proposals")
    try:
        name = form.cleaned_data["name"].strip()
        theme = services.theme_accept(
            theme=theme,
            names={ui_language(request): name} if name else None,
            actor=user_of(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_themes_url(request) + "#proposals")
    messages.success(
        request, _("Theme “%(name)s” added.") % {"name": theme.name_in(ui_language(request))}
    )
    return redirect("text:theme", org_of(request).slug, theme.pk)


@org_view(read=READ, write=EDIT)
@require_POST
def theme_merge_view(request: HttpRequest, theme_id: uuid.UUID) -> HttpResponse:
    """Merge a theme or a proposal into another theme."""
    org = org_of(request)
    theme = _theme(request, theme_id)
    form = MergeForm(request.POST, organization=org, exclude=theme, language=ui_language(request))
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_themes_url(request))
    target = form.target()
    try:
        services.theme_merge(theme=theme, into=target, actor=user_of(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_themes_url(request))
    messages.success(
        request,
        _("Merged into “%(name)s”.") % {"name": target.name_in(ui_language(request))},
    )
    return redirect("text:theme", org.slug, target.pk)


@org_view(read=READ, write=EDIT)
@require_POST
def theme_reject_view(request: HttpRequest, theme_id: uuid.UUID) -> HttpResponse:
    """Reject a proposed theme (it is not proposed again)."""
    theme = _theme(request, theme_id)
    try:
        services.theme_reject(theme=theme, actor=user_of(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Proposal rejected."))
    return redirect(_themes_url(request) + "#proposals")


@org_view(read=READ, write=READ)
@require_POST
def theme_summary_view(request: HttpRequest, theme_id: uuid.UUID) -> HttpResponse:
    """Ask the configured provider for a summary of the theme's comments (cached a day)."""
    org = org_of(request)
    theme = _theme(request, theme_id)
    try:
        summaries.provider_summary(organization=org, theme=theme, language=ui_language(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("text:theme", args=[org.slug, theme.pk]) + "#summary")
