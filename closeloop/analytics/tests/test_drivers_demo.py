"""The demo gives the drivers page something real to explain, and only once."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from closeloop.accounts.models import Organization, User
from closeloop.demo.seed import OWNER_EMAIL, seed_demo
from closeloop.demo.seed_analytics import BANGKOK, SEOUL, seed_demo_analytics
from closeloop.responses.models import AnswerFact, Response
from closeloop.surveys.models import Survey


def test_demo_drivers_page_has_real_drivers(db: None) -> None:
    seed_demo()
    counts = (Response.objects.count(), AnswerFact.objects.count())
    seed_demo_analytics()
    assert (Response.objects.count(), AnswerFact.objects.count()) == counts

    client = Client()
    client.force_login(User.objects.get(email=OWNER_EMAIL))
    for spec, top in ((SEOUL, "q:speed"), (BANGKOK, "q:app")):
        org = Organization.objects.get(slug=spec.slug)
        survey = Survey.objects.get(organization=org, name=spec.name)
        # the analytics step's year of history (the impact step adds NPS-only answers around
        # a shipped initiative, marked in `hidden`)
        responses = Response.objects.filter(survey=survey).exclude(hidden__has_key="impact_demo")
        assert responses.count() == 400
        assert not responses.filter(historical=False).exists()
        assert responses.filter(language=spec.language).count() > 300
        url = reverse("analytics:drivers", kwargs={"org_slug": org.slug})

        page = client.get(f"{url}?survey={survey.pk}&target=nps")

        assert page.status_code == 200
        analysis = page.context["analysis"]
        assert analysis.n > 200
        assert analysis.r_squared > 0.4
        assert analysis.drivers[0].key == top
        assert analysis.drivers[0].quadrant == "fix_first"
        assert "fix it first" in analysis.summary[0]
    seoul = Organization.objects.get(slug=SEOUL.slug)
    survey = Survey.objects.get(organization=seoul, name=SEOUL.name)
    page = client.get(f"{reverse('analytics:drivers', args=[seoul.slug])}?survey={survey.pk}")
    keys = {d.key for d in page.context["analysis"].drivers}
    assert {"attr:plan", "attr:newsletter"} <= keys  # known customers bring their attributes
