"""Every question type renders as an accessible form control and its posted value is stored."""

from __future__ import annotations

from django.test import Client

from closeloop.responses.models import Response
from closeloop.responses.testing import (
    EVERY_TYPE_FORM,
    every_type_definition,
    form_state,
    publish_survey,
)
from conftest import Personas


def test_every_type_renders_and_round_trips(personas: Personas) -> None:
    survey = publish_survey(personas.org, every_type_definition(), name="Every type")
    url = f"/s/{survey.public_token}/"
    client = Client()
    html = client.get(url).content.decode()
    assert html.count('type="radio" id="q-nps') == 11
    assert 'type="date"' in html and "<select" in html and "<table>" in html
    assert '<th scope="col" id="c-grid-bad">Bad</th>' in html
    assert 'aria-labelledby="r-grid-r1 c-grid-bad"' in html
    assert "😄" in html and "5 of 5" in html and "★" in html
    key, nonce = form_state(html)
    # A bad number keeps every other answer, and the page shows the value as typed.
    page = client.post(url, {"_page": key, "_nonce": nonce, **EVERY_TYPE_FORM, "num": "lots"})
    assert page.status_code == 200
    shown = page.content.decode()
    assert 'value="lots"' in shown and 'value="b" checked' in shown
    assert Response.objects.get().answers["rank"] == ["b", "c", "a"]
    key, nonce = form_state(shown)
    done = client.post(url, {"_page": key, "_nonce": nonce, **EVERY_TYPE_FORM})
    assert done.status_code == 303
    response = Response.objects.get()
    assert response.status == "complete"
    assert response.answers["drop"] == {"choice": "other", "other": "Something"}
    assert response.answers["grid"] == {"r1": "good", "r2": "bad"}
    assert response.answers["num"] == 42.5 and response.answers["ok"] is True
    facts = {(f.question_key, f.row_key, f.choice, f.number) for f in response.facts.all()}
    assert ("grid", "r1", "good", 2.0) in facts and ("rank", "", "b", 1.0) in facts
    assert ("csat", "", "", 5.0) in facts and ("ok", "", "", 1.0) in facts
    # Prefilled again from the stored answers (Back or reopening) for a new browser session.
    detail = personas.client_for(personas.viewer).get(
        f"/o/{personas.org.slug}/responses/{response.pk}/"
    )
    assert "1. B, 2. C, 3. A" in detail.content.decode()


def test_repeated_ranks_are_an_error(personas: Personas) -> None:
    survey = publish_survey(personas.org, every_type_definition(), name="Every type")
    url = f"/s/{survey.public_token}/"
    client = Client()
    key, nonce = form_state(client.get(url).content.decode())
    form = {**EVERY_TYPE_FORM, "rank__c": "1"}
    page = client.post(url, {"_page": key, "_nonce": nonce, **form})
    assert 'href="#q-rank"' in page.content.decode()
    assert "rank" not in Response.objects.get().answers
