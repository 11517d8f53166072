"""Staff pages for website widgets: list with snippet, create, edit, delete, preview."""

from __future__ import annotations

from closeloop.distribution.choices import ListeningChannel
from closeloop.distribution.models import ListeningPost, Touchpoint, Widget
from closeloop.distribution.tests.widget_factories import make_widget, widget_survey
from closeloop.surveys.services import survey_create
from conftest import Personas


def base(personas: Personas) -> str:
    return f"/o/{personas.org.slug}/widgets/"


def form(survey_id: object, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Checkout",
        "survey": str(survey_id),
        "placement": "popup",
        "allowed_origins": "https://www.example.com\nhttp://localhost:3000/\n",
        "event": "checkout_done",
        "min_seconds": "",
        "scroll_percent": "50",
        "is_active": "on",
        "rate_limit_per_minute": "60",
    }
    data.update(extra)
    return data


def test_list_shows_the_snippet_and_try_it(personas: Personas) -> None:
    widget = make_widget(personas.org)
    page = personas.client_for(personas.viewer).get(base(personas))
    assert page.status_code == 200
    html = page.content.decode()
    assert widget.name in html
    assert f"data-key=&quot;{widget.public_key}&quot;" in html
    assert "http://testserver/widget.js" in html
    assert f"/widgets/{widget.pk}/preview/" in html
    assert "New widget" not in html  # the viewer cannot create one


def test_create_a_widget(personas: Personas) -> None:
    survey = widget_survey(personas.org)
    touchpoint = Touchpoint.objects.create(organization=personas.org, key="web", name="Web")
    client = personas.client_for(personas.analyst)
    assert client.get(base(personas) + "new/").status_code == 200
    response = client.post(base(personas) + "new/", form(survey.pk, touchpoint=str(touchpoint.pk)))
    assert response.status_code == 302
    widget = Widget.objects.get(organization=personas.org)
    assert widget.survey == survey and widget.placement == "popup"
    assert widget.allowed_origins == ["https://www.example.com", "http://localhost:3000"]
    assert widget.triggers == {"scroll_percent": 50, "event": "checkout_done"}
    assert widget.rate_limit_per_minute == 60
    assert ListeningPost.objects.filter(
        touchpoint=touchpoint, survey=survey, channel=ListeningChannel.WIDGET
    ).exists()
    edit = client.get(response["Location"])
    assert widget.public_key in edit.content.decode()
    assert "Copy snippet" in edit.content.decode()


def test_bad_origin_and_unpublished_survey_are_refused(personas: Personas) -> None:
    survey = widget_survey(personas.org)
    draft = survey_create(organization=personas.org, actor=None, name="Draft")
    client = personas.client_for(personas.owner)
    response = client.post(
        base(personas) + "new/", form(survey.pk, allowed_origins="www.example.com/path")
    )
    assert response.status_code == 400
    assert "is not an origin" in response.content.decode()
    response = client.post(base(personas) + "new/", form(draft.pk))
    assert response.status_code == 400
    assert not Widget.objects.exists()


def test_edit_and_delete(personas: Personas) -> None:
    widget = make_widget(personas.org)
    client = personas.client_for(personas.owner)
    url = f"{base(personas)}{widget.pk}/"
    response = client.post(url, form(widget.survey_id, name="Renamed", is_active=""))
    assert response.status_code == 302
    widget.refresh_from_db()
    assert widget.name == "Renamed" and widget.is_active is False
    assert client.post(url + "delete/").status_code == 302
    assert not Widget.objects.filter(pk=widget.pk).exists()


def test_viewer_cannot_change_a_widget(personas: Personas) -> None:
    widget = make_widget(personas.org)
    client = personas.client_for(personas.viewer)
    assert client.post(f"{base(personas)}{widget.pk}/delete/").status_code == 403
    assert Widget.objects.filter(pk=widget.pk).exists()


def test_preview_page_embeds_the_real_script(personas: Personas) -> None:
    widget = make_widget(personas.org, triggers={"event": "checkout_done"})
    page = personas.client_for(personas.viewer).get(f"{base(personas)}{widget.pk}/preview/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<script src="/widget.js" data-key="{widget.public_key}" async></script>' in html
    assert 'data-event="checkout_done"' in html
