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
        "rate_limit_per_ip": "30",
        "rate_limit_per_minute": "600",
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
    assert (widget.rate_limit_per_ip, widget.rate_limit_per_minute) == (30, 600)
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


def _posts(survey: object = None) -> list[tuple[str, object]]:
    posts = ListeningPost.objects.filter(channel=ListeningChannel.WIDGET)
    if survey is not None:
        posts = posts.filter(survey=survey)
    return [(p.touchpoint.key, p.survey_id) for p in posts.select_related("touchpoint")]


def test_the_widgets_listening_post_follows_the_widget(personas: Personas) -> None:
    survey = widget_survey(personas.org)
    other_survey = widget_survey(personas.org, name="Other survey")
    web = Touchpoint.objects.create(organization=personas.org, key="web", name="Web")
    app = Touchpoint.objects.create(organization=personas.org, key="app", name="App")
    client = personas.client_for(personas.owner)
    client.post(base(personas) + "new/", form(survey.pk, touchpoint=str(web.pk)))
    widget = Widget.objects.get()
    assert widget.listening_post is not None
    assert _posts() == [("web", survey.pk)]
    url = f"{base(personas)}{widget.pk}/"
    # Another touchpoint: the post moves.
    client.post(url, form(survey.pk, touchpoint=str(app.pk)))
    assert _posts() == [("app", survey.pk)]
    # Another survey: it moves again.
    client.post(url, form(other_survey.pk, touchpoint=str(app.pk)))
    assert _posts() == [("app", other_survey.pk)]
    # Paused: gone; active again: back.
    client.post(url, form(other_survey.pk, touchpoint=str(app.pk), is_active=""))
    assert _posts() == []
    client.post(url, form(other_survey.pk, touchpoint=str(app.pk)))
    assert _posts() == [("app", other_survey.pk)]
    # No touchpoint: gone.
    client.post(url, form(other_survey.pk, touchpoint=""))
    assert _posts() == []
    client.post(url, form(other_survey.pk, touchpoint=str(app.pk)))
    # Deleted: gone.
    client.post(url + "delete/")
    assert _posts() == []


def test_a_post_shared_by_two_widgets_stays_until_the_last_goes(personas: Personas) -> None:
    survey = widget_survey(personas.org)
    web = Touchpoint.objects.create(organization=personas.org, key="web", name="Web")
    first = make_widget(personas.org, survey=survey, touchpoint=web)
    second = make_widget(personas.org, survey=survey, touchpoint=web, name="Second")
    assert first.listening_post_id == second.listening_post_id is not None
    client = personas.client_for(personas.owner)
    client.post(f"{base(personas)}{first.pk}/delete/")
    assert _posts() == [("web", survey.pk)]
    client.post(f"{base(personas)}{second.pk}/delete/")
    assert _posts() == []


def test_a_hand_made_post_is_left_alone(personas: Personas) -> None:
    from closeloop.distribution.journey_services import listening_post_add

    survey = widget_survey(personas.org)
    web = Touchpoint.objects.create(organization=personas.org, key="web", name="Web")
    listening_post_add(touchpoint=web, survey=survey, channel=ListeningChannel.WIDGET)
    widget = make_widget(personas.org, survey=survey, touchpoint=web)
    assert widget.listening_post is None
    personas.client_for(personas.owner).post(f"{base(personas)}{widget.pk}/delete/")
    assert _posts() == [("web", survey.pk)]


def test_the_touchpoint_page_lists_a_widget_once(personas: Personas) -> None:
    from closeloop.distribution.journey_services import listening_post_add

    survey = widget_survey(personas.org)
    web = Touchpoint.objects.create(organization=personas.org, key="web", name="Web")
    make_widget(personas.org, survey=survey, touchpoint=web, name="Checkout slide-in")
    page = personas.client_for(personas.viewer).get(f"/o/{personas.org.slug}/journey/{web.pk}/")
    html = page.content.decode()
    assert html.count("Checkout slide-in") == 1
    assert html.count(survey.name) == 1
    # Also when someone had added the same post by hand.
    shop = Touchpoint.objects.create(organization=personas.org, key="shop", name="Shop")
    listening_post_add(touchpoint=shop, survey=survey, channel=ListeningChannel.WIDGET)
    make_widget(personas.org, survey=survey, touchpoint=shop, name="Shop slide-in")
    html = personas.client_for(personas.viewer).get(f"/o/{personas.org.slug}/journey/{shop.pk}/")
    assert html.content.decode().count(survey.name) == 1
