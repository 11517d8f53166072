"""The demo gives the business metrics, targets and alerts pages something to show, once."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from closeloop.accounts.models import Organization, User
from closeloop.analytics.models import AlertRule, DigestSettings, MetricTarget
from closeloop.contacts.models import Contact
from closeloop.demo.seed import OWNER_EMAIL, SEOUL_SLUG, seed_demo
from closeloop.demo.seed_alerts import seed_demo_alerts


def test_demo_business_metrics_alerts_and_targets(db: None) -> None:
    seed_demo()
    seoul = Organization.objects.get(slug=SEOUL_SLUG)
    counts = (AlertRule.objects.count(), MetricTarget.objects.count(), Contact.objects.count())
    seed_demo_alerts()  # again: nothing more
    assert (
        AlertRule.objects.count(),
        MetricTarget.objects.count(),
        Contact.objects.count(),
    ) == counts
    assert DigestSettings.objects.filter(organization=seoul, enabled=True).exists()

    client = Client()
    client.force_login(User.objects.get(email=OWNER_EMAIL))
    page = client.get(reverse("analytics:business", args=[seoul.slug]))
    assert page.status_code == 200
    result = page.context["result"]
    assert result.churn_attribute == "churned" and result.revenue_attribute == "lifetime_value"
    assert result.n_contacts > 30
    assert result.revenue_at_risk is not None and result.revenue_at_risk > 0
    assert page.context["chart"] is not None
    detractors, promoters = result.group("detractors"), result.group("promoters")
    assert not detractors.hidden and not promoters.hidden

    alerts = client.get(reverse("analytics:alerts", args=[seoul.slug])).content.decode()
    assert "NPS drop, week over week" in alerts and "Purchase feedback stopped" in alerts
    assert AlertRule.objects.filter(organization=seoul, last_checked_at__isnull=False).count() == 3
    targets = client.get(reverse("analytics:targets", args=[seoul.slug])).content.decode()
    assert "Example figure: replace with your industry&#x27;s" in targets
