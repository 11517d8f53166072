"""Demo automation: the default rules in both demo organizations (review links for everyone,
cases for detractors and unhappy CSAT), plus Seoul Bean Roasters' own rules (promoters to
Marketing, delivery complaints in three languages to Support, Korean detractors to the Client
success lead, an inactive Slack rule), and run logs from the demo's responses.

Keyed by rule name and by (rule, response) runs, so running the demo again duplicates nothing.
"""

from __future__ import annotations

from typing import Any

from closeloop.accounts.models import Organization, Team
from closeloop.automation.context import context_for_response
from closeloop.automation.engine import active_rules, rules_run
from closeloop.automation.models import Rule
from closeloop.automation.services import automation_ensure_defaults, rule_create
from closeloop.responses.choices import ResponseStatus
from closeloop.responses.models import Response

# How many of the latest demo responses the rules are run for (each may open a case).
RUN_LOG_RESPONSES = 200


def _team(org: Organization, slug: str) -> str:
    return str(Team.objects.get(organization=org, slug=slug).pk)


def _seoul_rules(org: Organization) -> list[dict[str, Any]]:
    return [
        {
            "name": "Promoters → Marketing inbox",
            # Review links go to everyone through the default rule: asking only promoters
            # ("review gating") is what Google and Trustpilot forbid.
            "description": "Praise goes to Marketing.",
            "conditions": {
                "match": "all",
                "rules": [{"type": "nps_category", "value": ["promoter"]}],
            },
            "actions": [
                {
                    "type": "route_to_team",
                    "params": {"team": _team(org, "marketing"), "reason": "Promoter"},
                },
            ],
        },
        {
            "name": "Comment mentions 배송/delivery/จัดส่ง → tag delivery + route to Support",
            "description": "Delivery complaints in Korean, English or Thai.",
            "conditions": {
                "match": "all",
                "rules": [{"type": "text_contains", "value": ["배송", "delivery", "จัดส่ง"]}],
            },
            "actions": [
                {"type": "add_tags", "params": {"tags": ["delivery"]}},
                {
                    "type": "route_to_team",
                    "params": {"team": _team(org, "support"), "reason": "Delivery"},
                },
            ],
        },
        {
            "name": "Korean-speaking detractor → notify Client success lead by email",
            "conditions": {
                "match": "all",
                "rules": [
                    {"type": "language", "value": ["ko"]},
                    {"type": "nps_category", "value": ["detractor"]},
                ],
            },
            "actions": [
                {
                    "type": "notify_email",
                    "params": {
                        "recipients": "leads",
                        "team": _team(org, "client-success"),
                        "subject": "NPS {{nps}} from {{contact.name}} (Korean)",
                    },
                }
            ],
        },
        {
            "name": "Detractors → #cx-alerts on Slack",
            "description": "Off in the demo: outbound calls to this example URL would be refused.",
            "is_active": False,
            "conditions": {"match": "all", "rules": [{"type": "score", "metric": "nps", "max": 6}]},
            "actions": [
                {
                    "type": "slack",
                    "params": {
                        "webhook_url": "https://hooks.slack.com/services/T0000DEMO/B0000DEMO/demo-not-a-real-hook",
                        "title": "Detractor: NPS {{nps}}",
                        "text": "{{first_comment}}",
                    },
                }
            ],
        },
    ]


def seed_automation(org: Organization, *, own_rules: bool) -> None:
    """The org's rules (defaults, and the Seoul demo's own), then run them over its latest
    completed responses so the run log, cases, tags and team inboxes have content."""
    automation_ensure_defaults(org)
    if own_rules:
        for spec in _seoul_rules(org):
            if Rule.objects.filter(organization=org, name=spec["name"]).exists():
                continue
            rule_create(organization=org, trigger="response.completed", **spec)
    rules = active_rules(organization=org, trigger="response.completed")
    if not rules:
        return
    responses = (
        Response.objects.select_related("survey", "version", "organization")
        .filter(organization=org, status=ResponseStatus.COMPLETE, historical=False)
        .order_by("-completed_at")[:RUN_LOG_RESPONSES]
    )
    for response in reversed(list(responses)):
        ctx = context_for_response(
            response, trigger="response.completed", event_key=str(response.pk)
        )
        rules_run(ctx, rules)


def seed_demo_automation() -> None:
    """The automation step of the demo: both demo organizations."""
    from closeloop.demo.seed import BANGKOK_SLUG, SEOUL_SLUG

    for slug, own in ((SEOUL_SLUG, True), (BANGKOK_SLUG, False)):
        org = Organization.objects.filter(slug=slug).first()
        if org is not None:
            seed_automation(org, own_rules=own)
