"""The audit log: this organization's activities only, filtered, paginated, in its time zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from closeloop.core.models import Activity
from closeloop.core.services import activity_record

pytestmark = pytest.mark.django_db


def test_audit_lists_this_orgs_activities_only(personas) -> None:
    activity_record(organization=personas.org, actor=personas.owner, verb="survey.published")
    activity_record(
        organization=personas.other_org, actor=personas.outsider, verb="secret.other_thing"
    )

    client = personas.client_for(personas.admin)
    response = client.get(reverse("accounts:audit", args=[personas.org.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "survey.published" in page
    assert "organization.created" in page
    assert "secret.other_thing" not in page
    assert "Other Shop" not in page


def test_audit_filter_by_verb_and_paginate(personas) -> None:
    for _ in range(55):
        activity_record(organization=personas.org, actor=personas.owner, verb="thing.done")
    client = personas.client_for(personas.owner)
    audit = reverse("accounts:audit", args=[personas.org.slug])

    first = client.get(audit, {"verb": "thing.done"})
    assert first.context["page"].paginator.count == 55
    assert len(first.context["page"].object_list) == 50
    assert all(a.verb == "thing.done" for a in first.context["page"].object_list)
    assert "verb=thing.done&amp;page=2" in first.content.decode()
    second = client.get(audit, {"verb": "thing.done", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_audit_shows_time_in_org_time_zone(personas) -> None:
    activity = activity_record(organization=personas.org, actor=personas.owner, verb="clock.test")
    at = dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC)
    Activity.objects.filter(pk=activity.pk).update(created_at=at)  # Asia/Seoul is UTC+9

    page = (
        personas.client_for(personas.owner)
        .get(reverse("accounts:audit", args=[personas.org.slug]), {"verb": "clock.test"})
        .content.decode()
    )
    assert "2026-01-01 09:30:00" in page
    assert "owner@acme.test" in page


def test_audit_needs_permission(personas) -> None:
    audit = reverse("accounts:audit", args=[personas.org.slug])
    assert personas.client_for(personas.agent).get(audit).status_code == 403
    assert personas.client_for(personas.outsider).get(audit).status_code == 404
