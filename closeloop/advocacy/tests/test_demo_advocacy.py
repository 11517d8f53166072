"""The demo's advocacy data: sites, everyone mode, invitations and clicks, a failing webhook."""

from __future__ import annotations

import pytest

from closeloop.accounts.models import Organization
from closeloop.advocacy.models import ReviewClick, ReviewInvitation, ReviewMode, ReviewSettings
from closeloop.demo.seed import seed_demo
from closeloop.integrations.models import Delivery, DeliveryStatus, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_demo_has_review_sites_invitations_clicks_and_a_failed_webhook() -> None:
    seed_demo()
    seed_demo()  # twice: nothing duplicated
    org = Organization.objects.get(slug="demo")
    from closeloop.advocacy.models import ReviewSite

    assert list(ReviewSite.objects.filter(organization=org).values_list("name", flat=True)) == [
        "Google",
        "Naver Place",
        "Trustpilot",
    ]
    settings_row = ReviewSettings.objects.get(organization=org)
    assert settings_row.mode == ReviewMode.EVERYONE
    assert set(settings_row.texts) == {"en", "ko", "th"}
    invitations = ReviewInvitation.objects.filter(organization=org)
    assert invitations.exists()
    assert ReviewClick.objects.filter(organization=org).exists()
    endpoint = WebhookEndpoint.objects.get(organization=org)
    assert not endpoint.is_active and endpoint.disabled_at is not None
    log = Delivery.objects.filter(related_id=str(endpoint.pk))
    assert log.filter(status=DeliveryStatus.FAILED).count() == 2
