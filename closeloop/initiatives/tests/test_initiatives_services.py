"""Initiative services: numbering per organization, links, the one transition (allowed and
refused moves, drop needs a reason, shipped_at and measured_at), creating from a theme, a root
cause, cases and an idea, and the status webhook event."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from closeloop.cases.services import case_resolve
from closeloop.cases.tests.factories import customer_case, root_cause
from closeloop.core import events
from closeloop.core.errors import DomainError
from closeloop.core.models import Activity
from closeloop.initiatives import selectors, services
from closeloop.initiatives.models import Idea, Initiative
from closeloop.initiatives.tests.factories_initiatives import a_team, a_theme, make_initiative
from conftest import Personas


def test_numbers_count_per_organization(personas: Personas) -> None:
    first = make_initiative(personas.org)
    second = make_initiative(personas.org, title="Second")
    elsewhere = make_initiative(personas.other_org)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert str(second) == "I-2 Second"
    created = Activity.objects.get(verb="initiative.created", object_id=str(second.pk))
    assert created.organization == personas.org


def test_create_checks_title_owner_and_organization(personas: Personas) -> None:
    with pytest.raises(DomainError) as exc:
        make_initiative(personas.org, title="   ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        make_initiative(personas.org, owner=personas.outsider)
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        make_initiative(personas.org, themes=[a_theme(personas.other_org)])
    assert exc.value.field == "themes"
    with pytest.raises(DomainError) as exc:
        make_initiative(personas.org, target_metric="theme_share")
    assert exc.value.field == "target_theme"
    assert not Initiative.objects.filter(organization=personas.org).exists()


def test_transitions_allowed_and_refused(personas: Personas) -> None:
    initiative = make_initiative(personas.org, owner=personas.agent)
    assert initiative.status == "proposed"
    with pytest.raises(DomainError) as exc:
        services.initiative_transition(initiative=initiative, to_status="measured")
    assert exc.value.field == "status"
    assert "Planned" in exc.value.message  # it names the allowed moves
    with pytest.raises(DomainError) as exc:
        services.initiative_transition(initiative=initiative, to_status="launched")
    assert exc.value.field == "status"
    moved = services.initiative_transition(
        initiative=initiative, to_status="planned", actor=personas.agent
    )
    assert moved.status == "planned" and moved.shipped_at is None
    moved = services.initiative_transition(initiative=moved, to_status="in_progress")
    moved = services.initiative_transition(initiative=moved, to_status="shipped")
    assert moved.shipped_at is not None
    assert Activity.objects.filter(verb="initiative.shipped", object_id=str(moved.pk)).exists()
    moved = services.initiative_transition(initiative=moved, to_status="measured")
    assert moved.measured_at is not None
    moved = services.initiative_transition(initiative=moved, to_status="shipped")
    assert moved.measured_at is None and moved.shipped_at is not None
    moved = services.initiative_transition(initiative=moved, to_status="in_progress")
    assert moved.shipped_at is None  # moved back: not shipped any more
    verbs = list(
        Activity.objects.filter(object_id=str(moved.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "initiative.created", "initiative.status_changed", "initiative.status_changed",
        "initiative.shipped", "initiative.measured", "initiative.shipped",
        "initiative.status_changed",
    ]  # fmt: skip


def test_dropping_needs_a_reason(personas: Personas) -> None:
    initiative = make_initiative(personas.org)
    with pytest.raises(DomainError) as exc:
        services.initiative_transition(initiative=initiative, to_status="dropped", reason="  ")
    assert exc.value.field == "reason"
    initiative.refresh_from_db()
    assert initiative.status == "proposed"
    dropped = services.initiative_transition(
        initiative=initiative, to_status="dropped", reason="Supplier fixed it"
    )
    assert dropped.dropped_reason == "Supplier fixed it"
    back = services.initiative_transition(initiative=dropped, to_status="proposed")
    assert back.dropped_reason == ""


def test_the_status_event_is_emitted_after_commit(
    transactional_db: None, personas: Personas
) -> None:
    seen: list[dict[str, Any]] = []

    def handler(**payload: Any) -> None:
        seen.append(payload)

    events.on("initiative.status_changed")(handler)
    try:
        initiative = make_initiative(personas.org)
        with transaction.atomic():
            services.initiative_transition(initiative=initiative, to_status="planned")
            assert seen == []
        assert seen[0]["to_status"] == "planned" and seen[0]["from_status"] == "proposed"
        assert seen[0]["initiative_id"] == str(initiative.pk)
    finally:
        events.disconnect("initiative.status_changed", handler)


def test_update_fields_and_links(personas: Personas) -> None:
    support, product = a_team(personas.org), a_team(personas.org, "product")
    theme = a_theme(personas.org)
    initiative = make_initiative(personas.org, owner_team=support, contributors=[support, product])
    assert list(initiative.contributors.all()) == [product]  # the owner is not a contributor
    updated = services.initiative_update(
        initiative=initiative, title="Two-day delivery", themes=[theme], expected_change=5
    )
    assert updated.title == "Two-day delivery" and updated.expected_change == 5
    assert list(updated.themes.all()) == [theme]
    services.initiative_update(initiative=updated, themes=[])
    assert not updated.themes.exists()
    with pytest.raises(DomainError) as exc:
        services.initiative_update(initiative=updated, status="shipped")
    assert exc.value.field == "status"
    changes = Activity.objects.filter(verb="initiative.updated", object_id=str(initiative.pk))
    assert changes.first() is not None and "title" in changes.first().data["changes"]  # type: ignore[union-attr]


def test_create_from_theme(personas: Personas) -> None:
    theme = a_theme(personas.org)
    initiative = services.initiative_create_from_theme(
        organization=personas.org, actor=personas.analyst, theme=theme
    )
    assert initiative.origin == "theme"
    assert initiative.title == theme.name_in(personas.org.default_language)
    assert initiative.target_theme == theme and initiative.target_metric == "nps"
    assert list(initiative.themes.all()) == [theme]


def test_create_from_root_cause_links_its_resolved_cases(personas: Personas) -> None:
    cause = root_cause(personas.org)
    resolved = customer_case(personas.org)
    case_resolve(case=resolved, root_cause=cause, note="Courier changed", actor=personas.owner)
    customer_case(personas.org)  # open: not linked
    initiative = services.initiative_create_from_root_cause(
        organization=personas.org, actor=None, root_cause=cause
    )
    assert initiative.origin == "root_cause" and initiative.title == cause.name
    assert list(initiative.cases.all()) == [resolved]
    assert list(initiative.root_causes.all()) == [cause]


def test_create_from_cases_links_their_contacts(personas: Personas) -> None:
    cases = [customer_case(personas.org), customer_case(personas.org)]
    initiative = services.initiative_create_from_cases(
        organization=personas.org, actor=None, cases=cases, title="Cold coffee"
    )
    assert initiative.origin == "cases"
    assert set(initiative.cases.all()) == set(cases)
    assert set(initiative.contacts.all()) == {c.contact for c in cases}


def test_create_from_idea_links_it(personas: Personas) -> None:
    idea = Idea.objects.create(organization=personas.org, number=1, title="Oat milk", status="open")
    idea.themes.add(a_theme(personas.org))
    initiative = services.initiative_create_from_idea(
        organization=personas.org, actor=None, idea=idea
    )
    idea.refresh_from_db()
    assert idea.initiative == initiative and initiative.title == "Oat milk"
    assert list(selectors.linked_ideas(initiative)) == [idea]
    assert initiative.themes.count() == 1
    services.initiative_unlink(initiative=initiative, kind="ideas", objects=[idea])
    idea.refresh_from_db()
    assert idea.initiative is None


def test_list_by_team_status_and_search(personas: Personas) -> None:
    support, product = a_team(personas.org), a_team(personas.org, "product")
    owned = make_initiative(personas.org, title="Faster refunds", owner_team=support)
    helped = make_initiative(personas.org, title="App checkout", owner_team=product,
                             contributors=[support])  # fmt: skip
    other = make_initiative(personas.org, title="New beans", owner_team=product)
    assert set(selectors.initiative_list(organization=personas.org, team=support)) == {
        owned,
        helped,
    }
    services.initiative_transition(initiative=other, to_status="planned")
    assert list(selectors.initiative_list(organization=personas.org, status="planned")) == [other]
    assert list(selectors.initiative_list(organization=personas.org, search="refund")) == [owned]
    assert list(selectors.initiative_list(organization=personas.org, search="I-2")) == [helped]
    counts = {c.team.slug: c.total for c in selectors.team_counts(organization=personas.org)}
    assert counts["support"] == 2 and counts["product"] == 2
