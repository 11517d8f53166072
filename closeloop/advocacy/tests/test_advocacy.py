"""Review invitations that follow review sites' rules, tracked clicks, and the promoter pool."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from closeloop.advocacy.models import ReviewClick, ReviewMode, ReviewSite, ReviewSiteKind
from closeloop.advocacy.services import (
    review_invitation_send,
    review_links_for,
    review_settings_get,
    review_site_create,
)
from closeloop.contacts.models import Contact
from closeloop.contacts.tests.factories import make_contact
from closeloop.integrations.models import Delivery
from closeloop.responses.services import response_create_complete
from closeloop.responses.testing import publish_survey

pytestmark = pytest.mark.django_db

URL_RE = re.compile(r"https?://[^\s\"<]+/r/[^\s\"<]+/")


def _definition() -> dict[str, Any]:
    en = lambda t: {"en": t}  # noqa: E731
    return {
        "default_language": "en",
        "languages": ["en"],
        "title": en("Visit"),
        "pages": [
            {
                "key": "p1",
                "questions": [
                    {"key": "q1", "type": "nps", "required": True, "title": en("Recommend?")},
                    {"key": "why", "type": "long_text", "title": en("Why?")},
                    {
                        "key": "testimonial_consent",
                        "type": "consent",
                        "title": en("Testimonials"),
                        "text": en("You may contact me for a testimonial"),
                    },
                ],
            }
        ],
        "endings": [{"key": "end", "title": en("Thanks"), "message": en("Bye")}],
    }


@pytest.fixture
def setup(personas: Any) -> dict[str, Any]:
    survey = publish_survey(personas.org, _definition(), name="Visit")
    google = review_site_create(
        organization=personas.org, name="Google", kind=ReviewSiteKind.GOOGLE,
        url="https://g.page/r/acme/review",
    )  # fmt: skip
    trustpilot = review_site_create(
        organization=personas.org, name="Trustpilot", kind=ReviewSiteKind.TRUSTPILOT,
        url="https://www.trustpilot.com/evaluate/acme.test",
    )  # fmt: skip
    return {"survey": survey, "google": google, "trustpilot": trustpilot}


def _answer(
    setup: dict[str, Any], org: Any, score: int, consent: bool, why: str = "", **c: Any
) -> Any:
    contact = make_contact(org, **c)
    return response_create_complete(
        survey=setup["survey"],
        answers={"q1": score, "why": why, "testimonial_consent": consent},
        contact_id=contact.pk,
    )


def _links(delivery: Delivery) -> list[str]:
    return URL_RE.findall(delivery.payload["text"])


def test_everyone_mode_sends_the_same_links_to_a_detractor(personas: Any, setup: Any) -> None:
    detractor = _answer(setup, personas.org, 2, False, first_name="Dae")
    promoter = _answer(setup, personas.org, 10, True, first_name="Pam")
    bad = review_invitation_send(response=detractor)
    good = review_invitation_send(response=promoter)
    assert bad is not None and good is not None
    assert (bad.band, bad.score, good.band) == ("detractors", 2, "promoters")
    assert bad.delivery.payload["subject"] == "Thank you for your honest feedback"
    assert good.delivery.payload["subject"] == "Would you share your experience?"
    assert len(_links(bad.delivery)) == len(_links(good.delivery)) == 2
    assert "Google" in bad.delivery.payload["text"] and "Trustpilot" in bad.delivery.payload["html"]
    assert "List-Unsubscribe" in bad.delivery.payload["headers"]
    # Once per response.
    assert review_invitation_send(response=detractor).pk == bad.pk
    assert Delivery.objects.filter(related_type="review_invitation").count() == 2


def test_promoters_only_needs_the_warning_acknowledged(personas: Any, setup: Any) -> None:
    client = personas.client_for(personas.analyst)
    url = reverse("advocacy:settings", args=[personas.org.slug])
    page = client.get(url).content.decode()
    assert "Google and Trustpilot forbid selective asking" in page
    refused = client.post(url, {"mode": ReviewMode.PROMOTERS_ONLY})
    assert refused.status_code == 400
    assert "Tick the box" in refused.content.decode()
    assert review_settings_get(organization=personas.org).mode == ReviewMode.EVERYONE

    ok = client.post(url, {"mode": ReviewMode.PROMOTERS_ONLY, "acknowledge_warning": "on"})
    assert ok.status_code == 302
    row = review_settings_get(organization=personas.org)
    assert row.mode == ReviewMode.PROMOTERS_ONLY
    assert row.acknowledged_selective_asking_warning_at is not None
    assert row.acknowledged_by == personas.analyst

    detractor = _answer(setup, personas.org, 5, False)
    promoter = _answer(setup, personas.org, 9, False)
    assert review_invitation_send(response=detractor) is None
    assert review_invitation_send(response=promoter) is not None
    assert review_links_for(organization=personas.org, score=5, language="en") == []
    assert len(review_links_for(organization=personas.org, score=9, language="en")) == 2

    client.post(url, {"mode": ReviewMode.EVERYONE})
    row.refresh_from_db()
    assert row.mode == ReviewMode.EVERYONE and row.acknowledged_selective_asking_warning_at is None


def test_custom_wording_per_band_and_language(personas: Any, setup: Any) -> None:
    client = personas.client_for(personas.owner)
    client.post(
        reverse("advocacy:settings", args=[personas.org.slug]),
        {
            "mode": "everyone",
            "en__detractors__subject": "Sorry about your visit",
            "en__detractors__body": "We are fixing it.",
        },
    )
    invitation = review_invitation_send(response=_answer(setup, personas.org, 0, False))
    assert invitation is not None
    assert invitation.delivery.payload["subject"] == "Sorry about your visit"
    assert invitation.delivery.payload["text"].startswith("We are fixing it.")


def test_click_redirects_only_to_the_configured_site(personas: Any, setup: Any) -> None:
    invitation = review_invitation_send(response=_answer(setup, personas.org, 8, False))
    assert invitation is not None
    google_link, trustpilot_link = _links(invitation.delivery)
    path = google_link.split("://", 1)[1].split("/", 1)[1]
    client = personas.client_for(personas.viewer)
    response = client.get("/" + path, HTTP_USER_AGENT="Mail/1.0")
    assert response.status_code == 302
    assert response["Location"] == "https://g.page/r/acme/review"
    click = ReviewClick.objects.get()
    assert (click.site, click.invitation) == (setup["google"], invitation)
    assert len(click.user_agent_hash) == 64

    # A tampered token, or a site no longer offered, goes nowhere.
    assert client.get("/" + path[:-3] + "xx/").status_code == 404
    ReviewSite.objects.filter(pk=setup["trustpilot"].pk).update(is_active=False)
    tp_path = trustpilot_link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + tp_path).status_code == 404

    stats = personas.client_for(personas.viewer).get(
        reverse("advocacy:invitations", args=[personas.org.slug])
    )
    assert stats.status_code == 200


def test_unsubscribed_contacts_get_no_invitation(personas: Any, setup: Any) -> None:
    from closeloop.contacts.services import contact_unsubscribe

    response = _answer(setup, personas.org, 10, True)
    from closeloop.contacts.models import Contact

    contact_unsubscribe(contact=Contact.objects.get(pk=response.contact_id), via="link")
    assert review_invitation_send(response=response) is None


def test_promoter_pool_lists_consenting_promoters_with_their_verbatims(
    personas: Any, setup: Any
) -> None:
    _answer(setup, personas.org, 10, True, "Best flat white in town", first_name="Yuna",
            email="yuna@example.com")  # fmt: skip
    _answer(setup, personas.org, 9, False, "Great", first_name="Nope")
    _answer(setup, personas.org, 4, True, "Too slow", first_name="Detractor")
    # A promoter who has since unsubscribed is not offered to Marketing.
    gone = _answer(setup, personas.org, 10, True, "Lovely", first_name="Unsubscribed")
    Contact.objects.filter(pk=gone.contact_id).update(unsubscribed_at=timezone.now())
    # A promoter who later became a passive is not in the pool.
    contact = make_contact(personas.org, first_name="Changed")
    for score in (10, 7):
        response_create_complete(
            survey=setup["survey"], answers={"q1": score, "testimonial_consent": True},
            contact_id=contact.pk,
        )  # fmt: skip

    client = personas.client_for(personas.analyst)
    page = client.get(reverse("advocacy:pool", args=[personas.org.slug])).content.decode()
    assert "Yuna" in page and "Best flat white in town" in page
    for absent in ("Nope", "Detractor", "Changed", "Unsubscribed"):
        assert absent not in page
    assert (
        "Yuna"
        not in client.get(
            reverse("advocacy:pool", args=[personas.org.slug]), {"language": "ko"}
        ).content.decode()
    )

    viewer = personas.client_for(personas.viewer)
    assert viewer.get(reverse("advocacy:pool_csv", args=[personas.org.slug])).status_code == 403
    export = personas.client_for(personas.analyst).get(
        reverse("advocacy:pool_csv", args=[personas.org.slug])
    )
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("name,email,score")
    assert len(lines) == 2 and "yuna@example.com" in lines[1]


def test_review_sites_are_added_and_reordered_in_the_ui(personas: Any) -> None:
    client = personas.client_for(personas.analyst)
    new = reverse("advocacy:site_new", args=[personas.org.slug])
    for name in ("Google", "Naver Place"):
        response = client.post(
            new,
            {
                "name": name,
                "kind": "other",
                "url": f"https://{name[:5].lower()}.example/r",
                "is_active": "on",
            },
        )
        assert response.status_code == 302
    naver = ReviewSite.objects.get(name="Naver Place")
    client.post(
        reverse("advocacy:site_move", args=[personas.org.slug, naver.pk]), {"direction": "up"}
    )
    assert list(ReviewSite.objects.values_list("name", flat=True)) == ["Naver Place", "Google"]
    assert (
        client.post(new, {"name": "x", "kind": "other", "url": "javascript:alert(1)"}).status_code
        == 400
    )
    viewer = personas.client_for(personas.viewer)
    assert (
        viewer.post(new, {"name": "x", "kind": "other", "url": "https://x.example"}).status_code
        == 403
    )
