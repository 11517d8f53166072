"""Touchpoint services: the default journey, order, and listening posts."""

from __future__ import annotations

import pytest

from closeloop.accounts.models import Organization
from closeloop.accounts.services import organization_create
from closeloop.accounts.tests.factories import UserFactory
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.models import Activity
from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.journey_selectors import touchpoint_id_for_key, touchpoint_list
from closeloop.distribution.journey_services import (
    listening_post_add,
    touchpoint_create,
    touchpoint_delete,
    touchpoint_move,
    touchpoint_move_to,
    touchpoints_ensure_defaults,
)
from closeloop.distribution.models import Touchpoint
from closeloop.distribution.tests.journey_factories import make_survey
from conftest import Personas

DEFAULT_KEYS = [
    "website-visit",
    "purchase",
    "delivery",
    "onboarding",
    "support-call",
    "renewal",
    "cancellation",
]


def _keys(personas: Personas) -> list[str]:
    return [t.key for t in touchpoint_list(organization=personas.org)]


def _bare_org() -> Organization:
    """An organization made without organization_create (which may seed the journey)."""
    return Organization.objects.create(name="Bare", slug="bare", time_zone="Asia/Seoul")


def test_defaults_are_created_once(db: None) -> None:
    org = _bare_org()
    assert touchpoints_ensure_defaults(organization=org) == 7
    assert [t.key for t in touchpoint_list(organization=org)] == DEFAULT_KEYS
    assert touchpoints_ensure_defaults(organization=org) == 0
    assert Touchpoint.objects.filter(organization=org).count() == 7
    marks = Activity.objects.filter(organization=org, verb="journey.defaults_created")
    assert marks.count() == 1


def test_a_deleted_default_stays_deleted(personas: Personas) -> None:
    touchpoints_ensure_defaults(organization=personas.org)
    touchpoint_delete(touchpoint=Touchpoint.objects.get(organization=personas.org, key="renewal"))
    touchpoints_ensure_defaults(organization=personas.org)
    assert "renewal" not in _keys(personas)


def test_defaults_are_named_in_the_org_language(db: None) -> None:
    org = organization_create(name="카페", owner=UserFactory(), default_language="ko")
    touchpoints_ensure_defaults(organization=org)
    purchase = Touchpoint.objects.get(organization=org, key="purchase")
    # The Korean catalogue may not translate it yet; it is never left as a lazy proxy.
    assert isinstance(purchase.name, str) and purchase.name


def test_defaults_keep_a_touchpoint_the_org_made_first(db: None) -> None:
    org = _bare_org()
    touchpoint_create(organization=org, name="Store visit")
    touchpoint_create(organization=org, name="Delivery")  # a default key, made by hand
    touchpoints_ensure_defaults(organization=org)
    keys = [t.key for t in touchpoint_list(organization=org)]
    assert keys == ["store-visit", "delivery", *[k for k in DEFAULT_KEYS if k != "delivery"]]


def test_reorder(personas: Personas) -> None:
    touchpoints_ensure_defaults(organization=personas.org)
    delivery = Touchpoint.objects.get(organization=personas.org, key="delivery")
    touchpoint_move(touchpoint=delivery, direction="up", actor=personas.owner)
    assert _keys(personas)[:3] == ["website-visit", "delivery", "purchase"]
    touchpoint_move(touchpoint=delivery, direction="down")
    touchpoint_move(touchpoint=delivery, direction="down")
    assert _keys(personas)[:4] == ["website-visit", "purchase", "onboarding", "delivery"]
    # the first cannot go further up, the last further down
    first = Touchpoint.objects.get(organization=personas.org, key="website-visit")
    touchpoint_move(touchpoint=first, direction="up")
    assert _keys(personas)[0] == "website-visit"
    touchpoint_move_to(touchpoint=first, index=99)
    assert _keys(personas)[-1] == "website-visit"
    positions = [t.position for t in touchpoint_list(organization=personas.org)]
    assert positions == list(range(7))
    with pytest.raises(DomainError):
        touchpoint_move(touchpoint=first, direction="sideways")


def test_keys_are_unique_and_found_by_key(personas: Personas) -> None:
    a = touchpoint_create(organization=personas.org, name="Pick-up")
    b = touchpoint_create(organization=personas.org, name="Pick up")
    assert (a.key, b.key) == ("pick-up", "pick-up-2")
    with pytest.raises(ConflictError):
        touchpoint_create(organization=personas.org, name="Other", key="pick-up")
    with pytest.raises(DomainError):
        touchpoint_create(organization=personas.org, name="  ")
    assert touchpoint_id_for_key(organization_id=personas.org.pk, key="pick-up") == a.pk
    assert touchpoint_id_for_key(organization_id=personas.other_org.pk, key="pick-up") is None


def test_listening_posts(personas: Personas) -> None:
    touchpoint = touchpoint_create(organization=personas.org, name="Delivery")
    survey = make_survey(personas.org)
    listening_post_add(touchpoint=touchpoint, survey=survey, channel=ListeningChannel.QR)
    with pytest.raises(ConflictError):
        listening_post_add(touchpoint=touchpoint, survey=survey, channel=ListeningChannel.QR)
    with pytest.raises(DomainError):
        listening_post_add(touchpoint=touchpoint, survey=survey, channel="pigeon")
    foreign = make_survey(personas.other_org)
    with pytest.raises(DomainError):
        listening_post_add(touchpoint=touchpoint, survey=foreign, channel=ListeningChannel.LINK)
    assert touchpoint.posts.count() == 1
