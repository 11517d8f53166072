"""The ideas demo step: an open, branded portal with ideas across statuses, a merged
duplicate, two in moderation; running it twice adds nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.accounts.models import Organization
from closeloop.accounts.services import organization_create
from closeloop.accounts.tests.factories import UserFactory
from closeloop.initiatives.demo_ideas import seed_demo_ideas
from closeloop.initiatives.models import Idea, IdeaComment, IdeaPortal

pytestmark = pytest.mark.django_db


def test_seed_demo_ideas_is_idempotent() -> None:
    owner = UserFactory(email="demo-owner@example.com")
    org = organization_create(name="Seoul Bean Roasters", owner=owner, time_zone="Asia/Seoul")
    Organization.objects.filter(pk=org.pk).update(slug="demo")
    seed_demo_ideas()
    seed_demo_ideas()
    portal = IdeaPortal.objects.get(organization=org)
    assert portal.enabled and portal.title["ko"] and portal.default_language == "ko"
    ideas = Idea.objects.filter(organization=org)
    assert 8 <= ideas.exclude(status="merged").count() <= 12
    statuses = set(ideas.values_list("status", flat=True))
    assert {
        "open",
        "under_review",
        "planned",
        "in_progress",
        "shipped",
        "declined",
        "merged",
    } <= statuses
    assert ideas.filter(status="pending").count() == 2
    assert {"ko", "en"} <= set(ideas.values_list("language", flat=True))
    assert IdeaComment.objects.filter(idea__organization=org, author_user__isnull=False).exists()
    shipped = ideas.get(status="shipped")
    assert shipped.vote_count == shipped.votes.count() > 0 and shipped.public_reply
    page = Client().get("/ideas/demo/?lang=ko")
    assert page.status_code == 200 and "서울빈로스터스" in page.content.decode()
