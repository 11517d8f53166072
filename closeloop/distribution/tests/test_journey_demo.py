"""The demo journey: listening posts at all but cancellation, figures, and safe to run twice."""

from __future__ import annotations

from django.urls import reverse

from closeloop.demo.journey import seed_journey
from closeloop.distribution.journey_selectors import journey
from closeloop.distribution.models import ListeningPost
from closeloop.responses.models import Response
from conftest import Personas


def test_demo_journey(personas: Personas) -> None:
    seed_journey(personas.org)
    posts, responses = ListeningPost.objects.count(), Response.objects.count()
    seed_journey(personas.org)
    assert (ListeningPost.objects.count(), Response.objects.count()) == (posts, responses)

    stops = {s.touchpoint.key: s for s in journey(organization=personas.org)}
    assert [k for k, s in stops.items() if s.no_listening_post] == ["cancellation"]
    assert [c for c, _ in stops["delivery"].channels] == ["link", "qr"]
    purchase = stops["purchase"].score
    assert purchase is not None and purchase.metric == "nps" and purchase.n == 24
    assert stops["support-call"].score is not None
    assert stops["support-call"].score.metric == "ces"

    html = (
        personas.client_for(personas.viewer)
        .get(reverse("journey:list", kwargs={"org_slug": personas.org.slug}))
        .content.decode()
    )
    assert html.count('data-testid="no-listening-post"') == 1
