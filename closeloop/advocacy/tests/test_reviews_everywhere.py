"""Review links on the survey's thank-you page, wording by any score (NPS, CSAT, CES), consent
re-checked when an invitation leaves the outbox, and a promoter pool only some roles see."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from closeloop.advocacy.models import ReviewClick, ReviewInvitation, ReviewMode
from closeloop.advocacy.services import (
    review_invitation_send,
    review_settings_update,
    review_site_create,
)
from closeloop.automation.engine import event_run
from closeloop.automation.models import Rule, RuleRun
from closeloop.contacts.services import contact_unsubscribe
from closeloop.contacts.tests.factories import make_contact
from closeloop.integrations.models import Delivery, DeliveryStatus
from closeloop.integrations.outbox import deliveries_flush
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete
from closeloop.responses.testing import form_state, publish_survey
from conftest import Personas

pytestmark = pytest.mark.django_db


def _survey(org: Any, questions: list[dict[str, Any]], name: str = "Visit") -> Any:
    return publish_survey(
        org,
        {
            "default_language": "en",
            "languages": ["en"],
            "title": {"en": name},
            "pages": [{"key": "p1", "questions": questions}],
            "endings": [{"key": "end", "title": {"en": "Thanks!"}, "message": {"en": "Bye"}}],
        },
        name=name,
    )


NPS = {"key": "q1", "type": "nps", "required": True, "title": {"en": "Recommend?"}}
WHY = {"key": "why", "type": "long_text", "title": {"en": "Why?"}}
CONSENT = {
    "key": "testimonial_consent",
    "type": "consent",
    "title": {"en": "Testimonials"},
    "text": {"en": "You may contact me for a testimonial"},
}


@pytest.fixture
def google(personas: Personas) -> Any:
    return review_site_create(
        organization=personas.org, name="Google", url="https://g.page/r/acme/review"
    )


# --- wording by any score -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answer", "band", "subject"),
    [
        ({"key": "sat", "type": "csat", "points": 5}, 2, "detractors",
         "Thank you for your honest feedback"),
        ({"key": "sat", "type": "csat", "points": 7}, 6, "promoters",
         "Would you share your experience?"),
        ({"key": "sat", "type": "csat", "points": 10}, 6, "passives", "Thanks for your feedback"),
        ({"key": "easy", "type": "ces"}, 2, "detractors", "Thank you for your honest feedback"),
        ({"key": "easy", "type": "ces"}, 6, "promoters", "Would you share your experience?"),
    ],
)  # fmt: skip
def test_the_wording_follows_csat_and_ces_too(
    personas: Personas, google: Any, question: dict[str, Any], answer: int, band: str,
    subject: str,
) -> None:  # fmt: skip
    survey = _survey(personas.org, [{**question, "title": {"en": "How was it?"}}])
    contact = make_contact(personas.org)
    response = response_create_complete(
        survey=survey, answers={question["key"]: answer}, contact_id=contact.pk
    )
    invitation = review_invitation_send(response=response)
    assert invitation is not None
    assert (invitation.band, invitation.score, invitation.metric) == (
        band, answer, question["type"],
    )  # fmt: skip
    assert invitation.delivery.payload["subject"] == subject
    page = personas.client_for(personas.viewer).get(
        reverse("advocacy:invitations", args=[personas.org.slug])
    )
    assert f"{question['type'].upper()} {answer}" in page.content.decode()


# --- the thank-you page ---------------------------------------------------------------------


def _complete_on_the_page(survey: Any, score: int) -> str:
    """Answer the public survey page as a respondent's browser does; the ending's HTML."""
    client = Client()
    url = f"/s/{survey.public_token}/"
    page = client.get(url)
    key, nonce = form_state(page.content.decode())
    done = client.post(url, {"_page": key, "_nonce": nonce, "q1": str(score)})
    assert done.status_code == 303
    ending = client.get(done["Location"])
    assert 'data-testid="ending"' in ending.content.decode()
    return str(ending.content.decode())


def _links(html: str) -> list[str]:
    import re

    section = html.split('data-testid="review-links"', 1)
    return re.findall(r'href="([^"]+/r/[^"]+/)"', section[1]) if len(section) == 2 else []


def test_the_thank_you_page_offers_the_review_links_to_everyone(
    personas: Personas, google: Any
) -> None:
    survey = _survey(personas.org, [NPS, WHY])
    review_site_create(organization=personas.org, name="Naver", url="https://naver.me/acme")
    assert _links(_complete_on_the_page(survey, 2)) == []  # off until the organization says so

    settings_page = reverse("advocacy:settings", args=[personas.org.slug])
    saved = personas.client_for(personas.analyst).post(
        settings_page, {"mode": "everyone", "show_on_ending": "on"}
    )
    assert saved.status_code == 302
    detractor = _links(_complete_on_the_page(survey, 2))
    promoter = _links(_complete_on_the_page(survey, 10))
    assert len(detractor) == len(promoter) == 2  # the same sites, whatever the score

    # The links go through the tracked redirect to the site's own page.
    path = "/" + detractor[0].split("://", 1)[1].split("/", 1)[1]
    followed = Client().get(path, HTTP_USER_AGENT="Phone/1.0")
    assert followed.status_code == 302 and followed["Location"] == "https://g.page/r/acme/review"
    click = ReviewClick.objects.get()
    assert (click.source, click.band, click.site, click.invitation) == (
        "ending", "detractors", google, None,
    )  # fmt: skip
    assert click.response == Response.objects.filter(answers__q1=2).latest("completed_at")
    stats = personas.client_for(personas.viewer).get(
        reverse("advocacy:invitations", args=[personas.org.slug])
    )
    assert "From thank-you pages" in stats.content.decode()


def test_in_promoters_only_mode_the_thank_you_page_follows_it(
    personas: Personas, google: Any
) -> None:
    survey = _survey(personas.org, [NPS])
    review_settings_update(
        organization=personas.org, mode=ReviewMode.PROMOTERS_ONLY, acknowledge_warning=True,
        show_on_ending=True,
    )  # fmt: skip
    assert _links(_complete_on_the_page(survey, 5)) == []
    assert len(_links(_complete_on_the_page(survey, 9))) == 1


# --- consent at send time -------------------------------------------------------------------


def test_an_invitation_is_not_sent_to_someone_who_unsubscribed_meanwhile(
    personas: Personas, google: Any
) -> None:
    survey = _survey(personas.org, [NPS])
    # Every organization starts with the rule that offers everyone the review links.
    rule = Rule.objects.get(organization=personas.org, default_key="default_review_invitations")
    stays = make_contact(personas.org, email="stays@example.com")
    leaves = make_contact(personas.org, email="leaves@example.com")
    for contact in (stays, leaves):
        response = response_create_complete(survey=survey, answers={"q1": 8},
                                            contact_id=contact.pk)  # fmt: skip
        event_run(trigger="response.completed", subject_type="response",
                  subject_id=str(response.pk), event_key=str(response.pk))  # fmt: skip
    assert ReviewInvitation.objects.count() == 2

    contact_unsubscribe(contact=leaves, via="link")
    deliveries_flush()
    assert Delivery.objects.get(target="stays@example.com").status == DeliveryStatus.SENT
    stopped = Delivery.objects.get(target="leaves@example.com")
    assert (stopped.status, stopped.last_error) == (
        DeliveryStatus.CANCELLED,
        "contact unsubscribed",
    )
    run = RuleRun.objects.get(
        rule=rule, subject_id=str(Response.objects.get(contact_id=leaves.pk).pk)
    )
    assert run.action_results[0]["status"] == "skipped"
    assert "unsubscribed before it went out" in run.action_results[0]["detail"]
    page = (
        personas.client_for(personas.viewer)
        .get(reverse("advocacy:invitations", args=[personas.org.slug]))
        .content.decode()
    )
    assert "not sent: the contact unsubscribed meanwhile" in page


# --- the promoter pool ----------------------------------------------------------------------


def _promoter(survey: Any, n: int) -> None:
    contact = make_contact(survey.organization, first_name=f"Fan{n:03d}", email=f"fan{n}@ex.com")
    response_create_complete(
        survey=survey, answers={"q1": 10, "why": f"Love it {n}", "testimonial_consent": True},
        contact_id=contact.pk,
    )  # fmt: skip


def test_only_roles_that_may_see_advocates_open_the_pool(personas: Personas) -> None:
    survey = _survey(personas.org, [NPS, WHY, CONSENT])
    _promoter(survey, 1)
    pool = reverse("advocacy:pool", args=[personas.org.slug])
    for user in (personas.owner, personas.admin, personas.analyst):
        page = personas.client_for(user).get(pool)
        assert page.status_code == 200 and "fan1@ex.com" in page.content.decode()
    for user in (personas.agent, personas.viewer):
        assert personas.client_for(user).get(pool).status_code == 403
        csv = reverse("advocacy:pool_csv", args=[personas.org.slug])
        assert personas.client_for(user).get(csv).status_code == 403
        tabs = personas.client_for(user).get(
            reverse("advocacy:invitations", args=[personas.org.slug])
        )
        assert tabs.status_code == 200 and "Promoter pool" not in tabs.content.decode()
    assert personas.client_for(personas.outsider).get(pool).status_code == 404


def test_the_pool_is_paged_and_its_queries_do_not_grow_with_it(personas: Personas) -> None:
    survey = _survey(personas.org, [NPS, WHY, CONSENT])
    client = personas.client_for(personas.analyst)
    pool = reverse("advocacy:pool", args=[personas.org.slug])
    for n in range(3):
        _promoter(survey, n)
    with CaptureQueriesContext(connection) as few:
        assert client.get(pool).status_code == 200
    for n in range(3, 57):
        _promoter(survey, n)
    with CaptureQueriesContext(connection) as many:
        first = client.get(pool)
    assert len(many) == len(few)
    html = first.content.decode()
    assert "57 promoters" in html and html.count("@ex.com") == 50
    assert "Love it 56" in html  # the newest answer first, with its verbatim
    second = client.get(pool, {"page": "2"}).content.decode()
    assert second.count("@ex.com") == 7 and "Love it 0" in second
    searched = client.get(pool, {"q": "Love it 42"}).content.decode()
    assert "fan42@ex.com" in searched and searched.count("@ex.com") == 1
    export = client.get(reverse("advocacy:pool_csv", args=[personas.org.slug]))
    assert len(export.content.decode("utf-8-sig").strip().splitlines()) == 58
