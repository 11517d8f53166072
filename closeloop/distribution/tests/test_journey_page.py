"""The journey page and a touchpoint's page, as members use them."""

from __future__ import annotations

import re

from django.urls import reverse

from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.journey_selectors import journey
from closeloop.distribution.journey_services import listening_post_add, touchpoints_ensure_defaults
from closeloop.distribution.models import ListeningPost, Touchpoint
from closeloop.distribution.tests.journey_factories import answer_at, make_survey
from conftest import Personas


def _url(personas: Personas, name: str = "journey:list", **kwargs: object) -> str:
    return reverse(name, kwargs={"org_slug": personas.org.slug, **kwargs})


def _card(html: str, key: str) -> str:
    match = re.search(rf'id="tp-{key}".*?</article>', html, re.S)
    assert match, f"no card for {key}"
    return match.group(0)


def test_first_visit_shows_the_default_journey_with_gaps(personas: Personas) -> None:
    response = personas.client_for(personas.viewer).get(_url(personas))
    assert response.status_code == 200
    html = response.content.decode()
    keys = re.findall(r'data-testid="touchpoint" data-key="([^"]+)"', html)
    assert keys[0] == "website-visit" and keys[-1] == "cancellation" and len(keys) == 7
    assert html.count('data-testid="no-listening-post"') == 7
    # a viewer reads; only editors get the buttons and the form
    assert "direction" not in html and "New touchpoint" not in html


def test_journey_figures_from_responses_at_the_touchpoint(personas: Personas) -> None:
    touchpoints_ensure_defaults(organization=personas.org)
    delivery = Touchpoint.objects.get(organization=personas.org, key="delivery")
    support = Touchpoint.objects.get(organization=personas.org, key="support-call")
    nps = make_survey(personas.org, "nps", name="Delivery NPS")
    listening_post_add(touchpoint=delivery, survey=nps, channel=ListeningChannel.QR)
    for score in (10, 9, 9, 8, 3):  # 3 promoters, 1 passive, 1 detractor: NPS +40
        answer_at(nps, delivery, score)
    answer_at(nps, delivery, 0, days_ago=120)  # outside the 90 days
    answer_at(nps, None, 0)  # not at a touchpoint
    ces = make_survey(personas.org, "ces", name="Support effort")
    listening_post_add(touchpoint=support, survey=ces, channel=ListeningChannel.EVENT)
    for score in (7, 5, 3):
        answer_at(ces, support, score)

    html = personas.client_for(personas.analyst).get(_url(personas)).content.decode()
    card = _card(html, "delivery")
    assert 'data-testid="responses">5<' in card
    assert "NPS" in card and "+40" in card and "n=5" in card
    assert "Delivery NPS" in card and "QR code" in card
    assert "no-listening-post" not in card
    support_card = _card(html, "support-call")
    assert "CES" in support_card and "5.0" in support_card and "n=3" in support_card
    assert "no-listening-post" in _card(html, "cancellation")

    stops = {s.touchpoint.key: s for s in journey(organization=personas.org)}
    assert stops["delivery"].score is not None
    assert (stops["delivery"].score.metric, stops["delivery"].score.value) == ("nps", 40)
    assert stops["purchase"].responses == 0 and stops["purchase"].score is None


def test_csat_score_is_the_share_satisfied(personas: Personas) -> None:
    touchpoints_ensure_defaults(organization=personas.org)
    onboarding = Touchpoint.objects.get(organization=personas.org, key="onboarding")
    csat = make_survey(personas.org, "csat")
    for score in (5, 4, 2, 1):
        answer_at(csat, onboarding, score)
    stop = next(s for s in journey(organization=personas.org) if s.touchpoint == onboarding)
    assert stop.score is not None and stop.score.display == "50%" and stop.score.n == 4
    # answered there, but nobody set up a listening post: still flagged
    assert stop.no_listening_post


