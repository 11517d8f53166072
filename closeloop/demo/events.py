"""Demo event-triggered surveys for Seoul Bean Roasters: three trigger rules and about forty
business events from the last 30 days, with a mix of outcomes (invitations scheduled, stopped by
the frequency rules, sampled out, conditions not met, no rule for the type).

Keyed by rule name and event id, so running the demo again duplicates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Organization
from closeloop.contacts.models import Contact
from closeloop.demo.journey import _definition, _t
from closeloop.distribution.events_services import (
    _sampled_in,
    event_ingest,
    trigger_rule_create,
)
from closeloop.distribution.models import Event, Touchpoint, TriggerRule
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create, survey_publish

SURVEYS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "Post-purchase (CSAT)": (
        "csat",
        _t("Your order", "주문하신 상품"),
        _t("How satisfied are you with your order?", "주문하신 상품에 만족하시나요?"),
    ),
    "Support ticket (CES)": (
        "ces",
        _t("Your support request", "고객 지원 요청"),
        _t("We made it easy to solve my problem.", "문제를 쉽게 해결할 수 있었습니다."),
    ),
    "Delivery (NPS)": (
        "nps",
        _t("Your delivery", "배송"),
        _t(
            "After this delivery, how likely are you to recommend us?",
            "이번 배송 후, 저희를 추천하실 가능성은 얼마나 되나요?",
        ),
    ),
}

# name -> (event type, survey, touchpoint key, delay minutes, sampling %, conditions)
RULES: list[tuple[str, str, str, str, int, int, dict[str, Any]]] = [
    ("Purchase → post-purchase CSAT after 2 days", "purchase", "Post-purchase (CSAT)",
     "purchase", 2 * 24 * 60, 100, {}),
    ("Support ticket closed → CES survey after 1 hour (80% sampled)", "support_ticket_closed",
     "Support ticket (CES)", "support-call", 60, 80, {}),
    ("Delivery → delivery NPS (only orders over 30,000 KRW)", "delivery", "Delivery (NPS)",
     "delivery", 24 * 60, 100,
     {"match": "all", "rules": [{"field": "properties.order_total", "op": "gt", "value": 30000}]}),
]  # fmt: skip

FALLBACK_PEOPLE = [
    ("seoyeon.han@example.kr", "서연", "ko"),
    ("daniel.cho@example.com", "Daniel", "en"),
    ("haeun.lim@example.kr", "하은", "ko"),
    ("minho.kang@example.kr", "민호", "ko"),
    ("sarah.lee@example.com", "Sarah", "en"),
    ("yuna.seo@example.kr", "유나", "ko"),
]
PRODUCTS = ["Ethiopia Yirgacheffe 500g", "House blend 1kg", "Drip bags x20", "Colombia Huila 250g"]
TOPICS = ["late delivery", "billing", "grinder settings", "subscription change", "damaged box"]


def _survey(org: Organization, name: str) -> Survey:
    existing = Survey.objects.filter(organization=org, name=name).first()
    if existing is not None:
        return existing
    qtype, title, question = SURVEYS[name]
    survey = survey_create(
        organization=org, actor=None, name=name, definition=_definition(qtype, title, question)
    )
    survey_publish(survey=survey, actor=None)
    survey.refresh_from_db()
    return survey


def _rules(org: Organization) -> None:
    touchpoints = {t.key: t for t in Touchpoint.objects.filter(organization=org)}
    for name, event_type, survey, touchpoint, delay, percent, conditions in RULES:
        if TriggerRule.objects.filter(organization=org, name=name).exists():
            continue
        trigger_rule_create(
            organization=org,
            actor=None,
            data={
                "name": name,
                "event_type": event_type,
                "survey": _survey(org, survey),
                "touchpoint": touchpoints.get(touchpoint),
                "delay_minutes": delay,
                "sample_percent": percent,
                "conditions": conditions,
            },
        )


def _people(org: Organization) -> list[dict[str, Any]]:
    """Demo contacts who may be emailed, else a few made up here."""
    contacts = list(
        Contact.objects.filter(
            organization=org, email__isnull=False, unsubscribed_at__isnull=True
        ).order_by("created_at")[:12]
    )
    if len(contacts) >= 6:
        return [{"email": c.email} for c in contacts]
    return [
        {"email": email, "first_name": first, "language": lang}
        for email, first, lang in FALLBACK_PEOPLE
    ]


def _events(people: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    rng = random.Random(44)
    events: list[dict[str, Any]] = []

    def add(kind: str, person: dict[str, Any], days_ago: float, props: dict[str, Any]) -> None:
        events.append(
            {
                "id": f"demo-evt-{len(events) + 1:03d}",
                "type": kind,
                "contact": person,
                "time": now - dt.timedelta(days=days_ago),
                "properties": props,
            }
        )

    for i in range(14):  # repeat buyers meet the 30-day frequency rule
        person = people[i % min(len(people), 8)]
        add("purchase", person, 29 - i * 2.1, {
            "order_id": f"SB-{24100 + i}", "product": rng.choice(PRODUCTS),
            "order_total": rng.choice([18000, 32000, 45500, 27000, 61000]), "currency": "KRW",
        })  # fmt: skip
    for i in range(11):  # 80% sampled; some are people already asked this month
        person = people[(i * 3 + 1) % len(people)]
        add("support_ticket_closed", person, 27 - i * 2.4, {
            "ticket_id": f"T-{5300 + i}", "topic": rng.choice(TOPICS),
            "channel": rng.choice(["phone", "email", "chat"]),
        })  # fmt: skip
    for i in range(10):  # only orders over 30,000 KRW
        person = people[(i * 5 + 2) % len(people)]
        add("delivery", person, 26 - i * 2.5, {
            "order_id": f"SB-{24300 + i}",
            "order_total": [18000, 42000, 29500, 55000, 31000][i % 5],
            "courier": rng.choice(["CJ Logistics", "Hanjin", "Lotte"]),
        })  # fmt: skip
    for i in range(5):  # events nobody listens for
        person = people[(i * 7) % len(people)]
        kind = ["newsletter_signup", "cart_abandoned", "newsletter_signup", "wishlist_add",
                "cart_abandoned"][i]  # fmt: skip
        add(kind, person, 20 - i * 3.7, {"source": rng.choice(["web", "app"])})
    events.sort(key=lambda e: e["time"])
    return events


def _show_sampling(org: Organization, events: list[dict[str, Any]]) -> None:
    """Give a few support tickets ids that the 80% sample leaves out, so the log shows it
    (sampling is decided by the event id, so the demo stays the same when run again)."""
    rule = TriggerRule.objects.filter(organization=org, event_type="support_ticket_closed").first()
    if rule is None:
        return
    tickets = [e for e in events if e["type"] == "support_ticket_closed"]
    for event in tickets[2:9:4]:
        for attempt in range(100):
            candidate = f"{event['id']}-{attempt}"
            if not _sampled_in(rule, Event(event_id=candidate)):
                event["id"] = candidate
                break


def seed_events(org: Organization) -> None:
    """Trigger rules and about forty events of the last 30 days, run through the real ingest."""
    _rules(org)
    now = timezone.now()
    events = _events(_people(org), now)
    _show_sampling(org, events)
    for event in events:
        event_ingest(
            organization=org,
            contact=event["contact"],
            event_type=event["type"],
            properties=event["properties"],
            occurred_at=event["time"],
            event_id=event["id"],
            now=now,
        )


def seed_demo_events() -> None:
    """The events step of the demo: Seoul Bean Roasters only."""
    from closeloop.demo.seed import SEOUL_SLUG

    org = Organization.objects.filter(slug=SEOUL_SLUG).first()
    if org is not None:
        seed_events(org)
