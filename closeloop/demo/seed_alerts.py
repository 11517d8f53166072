"""Demo data for alerts, digests, targets and business metrics, made through the services.

Seoul Bean Roasters gets: business attributes on the customers who answered the driver survey
(`churned`, `churned_on`, `renewal_date`, `invoice_disputes`; detractors churn more often, as
in real life), an NPS and a CSAT target and an example industry benchmark (labelled as an
example to replace), three alert rules (a weekly NPS drop, a daily detractor count, a silent
touchpoint) checked once so the alerts page shows what they found, and the digest schedule.
Bangkok Noodle Bar gets the targets, the NPS drop rule and the schedule.

Keyed by the `churned` attribute, the rule names and the target labels: running the demo
again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Organization, Team
from closeloop.analytics.alerts.digest_services import digest_settings_update
from closeloop.analytics.alerts.evaluation import alerts_evaluate
from closeloop.analytics.alerts.rules import RuleInput, alert_rule_create
from closeloop.analytics.alerts.targets import target_create
from closeloop.analytics.metrics.stats import nps_category
from closeloop.analytics.models import AlertRule, DigestSettings, MetricTarget
from closeloop.contacts.models import AttributeDefinition, Contact
from closeloop.contacts.services import attribute_definition_create, contact_update
from closeloop.surveys.models import Survey

ATTRIBUTES = [
    ("churned", "Churned", "boolean"),
    ("churned_on", "Churned on", "date"),
    ("renewal_date", "Renewal date", "date"),
    ("invoice_disputes", "Invoice disputes (last 12 months)", "number"),
]
# Chance that a customer churned, by their latest NPS group.
CHURN = {"promoter": 0.06, "passive": 0.18, "detractor": 0.42}
BENCHMARK_LABEL = "Example figure: replace with your industry's"


def _latest_scores(org: Organization) -> dict[Any, float]:
    """Each contact's latest NPS answer (any customer survey)."""
    from closeloop.responses.models import AnswerFact

    latest: dict[Any, tuple[dt.datetime, float]] = {}
    facts = AnswerFact.objects.filter(
        organization_id=org.pk,
        question_type="nps",
        number__isnull=False,
        response__contact_id__isnull=False,
        response__survey__kind="customer",
    ).values_list("response__contact_id", "answered_at", "number")
    for contact_id, at, number in facts:
        if number is None:
            continue
        if contact_id not in latest or at > latest[contact_id][0]:
            latest[contact_id] = (at, float(number))
    return {contact_id: score for contact_id, (_at, score) in latest.items()}


def seed_business_attributes(org: Organization) -> None:
    """Churn, renewal and invoice-dispute attributes for the customers who gave a score."""
    if AttributeDefinition.objects.filter(organization=org, key="churned").exists():
        return
    for key, label, type_ in ATTRIBUTES:
        if not AttributeDefinition.objects.filter(organization=org, key=key).exists():
            attribute_definition_create(
                organization=org, key=key, label=label, type=type_, actor=None
            )
    scores = _latest_scores(org)
    today = timezone.localdate()
    contacts = Contact.objects.filter(organization=org, pk__in=list(scores), erased_at__isnull=True)
    for contact in contacts.order_by("email"):
        rng = random.Random(f"churn-{contact.email or contact.pk}")
        group = nps_category(scores[contact.pk])
        churned = rng.random() < CHURN[group]
        disputes = rng.choices(
            [0, 1, 2, 3], weights=[6, 2, 1, 1] if group == "detractor" else [12, 2, 1, 0]
        )[0]
        attributes: dict[str, Any] = {"churned": churned, "invoice_disputes": disputes}
        if churned:
            attributes["churned_on"] = (
                today - dt.timedelta(days=rng.randrange(5, 120))
            ).isoformat()
        else:
            attributes["renewal_date"] = (
                today + dt.timedelta(days=rng.randrange(10, 300))
            ).isoformat()
        contact_update(contact=contact, actor=None, data={"attributes": attributes})


def seed_targets(org: Organization) -> None:
    """An NPS and a CSAT target, and an NPS benchmark clearly marked as an example."""
    if MetricTarget.objects.filter(organization=org).exists():
        return
    target_create(
        organization=org, data={"kind": "target", "metric": "nps", "value": 30, "label": "2025"}
    )
    target_create(
        organization=org, data={"kind": "target", "metric": "csat", "value": 85, "label": "2025"}
    )
    target_create(
        organization=org,
        data={
            "kind": "benchmark",
            "metric": "nps",
            "value": 32,
            "label": BENCHMARK_LABEL,
            "source": "Example only: enter the published study you compare with, and its year",
        },
    )


def _team(org: Organization, slug: str) -> list[Team]:
    return list(Team.objects.filter(organization=org, slug=slug))


def seed_alert_rules(org: Organization, *, survey: Survey | None, silence: bool) -> None:
    """A weekly NPS drop rule, a daily detractor count and (Seoul) a silent touchpoint."""
    from closeloop.distribution.models import Touchpoint

    if AlertRule.objects.filter(organization=org).exists():
        return
    alert_rule_create(
        organization=org,
        data=RuleInput(
            name="NPS drop, week over week",
            kind="score_drop",
            metric="nps",
            survey=survey,
            email_teams=_team(org, "customer-experience"),
        ),
    )
    alert_rule_create(
        organization=org,
        data=RuleInput(
            name="More than 5 detractors in a day",
            kind="count_above",
            count_of="detractors",
            level=5,
            window_hours=24,
            email_teams=_team(org, "support"),
        ),
    )
    touchpoint = Touchpoint.objects.filter(organization=org, key="purchase").first()
    if silence and touchpoint is not None:
        alert_rule_create(
            organization=org,
            data=RuleInput(
                name="Purchase feedback stopped",
                kind="silence",
                touchpoint=touchpoint,
                window_hours=72,
                email_teams=_team(org, "customer-experience"),
            ),
        )
    alerts_evaluate(organization=org)


def seed_demo_alerts() -> None:
    """The alerts, targets, digest and business-metrics step of the demo."""
    from closeloop.demo.seed import BANGKOK_SLUG, SEOUL_SLUG
    from closeloop.demo.seed_analytics import BANGKOK, SEOUL

    for slug, spec, business in ((SEOUL_SLUG, SEOUL, True), (BANGKOK_SLUG, BANGKOK, False)):
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            continue
        if business:
            seed_business_attributes(org)
        seed_targets(org)
        survey = Survey.objects.filter(organization=org, name=spec.name).first()
        seed_alert_rules(org, survey=survey, silence=business)
        if not DigestSettings.objects.filter(organization=org).exists():
            digest_settings_update(organization=org, enabled=True, weekday=0, hour=8, actor=None)