def test_editor_adds_moves_and_deletes_a_touchpoint(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    response = client.post(_url(personas), {"name": "Store visit", "description": "At the till"})
    store = Touchpoint.objects.get(organization=personas.org, key="store-visit")
    assert response.status_code == 302
    assert response["Location"] == _url(personas, "journey:detail", touchpoint_id=store.pk)
    assert store.position == 7

    response = client.post(
        _url(personas, "journey:move", touchpoint_id=store.pk), {"direction": "up"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#tp-store-visit")
    order = list(Touchpoint.objects.filter(organization=personas.org).values_list("key", flat=True))
    assert order[-2:] == ["store-visit", "cancellation"]

    response = client.post(_url(personas), {"name": ""})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()

    response = client.post(
        _url(personas, "journey:detail", touchpoint_id=store.pk),
        {"name": "Shop visit", "description": ""},
    )
    store.refresh_from_db()
    assert response.status_code == 302 and store.name == "Shop visit" and store.key == "store-visit"

    response = client.post(_url(personas, "journey:delete", touchpoint_id=store.pk))
    assert response.status_code == 302
    assert not Touchpoint.objects.filter(pk=store.pk).exists()


def test_viewer_cannot_change_the_journey(personas: Personas) -> None:
    client = personas.client_for(personas.viewer)
    assert client.post(_url(personas), {"name": "Nope"}).status_code == 403
    assert not Touchpoint.objects.filter(organization=personas.org, key="nope").exists()


def test_listening_post_gives_a_link_and_a_qr_code(personas: Personas) -> None:
    touchpoints_ensure_defaults(organization=personas.org)
    delivery = Touchpoint.objects.get(organization=personas.org, key="delivery")
    survey = make_survey(personas.org, "nps", name="Parcel survey")
    client = personas.client_for(personas.analyst)
    response = client.post(
        _url(personas, "journey:post_add", touchpoint_id=delivery.pk),
        {"survey": str(survey.pk), "channel": "qr"},
    )
    assert response.status_code == 302
    post = ListeningPost.objects.get(touchpoint=delivery)
    # the same again is refused on the form
    again = client.post(
        _url(personas, "journey:post_add", touchpoint_id=delivery.pk),
        {"survey": str(survey.pk), "channel": "qr"},
    )
    assert again.status_code == 400 and "already listens" in again.content.decode()

    html = client.get(_url(personas, "journey:detail", touchpoint_id=delivery.pk)).content.decode()
    link = f"http://testserver/s/{survey.public_token}/?tp=delivery&amp;ch=qr"
    assert link.replace("http://testserver", "") in html
    qr_url = _url(personas, "journey:qr", touchpoint_id=delivery.pk, survey_id=survey.pk)
    assert f'src="{qr_url}"' in html
    assert f"{qr_url}?format=png&amp;download=1" in html
    assert 'data-copy="link-' in html
    poster = client.get(
        _url(personas, "journey:poster", touchpoint_id=delivery.pk, survey_id=survey.pk)
    )
    assert poster.status_code == 200 and qr_url in poster.content.decode()
    # the journey card shows the code too
    assert f'src="{qr_url}"' in _card(client.get(_url(personas)).content.decode(), "delivery")

    response = client.post(
        _url(personas, "journey:post_remove", touchpoint_id=delivery.pk, listening_post_id=post.pk)
    )
    assert response.status_code == 302 and not ListeningPost.objects.filter(pk=post.pk).exists()


def test_campaigns_rules_and_widgets_at_a_touchpoint_count_as_listening(
    personas: Personas,
) -> None:
    from closeloop.distribution.models import Campaign, TriggerRule, Widget

    touchpoints_ensure_defaults(organization=personas.org)
    tp = {t.key: t for t in Touchpoint.objects.filter(organization=personas.org)}
    survey = make_survey(personas.org)
    Campaign.objects.create(
        organization=personas.org, name="Renewal ask", survey=survey, touchpoint=tp["renewal"]
    )
    TriggerRule.objects.create(
        organization=personas.org,
        name="After a call",
        event_type="support_ticket_closed",
        survey=survey,
        touchpoint=tp["support-call"],
    )
    Widget.objects.create(
        organization=personas.org, name="Site", survey=survey, touchpoint=tp["website-visit"]
    )
    stops = {s.touchpoint.key: s for s in journey(organization=personas.org)}
    assert [c for c, _ in stops["renewal"].channels] == ["email"]
    assert [c for c, _ in stops["support-call"].channels] == ["event"]
    assert [c for c, _ in stops["website-visit"].channels] == ["widget"]
    assert stops["cancellation"].no_listening_post
    html = personas.client_for(personas.viewer).get(
        _url(personas, "journey:detail", touchpoint_id=tp["renewal"].pk)
    )
    assert "Renewal ask" in html.content.decode()
