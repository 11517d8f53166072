"""Initiative pages through the test client: list (my team by default), board, new from a theme
(prefilled and linked), detail, moves by the buttons, links, other org 404, viewer cannot write."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from closeloop.accounts.models import Team, TeamMember
from closeloop.cases.tests.factories import customer_case
from closeloop.initiatives import services
from closeloop.initiatives.models import Initiative
from closeloop.initiatives.tests.factories_initiatives import a_team, a_theme, make_initiative
from conftest import Personas


def url(personas: Personas, name: str, *args: object) -> str:
    return reverse(f"initiatives:{name}", args=[personas.org.slug, *args])


def test_list_opens_on_my_only_team(personas: Personas) -> None:
    support, product = a_team(personas.org), a_team(personas.org, "product")
    TeamMember.objects.create(team=support, membership=personas.membership(personas.agent))
    make_initiative(personas.org, title="Faster refunds", owner_team=support)
    make_initiative(personas.org, title="Better beans", owner_team=product)
    page = personas.client_for(personas.agent).get(url(personas, "list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Faster refunds" in html and "Better beans" not in html
    everyone = personas.client_for(personas.agent).get(url(personas, "list") + "?team=all")
    assert "Better beans" in everyone.content.decode()
    by_status = personas.client_for(personas.owner).get(url(personas, "list") + "?status=planned")
    assert "Faster refunds" not in by_status.content.decode()


def test_list_opens_on_everything_for_the_advocacy_team_or_a_team_without_any(
    personas: Personas,
) -> None:
    support, product = a_team(personas.org), a_team(personas.org, "product")
    TeamMember.objects.create(team=support, membership=personas.membership(personas.agent))
    make_initiative(personas.org, title="Better beans", owner_team=product)
    # the agent's only team has no initiative: an empty list would hide the others
    html = personas.client_for(personas.agent).get(url(personas, "list")).content.decode()
    assert "Better beans" in html
    make_initiative(personas.org, title="Faster refunds", owner_team=support)
    support.is_advocacy_team = True
    support.save()
    # the cross-department team looks at every team's initiatives
    html = personas.client_for(personas.agent).get(url(personas, "list")).content.decode()
    assert "Better beans" in html and "Faster refunds" in html


def test_list_marks_overdue(personas: Personas) -> None:
    make_initiative(personas.org, title="Late one", due_date=dt.date(2020, 1, 1))
    html = personas.client_for(personas.viewer).get(url(personas, "list")).content.decode()
    assert "Late one" in html and "overdue" in html


def test_board_has_a_column_per_status_and_moves_cards(personas: Personas) -> None:
    initiative = make_initiative(personas.org, title="Refill station")
    client = personas.client_for(personas.analyst)
    page = client.get(url(personas, "board") + "?team=all")
    html = page.content.decode()
    for status in ("proposed", "planned", "in_progress", "shipped", "measured", "dropped"):
        assert f'data-status="{status}"' in html
    assert "Refill station" in html
    moved = client.post(
        url(personas, "transition", initiative.pk),
        {"status": "planned", "next": "board", "query": "team=all"},
    )
    assert moved.status_code == 302 and moved["Location"].endswith("/board/?team=all")
    initiative.refresh_from_db()
    assert initiative.status == "planned"


def test_new_from_a_theme_is_prefilled_and_linked(personas: Personas) -> None:
    theme = a_theme(personas.org)
    client = personas.client_for(personas.analyst)
    page = client.get(url(personas, "create") + f"?theme={theme.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["title"] == theme.name_in("en")
    assert form.initial["target_theme"] == theme and form.initial["origin"] == "theme"
    team = Team.objects.get(organization=personas.org, slug="support")
    response = client.post(
        url(personas, "create") + f"?theme={theme.pk}",
        {
            "title": form.initial["title"],
            "owner_team": team.pk,
            "owner": personas.analyst.pk,
            "due_date": "2031-03-01",
            "target_metric": "nps",
            "expected_change": "5",
            "before_days": "60",
            "after_days": "60",
            "origin": "theme",
            "link_themes": str(theme.pk),
        },
    )
    initiative = Initiative.objects.get(organization=personas.org)
    assert response.status_code == 302
    assert response["Location"] == url(personas, "detail", initiative.pk)
    assert initiative.origin == "theme" and list(initiative.themes.all()) == [theme]
    assert initiative.owner_team == team and initiative.due_date == dt.date(2031, 3, 1)


def test_new_from_cases_lists_them(personas: Personas) -> None:
    cases = [customer_case(personas.org), customer_case(personas.org)]
    ids = ",".join(str(c.pk) for c in cases)
    page = personas.client_for(personas.agent).get(url(personas, "create") + f"?cases={ids}")
    html = page.content.decode()
    assert "2 cases" in html and "2 customers" in html
    assert page.context["form"].initial["origin"] == "cases"


def test_form_errors_are_shown_and_nothing_is_created(personas: Personas) -> None:
    page = personas.client_for(personas.agent).post(
        url(personas, "create"),
        {"title": "", "target_metric": "theme_share", "before_days": "60", "after_days": "60"},
    )
    assert page.status_code == 200 and page.context["form"].errors
    assert not Initiative.objects.exists()


def test_detail_shows_target_moves_links_and_tell_panel(personas: Personas) -> None:
    theme = a_theme(personas.org)
    initiative = make_initiative(
        personas.org, title="Two-day delivery", themes=[theme], target_theme=theme,
        owner_team=a_team(personas.org), expected_change=5, due_date=dt.date(2020, 5, 1),
    )  # fmt: skip
    client = personas.client_for(personas.agent)
    html = client.get(url(personas, "detail", initiative.pk)).content.decode()
    assert "I-1 Two-day delivery" in html
    assert 'data-move="planned"' in html and 'data-move="shipped"' not in html
    assert "overdue" in html and theme.name_in("en") in html
    assert "Tell the customers" in html and "+5" in html
    for status in ("planned", "in_progress", "shipped"):
        client.post(url(personas, "transition", initiative.pk), {"status": status})
    initiative.refresh_from_db()
    assert initiative.status == "shipped" and initiative.shipped_at is not None
    html = client.get(url(personas, "detail", initiative.pk)).content.decode()
    assert "shipped an initiative" in html  # the timeline
    assert 'data-move="measured"' in html


def test_refused_move_and_drop_without_reason_show_a_message(personas: Personas) -> None:
    initiative = make_initiative(personas.org)
    client = personas.client_for(personas.agent)
    page = client.post(url(personas, "transition", initiative.pk), {"status": "measured"},
                       follow=True)  # fmt: skip
    assert "cannot become" in page.content.decode()
    page = client.post(url(personas, "transition", initiative.pk), {"status": "dropped"},
                       follow=True)  # fmt: skip
    assert "Say why" in page.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == "proposed"
    client.post(url(personas, "transition", initiative.pk),
                {"status": "dropped", "reason": "Not worth it"})  # fmt: skip
    initiative.refresh_from_db()
    assert initiative.status == "dropped" and initiative.dropped_reason == "Not worth it"


def test_links_add_and_remove(personas: Personas) -> None:
    initiative = make_initiative(personas.org)
    case = customer_case(personas.org)
    theme = a_theme(personas.org)
    client = personas.client_for(personas.agent)
    client.post(url(personas, "links", initiative.pk), {"kind": "cases", "id": f"#{case.number}"})
    client.post(url(personas, "links", initiative.pk), {"kind": "themes", "id": str(theme.pk)})
    assert list(initiative.cases.all()) == [case] and list(initiative.themes.all()) == [theme]
    client.post(
        url(personas, "links", initiative.pk),
        {"kind": "themes", "id": str(theme.pk), "action": "remove"},
    )
    assert not initiative.themes.exists()
    other = a_theme(personas.other_org)
    response = client.post(url(personas, "links", initiative.pk),
                           {"kind": "themes", "id": str(other.pk)})  # fmt: skip
    assert response.status_code == 404


def test_other_organization_gets_404(personas: Personas) -> None:
    initiative = make_initiative(personas.org)
    mine = make_initiative(personas.other_org)
    outsider = personas.client_for(personas.outsider)
    for name in ("detail", "edit"):
        assert outsider.get(url(personas, name, initiative.pk)).status_code == 404
    assert outsider.get(url(personas, "list")).status_code == 404
    # the outsider's own initiative under the first org's slug is not found either
    owner = personas.client_for(personas.owner)
    assert owner.get(url(personas, "detail", mine.pk)).status_code == 404
    assert (
        owner.post(url(personas, "transition", mine.pk), {"status": "planned"}).status_code == 404
    )


def test_viewer_reads_but_cannot_write(personas: Personas) -> None:
    initiative = make_initiative(personas.org, title="Read only")
    viewer = personas.client_for(personas.viewer)
    html = viewer.get(url(personas, "detail", initiative.pk)).content.decode()
    assert "Read only" in html and "data-move=" not in html
    assert "New initiative" not in viewer.get(url(personas, "list")).content.decode()
    assert viewer.get(url(personas, "create")).status_code == 403
    assert viewer.get(url(personas, "edit", initiative.pk)).status_code == 403
    assert viewer.post(url(personas, "create"), {"title": "x"}).status_code == 403
    assert viewer.post(url(personas, "transition", initiative.pk),
                       {"status": "planned"}).status_code == 403  # fmt: skip
    assert viewer.post(url(personas, "links", initiative.pk), {"kind": "themes"}).status_code == 403
    initiative.refresh_from_db()
    assert initiative.status == "proposed" and Initiative.objects.count() == 1


def test_edit_changes_the_initiative(personas: Personas) -> None:
    initiative = make_initiative(personas.org, title="Old title")
    client = personas.client_for(personas.analyst)
    page = client.get(url(personas, "edit", initiative.pk))
    assert page.context["form"].initial["title"] == "Old title"
    client.post(url(personas, "edit", initiative.pk), {
        "title": "New title", "target_metric": "csat", "before_days": "30", "after_days": "30",
    })  # fmt: skip
    initiative.refresh_from_db()
    assert initiative.title == "New title" and initiative.target_metric == "csat"
    assert initiative.before_days == 30
    services.initiative_transition(initiative=initiative, to_status="planned")


def test_entry_points_on_theme_case_and_root_cause_pages(personas: Personas) -> None:
    from closeloop.cases.tests.factories import root_cause

    theme = a_theme(personas.org)
    case = customer_case(personas.org)
    cause = root_cause(personas.org)
    pages = {
        reverse("text:theme", args=[personas.org.slug, theme.pk]): f"?theme={theme.pk}",
        reverse("cases:detail", args=[personas.org.slug, case.pk]): f"?cases={case.pk}",
        reverse("cases:root_causes", args=[personas.org.slug]): f"?root_cause={cause.pk}",
    }
    create = url(personas, "create")
    for user, shown in ((personas.analyst, True), (personas.agent, True),
                        (personas.viewer, False)):  # fmt: skip
        client = personas.client_for(user)
        for page, query in pages.items():
            html = client.get(page).content.decode()
            assert (f'href="{create}{query}"' in html) is shown, (user.email, page)
