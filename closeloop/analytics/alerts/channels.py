"""Telling people about an alert: an email to each recipient in their own language, a Slack or
Teams message, a signed webhook. Only outbox rows are added (through integrations.notify),
keyed by the alert event, so a second call for the same event sends nothing twice."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.analytics.alerts.describe import (
    event_figures,
    event_sentence,
    event_title,
    rule_scope,
    rule_summary,
)
from closeloop.analytics.alerts.selectors import alert_recipients
from closeloop.analytics.models import AlertEvent
from closeloop.core.errors import DomainError

logger = logging.getLogger("closeloop.analytics")

RELATED_ALERT = "analytics_alert"


def alert_events_url(event: AlertEvent) -> str:
    path = reverse("analytics:alert_events", args=[event.rule.organization.slug])
    return f"{settings.BASE_URL.rstrip('/')}{path}?rule={event.rule_id}"


def alert_payload(event: AlertEvent) -> dict[str, Any]:
    """The body of the signed webhook (figures as stored, plus the sentence in the org's
    default language)."""
    rule = event.rule
    return {
        "type": "analytics.alert",
        "timestamp": timezone.now().isoformat(),
        "data": {
            "alert_event_id": str(event.pk),
            "rule": {"id": str(rule.pk), "name": rule.name, "kind": rule.kind},
            "period_start": event.period_start.isoformat(),
            "period_end": event.period_end.isoformat(),
            "figures": event.data,
            "sentence": event_sentence(event),
            "url": alert_events_url(event),
        },
    }


def _emails(event: AlertEvent) -> dict[str, Any]:
    from closeloop.integrations.notify import notify_email

    rule, org = event.rule, event.rule.organization
    users = alert_recipients(rule)
    for user in users:
        language = user.language or org.default_language
        with translation.override(language):
            context = {
                "event": event,
                "rule": rule,
                "organization": org,
                "title": event_title(event),
                "sentence": event_sentence(event),
                "summary": rule_summary(rule),
                "scope": rule_scope(rule),
                "figures": event_figures(event),
                "url": alert_events_url(event),
                "language": language,
            }
            subject = _("Alert: %(title)s") % {"title": context["title"]}
            text = render_to_string("analytics/email/alert.txt", context)
            html = render_to_string("analytics/email/alert.html", context)
        notify_email(
            organization=org,
            to=[user.email],
            subject=subject,
            text=text,
            html=html,
            idempotency_key=f"alert:{event.pk}",
            language=language,
            related_type=RELATED_ALERT,
            related_id=str(event.pk),
        )
    return {"channel": "email", "to": len(users)}


def _chat(event: AlertEvent, kind: str, url: str) -> dict[str, Any]:
    from closeloop.integrations import notify

    rule = event.rule
    send = notify.notify_slack if kind == "slack" else notify.notify_teams
    fields = {label: value for label, value in event_figures(event)}
    try:
        send(
            organization=rule.organization,
            webhook_url=url,
            title=event_title(event),
            text=event_sentence(event),
            fields=fields,
            link=alert_events_url(event),
            idempotency_key=f"alert:{event.pk}:{kind}",
        )
    except DomainError as exc:  # the URL became unacceptable (e.g. now resolves privately)
        return {"channel": kind, "error": exc.message}
    return {"channel": kind}


def _webhook(event: AlertEvent) -> dict[str, Any]:
    from closeloop.integrations.notify import webhook_post

    rule = event.rule
    try:
        webhook_post(
            organization=rule.organization,
            url=rule.webhook_url,
            payload=alert_payload(event),
            secret=rule.webhook_secret or None,
            idempotency_key=f"alert:{event.pk}:webhook",
        )
    except DomainError as exc:
        return {"channel": "webhook", "error": exc.message}
    return {"channel": "webhook"}


def alert_event_notify(event: AlertEvent) -> list[dict[str, Any]]:
    """Queue the alert on every channel of its rule; returns what was queued per channel."""
    rule = event.rule
    queued = [_emails(event)]
    with translation.override(rule.organization.default_language):
        if rule.slack_webhook_url:
            queued.append(_chat(event, "slack", rule.slack_webhook_url))
        if rule.teams_webhook_url:
            queued.append(_chat(event, "teams", rule.teams_webhook_url))
        if rule.webhook_url:
            queued.append(_webhook(event))
    return queued
