"""Team inboxes routed by tags: a team lists the tags it owns on its page, and the responses a
rule tagged with one of them, and the cases carrying one, show in its inbox (besides what rules
route there). Only owners and admins change a team's tags; outsiders get 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from closeloop.accounts.models import Team
from closeloop.automation.models import ResponseTag, TeamFeedback
from closeloop.automation.tests.factories import answer, make_rule, make_survey
from closeloop.cases.metrics import loop_metrics
from closeloop.cases.services import case_add_tags
from closeloop.cases.tests.factories import detractor_response, make_case, support
from closeloop.core.models import Activity
from closeloop.core.worker import run_ready_tasks
from conftest import Personas


def _team(personas: Personas, slug: str) -> Team:
    return Team.objects.get(organization=personas.org, slug=slug)


def _tags_url(personas: Personas, team: Team) -> str:
    return reverse("inbox:tags", args=[personas.org.slug, team.pk])


def _team_page(personas: Personas, team: Team, user: Any = None) -> Any:
    client = personas.client_for(user or personas.viewer)
    return client.get(reverse("inbox:team", args=[personas.org.slug, team.pk]))


def test_an_admin_gives_a_team_its_tags_on_the_team_page(personas: Personas) -> None:
    marketing = _team(personas, "marketing")
    admin = personas.client_for(personas.admin)
    page_url = reverse("inbox:team", args=[personas.org.slug, marketing.pk])
    page = admin.get(page_url)
    assert 'data-testid="team-tags"' in page.content.decode()
    assert f'action="{_tags_url(personas, marketing)}"' in page.content.decode()

    saved = admin.post(
        _tags_url(personas, marketing), {"inbox_tags": "Praise, testimonial, praise,  "}
    )
    assert saved.status_code == 302 and saved["Location"] == page_url
    marketing.refresh_from_db()
    assert marketing.inbox_tags == ["praise", "testimonial"]
    html = admin.get(page_url).content.decode()
    assert "Inbox tags saved." in html
    assert 'value="praise, testimonial"' in html
    log = Activity.objects.get(verb="team.inbox_tags_updated")
    assert log.actor == personas.admin and log.data["after"] == ["praise", "testimonial"]

    # viewers and agents read the page, without the form, and may not change the tags
    viewer_html = _team_page(personas, marketing).content.decode()
    assert "testimonial" in viewer_html and 'name="inbox_tags"' not in viewer_html
    for user in (personas.viewer, personas.agent):
        refused = personas.client_for(user).post(_tags_url(personas, marketing), {"inbox_tags": ""})
        assert refused.status_code == 403
    outsider = personas.client_for(personas.outsider)
    assert outsider.post(_tags_url(personas, marketing), {"inbox_tags": "x"}).status_code == 404
    marketing.refresh_from_db()
    assert marketing.inbox_tags == ["praise", "testimonial"]


def test_too_many_tags_are_refused_with_a_message(personas: Personas) -> None:
    product = _team(personas, "product")
    client = personas.client_for(personas.owner)
    many = ", ".join(f"tag{i}" for i in range(31))
    page = client.post(_tags_url(personas, product), {"inbox_tags": many}, follow=True)
    assert "A team can own at most 30 tags." in page.content.decode()
    product.refresh_from_db()
    assert product.inbox_tags == []


def test_tagged_responses_and_cases_show_in_the_owning_teams_inbox(personas: Personas) -> None:
    org = personas.org
    product = _team(personas, "product")
    product.inbox_tags = ["feature-request"]
    product.save()
    wish = detractor_response(org, score=5)
    ResponseTag.objects.create(organization=org, response=wish, tag="feature-request")
    routed = detractor_response(org, score=2)
    TeamFeedback.objects.create(organization=org, team=product, response=routed, reason="Rule")
    ResponseTag.objects.create(organization=org, response=routed, tag="feature-request")
    elsewhere = detractor_response(org, score=4)
    ResponseTag.objects.create(organization=org, response=elsewhere, tag="delivery")
    # a Support case an agent tagged with the Product tag (any spelling)
    support_case = make_case(org, title="Wants oat milk", response=elsewhere)
    case_add_tags(case=support_case, tags=["Feature-Request"], actor=personas.agent)
    make_case(org, title="Cold coffee")  # Support's, untagged

    page = _team_page(personas, product)
    assert page.status_code == 200
    inbox = page.context["feedback"]
    assert [e.response for e in inbox] == [routed, wish]  # newest first
    assert inbox[0].reasons == ["Rule", "tagged feature-request"]
    assert inbox[1].reasons == ["tagged feature-request"]
    assert [c.title for c in page.context["cases"]] == ["Wants oat milk"]
    html = page.content.decode()
    assert "tagged feature-request" in html and "Wants oat milk" in html
    # scores cover the inbox and the cases: NPS 5, 2 and 4
    assert (page.context["scores"].nps, page.context["scores"].nps_n) == (-100.0, 3)

    listing = personas.client_for(personas.viewer).get(reverse("inbox:list", args=[org.slug]))
    counts = {
        row["team"].slug: (row["feedback"], row["active"]) for row in listing.context["teams"]
    }
    assert counts["product"] == (2, 1)
    assert counts["support"] == (0, 2)

    # the team's closed-loop rate counts the detractors in its inbox, tagged ones included
    m = loop_metrics(organization=org, team=product).total
    assert (m.detractors, m.cases) == (2, 0)


@pytest.mark.django_db(transaction=True)
def test_a_rule_tags_praise_and_marketing_gets_it(personas: Personas, settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": "closeloop.integrations.mailbox.MailboxBackend"}}
    org = personas.org
    marketing = _team(personas, "marketing")
    personas.client_for(personas.owner).post(
        _tags_url(personas, marketing), {"inbox_tags": "praise"}
    )
    make_rule(
        org,
        [{"type": "score", "metric": "nps", "min": 9, "max": 10}],
        [{"type": "add_tags", "params": {"tags": ["Praise"]}}],
        name="Promoters are praise",
    )
    survey = make_survey(org)
    promoter = answer(survey, nps=10, comment="Best flat white in town")
    detractor = answer(survey, nps=3, comment="Too slow")
    run_ready_tasks()

    page = _team_page(personas, marketing)
    assert [e.response for e in page.context["feedback"]] == [promoter]
    assert "Best flat white in town" in page.content.decode()
    assert detractor not in [e.response for e in page.context["feedback"]]
    assert _team_page(personas, support(org)).context["feedback"] == []
