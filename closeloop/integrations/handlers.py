"""Domain events -> outbound webhooks: each subscribed event is sent to the endpoints of the
organization that chose it, with the ids and the useful fields (imported from apps.ready)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from closeloop.accounts.models import Organization
from closeloop.core import events
from closeloop.integrations.notify import webhooks_dispatch
from closeloop.integrations.webhooks import endpoints_for_event

logger = logging.getLogger("closeloop.webhooks")


def _org(organization_id: Any, event: str) -> Organization | None:
    """The organization, only if it has an endpoint for the event (one cheap query otherwise)."""
    if not organization_id or not endpoints_for_event(organization_id=organization_id, event=event):
        return None
    return Organization.objects.filter(pk=organization_id).first()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def response_data(response_id: str) -> dict[str, Any] | None:
    """The webhook data of a completed response: ids, survey, channel, language, scores, answers."""
    from closeloop.responses.models import AnswerFact, Response

    response = Response.objects.select_related("survey").filter(pk=response_id).first()
    if response is None:
        return None
    scores: dict[str, float | None] = {
        f.question_type: f.number
        for f in AnswerFact.objects.filter(
            response=response, question_type__in=["nps", "csat", "ces"], number__isnull=False
        ).order_by("-id")
    }
    return {
        "response_id": str(response.pk),
        "survey_id": str(response.survey_id),
        "survey_name": response.survey.name,
        "contact_id": str(response.contact_id) if response.contact_id else None,
        "channel": response.channel,
        "language": response.language,
        "touchpoint_id": str(response.touchpoint_id) if response.touchpoint_id else None,
        "completed_at": _iso(response.completed_at),
        "nps": int(nps) if (nps := scores.get("nps")) is not None else None,
        "csat": scores.get("csat"),
        "ces": scores.get("ces"),
        "answers": response.answers,
        "hidden": response.hidden,
    }


def started_data(response_id: str) -> dict[str, Any] | None:
    """The webhook data of a started response: ids, survey, channel, language, when."""
    from closeloop.responses.models import Response

    response = Response.objects.select_related("survey").filter(pk=response_id).first()
    if response is None:
        return None
    return {
        "response_id": str(response.pk),
        "survey_id": str(response.survey_id),
        "survey_name": response.survey.name,
        "contact_id": str(response.contact_id) if response.contact_id else None,
        "channel": response.channel,
        "language": response.language,
        "touchpoint_id": str(response.touchpoint_id) if response.touchpoint_id else None,
        "started_at": _iso(response.started_at),
    }


def survey_data(survey_id: str, version: Any) -> dict[str, Any] | None:
    """The webhook data of a published survey: id, name, kind, the version and when."""
    from closeloop.surveys.models import Survey, SurveyVersion

    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return None
    published = SurveyVersion.objects.filter(survey=survey, number=version).first()
    return {
        "survey_id": str(survey.pk),
        "name": survey.name,
        "kind": survey.kind,
        "version": version,
        "published_at": _iso(published.published_at) if published is not None else None,
    }


def case_data(case_id: str) -> dict[str, Any] | None:
    """The webhook data of a case (read defensively: the cases app grows independently)."""
    try:
        from closeloop.cases.models import Case  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - the cases app is not installed
        return None
    case: Any = Case.objects.filter(pk=case_id).first()
    if case is None:
        return None
    data: dict[str, Any] = {"case_id": str(case.pk)}
    for name in ("title", "status", "priority", "root_cause_id", "resolution_note"):
        if hasattr(case, name):
            value = getattr(case, name)
            data[name] = str(value) if value is not None and name.endswith("_id") else value
    for name in ("team", "assignee", "response", "contact"):
        fk = getattr(case, f"{name}_id", None)
        data[f"{name}_id"] = str(fk) if fk else None
    for name in ("created_at", "first_response_due_at", "resolution_due_at", "resolved_at"):
        if hasattr(case, name):
            data[name] = _iso(getattr(case, name))
    return data


def _response_event(event: str, payload: dict[str, Any]) -> None:
    org = _org(payload.get("organization_id"), event)
    if org is None:
        return
    data = response_data(str(payload["response_id"]))
    if data is not None:
        webhooks_dispatch(
            organization=org,
            event=event,
            payload=data,
            idempotency_key=f"{event}:{payload['response_id']}",
        )


@events.on("response.completed")
def on_response_completed(**payload: Any) -> None:
    _response_event("response.completed", payload)


@events.on("response.imported")
def on_response_imported(**payload: Any) -> None:
    """A past response (a historical import): the same data as response.completed."""
    _response_event("response.imported", payload)


@events.on("response.started")
def on_response_started(**payload: Any) -> None:
    org = _org(payload.get("organization_id"), "response.started")
    if org is None:
        return
    data = started_data(str(payload["response_id"]))
    if data is not None:
        webhooks_dispatch(
            organization=org,
            event="response.started",
            payload=data,
            idempotency_key=f"response.started:{payload['response_id']}",
        )


@events.on("survey.published")
def on_survey_published(**payload: Any) -> None:
    org = _org(payload.get("organization_id"), "survey.published")
    if org is None:
        return
    data = survey_data(str(payload["survey_id"]), payload.get("version"))
    if data is not None:
        webhooks_dispatch(
            organization=org,
            event="survey.published",
            payload=data,
            idempotency_key=f"survey.published:{payload['survey_id']}:{payload.get('version')}",
        )


def _case_event(event: str, payload: dict[str, Any]) -> None:
    org = _org(payload.get("organization_id"), event)
    if org is None or not payload.get("case_id"):
        return
    data = case_data(str(payload["case_id"])) or {"case_id": str(payload["case_id"])}
    extra = {
        k: v for k, v in payload.items() if k not in ("organization_id", "case_id", "event_id")
    }
    data.update(extra)
    # Handlers run once per emitted event (after commit), so each call is a new event: two
    # identical changes of a case are two webhooks, not one.
    key = payload.get("event_id") or uuid.uuid4().hex
    webhooks_dispatch(organization=org, event=event, payload=data, idempotency_key=f"{event}:{key}")


@events.on("case.created")
def on_case_created(**payload: Any) -> None:
    _case_event("case.created", payload)


@events.on("case.changed")
def on_case_changed(**payload: Any) -> None:
    _case_event("case.changed", payload)


@events.on("case.resolved")
def on_case_resolved(**payload: Any) -> None:
    _case_event("case.resolved", payload)


@events.on("case.reopened")
def on_case_reopened(**payload: Any) -> None:
    _case_event("case.reopened", payload)


@events.on("case.sla_breached")
def on_case_sla_breached(**payload: Any) -> None:
    _case_event("case.sla_breached", payload)


@events.on("contact.unsubscribed")
def on_contact_unsubscribed(**payload: Any) -> None:
    org = _org(payload.get("organization_id"), "contact.unsubscribed")
    if org is None:
        return
    from closeloop.contacts.models import Contact

    contact = Contact.objects.filter(pk=payload["contact_id"], organization=org).first()
    data: dict[str, Any] = {
        "contact_id": str(payload["contact_id"]),
        "via": payload.get("via", ""),
        "email": contact.email if contact is not None else None,
        "external_id": contact.external_id if contact is not None else None,
        "unsubscribed_at": _iso(contact.unsubscribed_at) if contact is not None else None,
        "reason": contact.unsubscribe_reason if contact is not None else "",
    }
    webhooks_dispatch(
        organization=org,
        event="contact.unsubscribed",
        payload=data,
        idempotency_key=f"contact.unsubscribed:{payload['contact_id']}:{data['unsubscribed_at']}",
    )


@events.on("comment.enriched")
def on_comment_enriched(**payload: Any) -> None:
    """A comment's first enrichment: its language, sentiment and themes, for a helpdesk or BI."""
    org = _org(payload.get("organization_id"), "comment.enriched")
    if org is None:
        return
    from closeloop.text.models import Comment

    comment = Comment.objects.filter(pk=payload["comment_id"], organization=org).first()
    if comment is None:
        return
    data: dict[str, Any] = {
        "comment_id": str(comment.pk),
        "response_id": str(comment.response_id) if comment.response_id else None,
        "contact_id": str(comment.contact_id) if comment.contact_id else None,
        "source": comment.source,
        "text": comment.text,
        "language": comment.language,
        "sentiment": comment.sentiment,
        "sentiment_score": comment.sentiment_score,
        "themes": list(payload.get("themes") or []),
        "answered_at": _iso(comment.answered_at),
    }
    webhooks_dispatch(
        organization=org,
        event="comment.enriched",
        payload=data,
        idempotency_key=f"comment.enriched:{comment.pk}",
    )


@events.on("initiative.status_changed")
def on_initiative_status_changed(**payload: Any) -> None:
    """An initiative moved (proposed, planned, in progress, shipped, measured, dropped)."""
    org = _org(payload.get("organization_id"), "initiative.status_changed")
    if org is None:
        return
    data = {k: v for k, v in payload.items() if k not in ("event_id", "organization_id")}
    webhooks_dispatch(
        organization=org, event="initiative.status_changed", payload=data,
        idempotency_key=f"initiative.status_changed:{payload.get('event_id') or uuid.uuid4().hex}",
    )  # fmt: skip
