"""The staff pages: the responses list with filters, and one response's answers."""

from __future__ import annotations

from closeloop.responses.services import response_create_complete
from closeloop.responses.testing import five_question_definition, publish_survey
from closeloop.surveys.models import Survey
from conftest import Personas


def test_list_filters_and_detail(personas: Personas, survey: Survey) -> None:
    other = publish_survey(personas.org, five_question_definition(), name="Five")
    first = response_create_complete(
        survey=survey, answers={"q1": 4, "q2": ["speed"], "q3": "The queue was far too long"}
    )
    response_create_complete(survey=other, answers={"q1": 9, "q2": 5})
    client = personas.client_for(personas.viewer)
    base = f"/o/{personas.org.slug}/responses/"
    page = client.get(base)
    html = page.content.decode()
    assert page.status_code == 200
    assert "The queue was far too long" in html and "Five" in html
    filtered = client.get(base, {"survey": str(other.pk), "status": "complete"}).content.decode()
    assert "The queue was far too long" not in filtered and "Five" in filtered
    none = client.get(base, {"until": "2000-01-01"}).content.decode()
    assert "No responses yet." in none
    detail = client.get(f"{base}{first.pk}/")
    text = detail.content.decode()
    assert detail.status_code == 200
    assert "How likely are you to recommend us?" in text and "Speed" in text


def test_outsider_gets_404(personas: Personas, survey: Survey) -> None:
    response = response_create_complete(survey=survey, answers={"q1": 4, "q2": ["speed"]})
    outsider = personas.client_for(personas.outsider)
    assert outsider.get(f"/o/{personas.org.slug}/responses/").status_code == 404
    assert outsider.get(f"/o/{personas.org.slug}/responses/{response.pk}/").status_code == 404
    own_org = f"/o/{personas.other_org.slug}/responses/{response.pk}/"
    assert outsider.get(own_org).status_code == 404
