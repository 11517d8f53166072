"""The case pages as people use them: the queue with tabs, filters and bulk assign, the board
with its per-card move forms, the case page controls, the settings pages (root causes, SLA with
business hours and holidays, reply templates) and the team inbox. Outsiders get 404."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from closeloop.accounts.models import Team
from closeloop.automation.models import TeamFeedback
from closeloop.cases.choices import CaseStatus
from closeloop.cases.models import BusinessHours, Case, Holiday, ReplyTemplate, RootCause, SlaPolicy
from closeloop.cases.tests.factories import customer_case, detractor_response, make_case, support
from conftest import Personas


def test_queue_tabs_and_filters(personas: Personas) -> None:
    org = personas.org
    agent = personas.membership(personas.agent)
    mine = make_case(org, title="Mine", assignee=agent)
    make_case(org, title="Nobody's")
    urgent = make_case(org, title="Urgent one", priority="urgent")
    Case.objects.filter(pk=urgent.pk).update(breached_first_response=True)
    client = personas.client_for(personas.agent)
    url = reverse("cases:list", args=[org.slug])

    def titles(params: dict[str, str]) -> list[str]:
        page = client.get(url, params)
        assert page.status_code == 200
        return [c.title for c in page.context["page"].object_list]

    assert titles({"tab": "mine"}) == ["Mine"]
    assert titles({"tab": "unassigned"}) == ["Urgent one", "Nobody's"]
    assert titles({"tab": "all", "priority": "urgent"}) == ["Urgent one"]
    assert titles({"breached": "yes"}) == ["Urgent one"]
    assert titles({"sort": "priority"})[0] == "Urgent one"
    assert titles({"q": f"#{mine.number}"}) == ["Mine"]
    assert titles({"assignee": str(agent.pk)}) == ["Mine"]
    # breaching soon: due within 4 hours
    Case.objects.filter(pk=mine.pk).update(
        first_response_due_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    )
    assert titles({"tab": "breaching"}) == ["Mine"]
    assert "tab-breaching" in client.get(url).content.decode()


def test_my_teams_tab(personas: Personas) -> None:
    from closeloop.cases.tests.factories import join_team

    org = personas.org
    join_team(support(org), personas.membership(personas.agent))
    make_case(org, title="Support case")
    make_case(org, title="Product case", team=Team.objects.get(organization=org, slug="product"))
    page = personas.client_for(personas.agent).get(
        reverse("cases:list", args=[org.slug]), {"tab": "team"}
    )
    assert [c.title for c in page.context["page"].object_list] == ["Support case"]


def test_bulk_assign(personas: Personas) -> None:
    org = personas.org
    a, _b, c = (make_case(org, title=t) for t in "abc")
    agent = personas.membership(personas.agent)
    client = personas.client_for(personas.admin)
    response = client.post(
        reverse("cases:bulk_assign", args=[org.slug]),
        {"cases": [a.pk, c.pk], "assignee": agent.pk, "query": "tab=all"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?tab=all")
    assigned = set(Case.objects.filter(assignee=agent).values_list("title", flat=True))
    assert assigned == {"a", "c"}
    other = make_case(personas.other_org)
    foreign = client.post(
        reverse("cases:bulk_assign", args=[org.slug]), {"cases": [other.pk], "assignee": "none"}
    )
    assert foreign.status_code == 404


def test_board_moves_a_card(personas: Personas) -> None:
    org = personas.org
    case = make_case(org, title="On the board")
    client = personas.client_for(personas.agent)
    board = client.get(reverse("cases:board", args=[org.slug]))
    assert board.status_code == 200
    html = board.content.decode()
    assert "On the board" in html and f'id="move-{case.pk}"' in html
    moved = client.post(
        reverse("cases:status", args=[org.slug, case.pk]), {"to_status": "open", "next": "board"}
    )
    assert moved["Location"] == reverse("cases:board", args=[org.slug])
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    refused = client.post(
        reverse("cases:status", args=[org.slug, case.pk]), {"to_status": "reopened"}, follow=True
    )
    assert "cannot become Reopened" in refused.content.decode()


def test_case_page_shows_the_customer_answers_and_controls(personas: Personas) -> None:
    org = personas.org
    case = customer_case(org, score=3)
    page = personas.client_for(personas.agent).get(
        reverse("cases:detail", args=[org.slug, case.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "cust" in html and "NPS 3" in html
    assert "How likely are you to recommend us?" in html
    assert "The coffee arrived cold and late." in html
    assert 'data-testid="reply-form"' in html and 'data-testid="resolve-form"' in html
    viewer_html = (
        personas.client_for(personas.viewer)
        .get(reverse("cases:detail", args=[org.slug, case.pk]))
        .content.decode()
    )
    assert 'data-testid="reply-form"' not in viewer_html


def test_assign_priority_and_tags_from_the_case_page(personas: Personas) -> None:
    org = personas.org
    case = make_case(org)
    client = personas.client_for(personas.agent)
    agent = personas.membership(personas.agent)
    product = Team.objects.get(organization=org, slug="product")
    client.post(
        reverse("cases:assign", args=[org.slug, case.pk]),
        {"assignee": agent.pk, "team": product.pk},
    )
    client.post(reverse("cases:priority", args=[org.slug, case.pk]), {"priority": "high"})
    client.post(reverse("cases:tags", args=[org.slug, case.pk]), {"tags": "refund, vip"})
    case.refresh_from_db()
    assert (case.assignee, case.team, case.priority, case.tags) == (
        agent, product, "high", ["refund", "vip"],
    )  # fmt: skip


def test_new_case_by_hand(personas: Personas) -> None:
    org = personas.org
    client = personas.client_for(personas.agent)
    response = client.post(
        reverse("cases:new", args=[org.slug]),
        {"title": "Phone call: grinder broken", "team": support(org).pk, "priority": "normal",
         "contact_email": "Walkin@Example.com"},
    )  # fmt: skip
    case = Case.objects.get(title="Phone call: grinder broken")
    assert response["Location"] == reverse("cases:detail", args=[org.slug, case.pk])
    assert case.contact is not None and case.contact.email == "walkin@example.com"
    assert case.created_by == personas.agent
    assert (
        personas.client_for(personas.viewer).get(reverse("cases:new", args=[org.slug])).status_code
        == 403
    )


def test_root_cause_taxonomy(personas: Personas) -> None:
    org = personas.org
    admin = personas.client_for(personas.admin)
    url = reverse("cases:root_causes", args=[org.slug])
    page = admin.get(url)
    assert "Expectation mismatch" in page.content.decode()
    admin.post(url, {"name": "Packaging damage"})
    cause = RootCause.objects.get(organization=org, name="Packaging damage")
    edit = reverse("cases:root_cause_edit", args=[org.slug, cause.pk])
    admin.post(edit, {"name": "Damaged packaging", "description": "", "action": "save"})
    cause.refresh_from_db()
    assert cause.name == "Damaged packaging" and not cause.is_active  # checkbox left unticked
    admin.post(edit, {"action": "delete"})
    assert not RootCause.objects.filter(pk=cause.pk).exists()
    # a cause in use cannot be deleted
    used = RootCause.objects.filter(organization=org).first()
    assert used is not None
    Case.objects.filter(pk=make_case(org).pk).update(root_cause=used)
    refused = admin.post(
        reverse("cases:root_cause_edit", args=[org.slug, used.pk]),
        {"action": "delete"},
        follow=True,
    )
    assert "retire it instead" in refused.content.decode()
    # agents read it, but may not change it
    agent = personas.client_for(personas.agent)
    assert agent.get(url).status_code == 200
    assert agent.post(url, {"name": "Nope"}).status_code == 403


def test_sla_hours_and_holidays(personas: Personas) -> None:
    org = personas.org
    admin = personas.client_for(personas.admin)
    url = reverse("cases:sla", args=[org.slug])
    assert admin.get(url).status_code == 200
    added = admin.post(
        url,
        {"new-team": support(org).pk, "new-priority": "urgent", "new-first_response_hours": "1",
         "new-resolution_hours": "8", "new-business_hours_only": "on"},
    )  # fmt: skip
    assert added.status_code == 302
    policy = SlaPolicy.objects.get(organization=org, priority="urgent")
    duplicate = admin.post(
        url,
        {"new-team": support(org).pk, "new-priority": "urgent", "new-first_response_hours": "2",
         "new-resolution_hours": "8"},
    )  # fmt: skip
    assert duplicate.status_code == 400 and "exists already" in duplicate.content.decode()
    prefix = str(policy.pk)
    admin.post(
        reverse("cases:sla_policy_edit", args=[org.slug, policy.pk]),
        {f"{prefix}-team": support(org).pk, f"{prefix}-priority": "urgent",
         f"{prefix}-first_response_hours": "2", f"{prefix}-resolution_hours": "10",
         "action": "save"},
    )  # fmt: skip
    policy.refresh_from_db()
    assert policy.first_response_hours == 2 and not policy.business_hours_only

    hours = {f"open_{d}": "on" for d in range(6)}
    hours |= {f"start_{d}": "10:00" for d in range(7)} | {f"end_{d}": "19:00" for d in range(7)}
    assert admin.post(reverse("cases:business_hours", args=[org.slug]), hours).status_code == 302
    assert BusinessHours.objects.filter(organization=org).count() == 6
    bad = admin.post(
        reverse("cases:business_hours", args=[org.slug]),
        {"open_0": "on", "start_0": "18:00", "end_0": "09:00"},
    )
    assert bad.status_code == 400

    admin.post(
        reverse("cases:holiday_add", args=[org.slug]), {"date": "2026-09-25", "name": "추석"}
    )
    holiday = Holiday.objects.get(organization=org)
    assert "추석" in admin.get(url).content.decode()
    admin.post(reverse("cases:holiday_delete", args=[org.slug, holiday.pk]))
    assert not Holiday.objects.exists()


def test_reply_templates(personas: Personas) -> None:
    org = personas.org
    admin = personas.client_for(personas.admin)
    url = reverse("cases:templates", args=[org.slug])
    empty = admin.post(url, {"name": "Empty"})
    assert empty.status_code == 400 and "at least one language" in empty.content.decode()
    admin.post(
        url,
        {"name": "Thanks", "is_active": "on", "subject_en": "Thanks",
         "body_en": "Hi {{contact.first_name}}", "subject_th": "ขอบคุณ", "body_th": "สวัสดีค่ะ"},
    )  # fmt: skip
    template = ReplyTemplate.objects.get(organization=org, name="Thanks")
    assert set(template.texts) == {"en", "th"}
    edit = reverse("cases:template_edit", args=[org.slug, template.pk])
    assert "สวัสดีค่ะ" in admin.get(edit).content.decode()
    admin.post(edit, {"name": "Thanks!", "body_en": "Hello", "is_active": "on"})
    template.refresh_from_db()
    assert template.name == "Thanks!" and set(template.texts) == {"en"}
    admin.post(edit, {"action": "delete"})
    assert not ReplyTemplate.objects.exists()


def test_team_inbox(personas: Personas) -> None:
    org = personas.org
    team = support(org)
    routed = detractor_response(org, score=2)
    TeamFeedback.objects.create(organization=org, team=team, response=routed, reason="detractor")
    make_case(org, title="Support case")
    viewer = personas.client_for(personas.viewer)
    listing = viewer.get(reverse("inbox:list", args=[org.slug]))
    assert listing.status_code == 200 and "Support" in listing.content.decode()
    page = viewer.get(reverse("inbox:team", args=[org.slug, team.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "detractor" in html and "Support case" in html
    assert "The coffee arrived cold and late." in html  # a verbatim
    scores = page.context["scores"]
    assert (scores.nps, scores.nps_n) == (-100.0, 1)


def test_outsiders_get_404(personas: Personas) -> None:
    org = personas.org
    case = make_case(org)
    outsider = personas.client_for(personas.outsider)
    for url in (
        reverse("cases:list", args=[org.slug]),
        reverse("cases:detail", args=[org.slug, case.pk]),
        reverse("inbox:team", args=[org.slug, support(org).pk]),
    ):
        assert outsider.get(url).status_code == 404
    # their own org's URL with our case id: 404 too
    other_slug = personas.other_org.slug
    assert outsider.get(reverse("cases:detail", args=[other_slug, case.pk])).status_code == 404


def test_settings_pages_show_what_to_fix(personas: Personas) -> None:
    org = personas.org
    admin = personas.client_for(personas.admin)
    # a root cause renamed to nothing: refused, with the reason, the name kept
    cause = RootCause.objects.create(organization=org, name="Moths")
    refused = admin.post(
        reverse("cases:root_cause_edit", args=[org.slug, cause.pk]),
        {"name": " ", "action": "save"},
        follow=True,
    )
    assert "Give it a name." in refused.content.decode()
    cause.refresh_from_db()
    assert cause.name == "Moths"
    # a root cause's name taken already, when adding: the form again, 400
    clash = admin.post(reverse("cases:root_causes", args=[org.slug]), {"name": "moths"})
    assert clash.status_code == 400 and "exists already" in clash.content.decode()
    # an SLA policy edited into nonsense: the fields' errors as a message, nothing saved
    policy = SlaPolicy.objects.get(organization=org, team=support(org))
    prefix = str(policy.pk)
    bad = admin.post(
        reverse("cases:sla_policy_edit", args=[org.slug, policy.pk]),
        {f"{prefix}-team": support(org).pk, f"{prefix}-first_response_hours": "8",
         f"{prefix}-resolution_hours": "4", "action": "save"},
        follow=True,
    )  # fmt: skip
    assert "Resolution cannot be due before the first response." in bad.content.decode()
    policy.refresh_from_db()
    assert policy.first_response_hours == 24
    # a holiday on a date that is one already: the SLA page again, 400, the field named
    url = reverse("cases:holiday_add", args=[org.slug])
    admin.post(url, {"date": "2026-12-25", "name": "Christmas"})
    again = admin.post(url, {"date": "2026-12-25", "name": "Xmas"})
    assert again.status_code == 400 and "This date is a holiday already." in again.content.decode()
    assert again.context["holiday_form"].errors["date"]
    # another organization's objects: 404 on every edit page
    other = RootCause.objects.create(organization=personas.other_org, name="Theirs")
    edit = reverse("cases:root_cause_edit", args=[org.slug, other.pk])
    assert admin.post(edit, {"name": "Mine", "action": "save"}).status_code == 404
    assert admin.post(edit, {"action": "delete"}).status_code == 404
    other.refresh_from_db()
    assert other.name == "Theirs"
    # GET on a form that only posts
    assert admin.get(edit).status_code == 405


def test_a_reply_template_page_and_its_messages(personas: Personas) -> None:
    org = personas.org
    admin = personas.client_for(personas.admin)
    url = reverse("cases:templates", args=[org.slug])
    added = admin.post(url, {"name": "Sorry", "is_active": "on", "body_en": "We are sorry."},
                       follow=True)  # fmt: skip
    assert "Template added." in added.content.decode()
    template = ReplyTemplate.objects.get(organization=org, name="Sorry")
    edit = reverse("cases:template_edit", args=[org.slug, template.pk])
    page = admin.get(edit)
    assert page.status_code == 200 and "We are sorry." in page.content.decode()
    bad = admin.post(edit, {"name": "Sorry", "body_ko": "", "subject_ko": "미안해요"})
    assert bad.status_code == 400 and "Write the message." in bad.content.decode()
    deleted = admin.post(edit, {"action": "delete"}, follow=True)
    assert "Template deleted." in deleted.content.decode()
    assert deleted.redirect_chain[-1][0] == url
    # agents read templates but do not change them
    agent = personas.client_for(personas.agent)
    assert agent.get(url).status_code == 200
    assert agent.post(url, {"name": "Mine", "body_en": "x"}).status_code == 403
