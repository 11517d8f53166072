"""The survey builder as analysts, agents and viewers use it through its pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.views.ops import QUESTION_TYPES
from conftest import Personas

pytestmark = pytest.mark.django_db


def _create(client: Client, personas: Personas, **data: Any) -> Survey:
    url = reverse("surveys:new", args=[personas.org.slug])
    body = {"name": "Coffee NPS", "source": "nps", "languages": ["en", "ko", "th"], **data}
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Survey.objects.get(organization=personas.org, name=body["name"])


def _draft(survey: Survey) -> dict[str, Any]:
    version = SurveyVersion.objects.filter(survey=survey).order_by("-number").first()
    assert version is not None
    return version.definition


def _keys(survey: Survey) -> list[str]:
    return [q["key"] for page in _draft(survey)["pages"] for q in page["questions"]]


def _question(survey: Survey, key: str) -> dict[str, Any]:
    for page in _draft(survey)["pages"]:
        for question in page["questions"]:
            if question["key"] == key:
                return question
    raise AssertionError(key)


def _op(client: Client, survey: Survey, op: str, **data: Any) -> Any:
    url = reverse("surveys:op", args=[survey.organization.slug, survey.pk])
    return client.post(url, {"op": op, "tab": "questions", "lang": "en", **data})


def test_analyst_builds_and_publishes_a_survey(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    survey = _create(client, personas)
    assert survey.template_id == "nps"
    assert _draft(survey)["languages"] == ["en", "ko", "th"]

    page = client.get(reverse("surveys:edit", args=[personas.org.slug, survey.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "How likely are you to recommend" in html
    assert 'id="down-q1"' in html and 'draggable="true"' in html

    # a question of each of the 16 types
    first_page = _draft(survey)["pages"][0]["key"]
    for qtype in QUESTION_TYPES:
        response = _op(client, survey, "add_question", page=first_page, type=qtype)
        assert response.status_code == 302, (qtype, response.content.decode()[:3000])
    types = [q["type"] for q in _draft(survey)["pages"][0]["questions"]]
    assert set(QUESTION_TYPES) <= set(types)

    # the inline editor opens for a question, in Korean
    added = [q for q in _draft(survey)["pages"][0]["questions"] if q["type"] == "single_choice"]
    key = added[0]["key"]
    editor = client.get(
        reverse("surveys:edit", args=[personas.org.slug, survey.pk]),
        {"edit": key, "lang": "ko"},
    )
    assert 'data-testid="question-editor"' in editor.content.decode()

    # edit the title in Korean; the English title stays
    english = _question(survey, key)["title"]["en"]
    response = _op(
        client,
        survey,
        "save_question",
        key=key,
        lang="ko",
        title="어떤 옵션이 가장 좋나요?",
        required="on",
        show_if_present="1",
    )
    assert response.status_code == 302
    saved = _question(survey, key)
    assert saved["title"] == {"en": english, "ko": "어떤 옵션이 가장 좋나요?"}
    assert saved["required"] is True

    # add a choice, rename it, move it up
    _op(client, survey, "save_question", key=key, choice_action="add:choices", show_if_present="1")
    choices = _question(survey, key)["choices"]
    assert len(choices) == 4
    new_choice = choices[-1]["key"]
    _op(
        client,
        survey,
        "save_question",
        key=key,
        show_if_present="1",
        title=english,
        **{f"label__choices__{new_choice}": "Espresso"},
        choice_action=f"up:choices:{new_choice}",
    )
    choices = _question(survey, key)["choices"]
    assert choices[2] == {"key": new_choice, "label": {"en": "Espresso"}}

    # reorder with the buttons and by dragging (the posted order)
    keys = _keys(survey)
    _op(client, survey, "move_question", key=keys[0], direction="down")
    assert _keys(survey)[:2] == [keys[1], keys[0]]
    order = {p["key"]: [q["key"] for q in p["questions"]] for p in _draft(survey)["pages"]}
    order[first_page] = list(reversed(order[first_page]))
    # the first page's NPS answer feeds logic on later pages, so put q1 first again
    order[first_page].remove("q1")
    order[first_page].insert(0, "q1")
    _op(client, survey, "reorder", order=json.dumps(order), moved="q1")
    assert [q["key"] for q in _draft(survey)["pages"][0]["questions"]] == order[first_page]

    # duplicate and delete
    before = len(_keys(survey))
    _op(client, survey, "duplicate_question", key=key)
    assert len(_keys(survey)) == before + 1
    copy_key = _keys(survey)[_keys(survey).index(key) + 1]
    assert (
        client.post(
            reverse("surveys:op", args=[personas.org.slug, survey.pk]),
            {"op": "delete_question", "key": copy_key},
        ).status_code
        == 200
    )  # without JavaScript: a confirmation page first
    assert copy_key in _keys(survey)
    _op(client, survey, "delete_question", key=copy_key, confirmed="1")
    assert copy_key not in _keys(survey)

    # a show_if built from rows
    response = _op(
        client,
        survey,
        "save_question",
        key=key,
        title=english,
        show_if_present="1",
        show_if_field=["answer.q1", ""],
        show_if_op=["lte", "eq"],
        show_if_value=["6", ""],
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _question(survey, key)["show_if"] == {"field": "answer.q1", "op": "lte", "value": 6}

    # publishing is blocked until every string is in Korean and Thai
    publish_url = reverse("surveys:publish", args=[personas.org.slug, survey.pk])
    blockers = client.get(publish_url).content.decode()
    assert 'data-testid="publish-blockers"' in blockers
    assert "missing in ko, th" in blockers
    response = client.post(publish_url)
    assert response.status_code == 400
    # fill the translations table: every missing cell gets a text
    table = client.get(
        reverse("surveys:edit", args=[personas.org.slug, survey.pk]), {"tab": "translations"}
    ).content.decode()
    cells = dict(re.findall(r'name="(t\|[^"]+)" value="([^"]*)"', table))
    cells.update(re.findall(r'<textarea name="(t\|[^"]+)"[^>]*>([^<]*)</textarea>', table))
    filled = {name: value or f"({name.rsplit('|', 1)[1]})" for name, value in cells.items()}
    response = _op(client, survey, "save_translations", tab="translations", **filled)
    assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post(publish_url)
    assert response.status_code == 302, response.content.decode()[:3000]
    survey.refresh_from_db()
    assert survey.status == "active" and survey.current_version is not None
    assert survey.current_version.number == 1

    # editing after publishing creates version 2; the history shows both
    _op(client, survey, "save_question", key=key, title="Which one?", show_if_present="1")
    assert SurveyVersion.objects.filter(survey=survey).count() == 2
    assert _question(survey, key)["title"]["en"] == "Which one?"
    history = client.get(reverse("surveys:versions", args=[personas.org.slug, survey.pk]))
    text = history.content.decode()
    assert ">v1</a>" in text and ">v2</a>" in text
    assert "changed:" in text and f"<code>{key}</code>" in text
    assert f"/s/{survey.public_token}/" in text
    version_one = client.get(reverse("surveys:version", args=[personas.org.slug, survey.pk, 1]))
    assert version_one.status_code == 200
    assert "First version" in version_one.content.decode()

    # the list shows the survey with its live version and draft
    listing = client.get(reverse("surveys:list", args=[personas.org.slug]), {"q": "coffee"})
    assert "Coffee NPS" in listing.content.decode()
    assert "draft v2" in listing.content.decode()


def test_invalid_logic_names_the_question(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    survey = _create(client, personas, name="Logic check", languages=["en"])
    # q2 is on the second page; a condition on q1 may not look at q3, which comes later
    response = _op(
        client,
        survey,
        "save_question",
        key="q2",
        title="Why?",
        show_if_present="1",
        show_if_field=["answer.q3"],
        show_if_op=["answered"],
        show_if_value=[""],
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not saved" in html
    assert "question &#x27;q2&#x27;: depends on question &#x27;q3&#x27;, which comes later" in html
    # the message sits on q2's card, whose editor stays open with what was entered
    card = html[html.index('id="q-q2"') : html.index('id="q-q3"')]
    assert 'data-testid="question-errors"' in card
    assert 'data-testid="question-editor"' in card
    assert "show_if" not in _question(survey, "q2")


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_read_but_cannot_edit(personas: Personas, role: str) -> None:
    analyst = personas.client_for(personas.analyst)
    survey = _create(analyst, personas, name="Read only", languages=["en"])
    client = personas.client_for(getattr(personas, role))
    slug = personas.org.slug

    page = client.get(reverse("surveys:edit", args=[slug, survey.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "How likely are you to recommend" in html
    for marker in ('id="down-q1"', "draggable", "Add question", 'name="op"', 'hx-boost="true"'):
        assert marker not in html, marker
    for tab in ("endings", "translations", "settings"):
        html = client.get(reverse("surveys:edit", args=[slug, survey.pk]), {"tab": tab}).content
        assert b'name="op"' not in html
    assert client.get(reverse("surveys:versions", args=[slug, survey.pk])).status_code == 200
    listing = client.get(reverse("surveys:list", args=[slug])).content.decode()
    assert "Read only" in listing and 'data-testid="new-survey"' not in listing

    before = _draft(survey)
    posts = [
        ("surveys:op", {"op": "add_question", "page": "score", "type": "nps"}),
        ("surveys:op", {"op": "delete_question", "key": "q1", "confirmed": "1"}),
        ("surveys:op", {"op": "save_settings", "name": "Hacked"}),
        ("surveys:publish", {}),
        ("surveys:close", {}),
        ("surveys:reopen", {}),
        ("surveys:discard", {}),
        ("surveys:preview_frame", {}),
    ]
    for name, data in posts:
        response = client.post(reverse(name, args=[slug, survey.pk]), data)
        assert response.status_code == 403, name
    for name in ("surveys:new", "surveys:import"):
        assert client.post(reverse(name, args=[slug]), {"name": "x"}).status_code == 403
    assert _draft(survey) == before
    survey.refresh_from_db()
    assert survey.name == "Read only" and survey.status == "draft"


def test_htmx_edit_swaps_and_errors_stay_visible(personas: Personas) -> None:
    client = personas.client_for(personas.admin)
    survey = _create(client, personas, name="Htmx", languages=["en"])
    url = reverse("surveys:op", args=[personas.org.slug, survey.pk])
    response = client.post(
        url,
        {"op": "move_question", "key": "q1", "direction": "down"},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
        follow=True,
    )
    assert response.status_code == 200
    assert 'id="builder"' in response.content.decode()
    response = client.post(
        url,
        {"op": "save_question", "key": "q1", "title": "", "show_if_present": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200  # htmx swaps 2xx only
    assert "Not saved" in response.content.decode()


def test_settings_endings_languages_and_hidden_fields(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    survey = _create(client, personas, name="Settings", source="scratch", languages=["en"])
    assert _draft(survey)["languages"] == ["en"]
    response = _op(
        client,
        survey,
        "save_settings",
        tab="settings",
        name="Settings renamed",
        single_response_per_browser="on",
        response_limit="100",
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.name, survey.single_response_per_browser, survey.response_limit) == (
        "Settings renamed",
        True,
        100,
    )
    _op(
        client,
        survey,
        "save_general",
        survey_title="Hello",
        primary_color="#112233",
        background="#ffffff",
        progress_bar="on",
    )
    data = _draft(survey)
    assert data["theme"]["primary_color"] == "#112233"
    assert data["settings"] == {"progress_bar": True, "allow_back": False}
    _op(client, survey, "add_hidden_field", hidden_key="source")
    assert _draft(survey)["hidden_fields"] == [{"key": "source"}]
    _op(client, survey, "add_language", language="ko")
    assert _draft(survey)["languages"] == ["en", "ko"]
    _op(client, survey, "remove_language", language="ko", confirmed="1")
    assert _draft(survey)["languages"] == ["en"]

    _op(client, survey, "add_ending", tab="endings")
    endings = _draft(survey)["endings"]
    assert len(endings) == 2 and endings[0]["show_if"]["op"] == "answered"
    response = _op(
        client,
        survey,
        "save_ending",
        tab="endings",
        key=endings[0]["key"],
        title="Thanks, fan!",
        message="See you soon.",
        button_label="Review us",
        button_url="https://example.com/review",
        show_if_field=["answer.q1"],
        show_if_op=["nps_category"],
        show_if_value=["promoter"],
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ending = _draft(survey)["endings"][0]
    assert ending["button"] == {"label": {"en": "Review us"}, "url": "https://example.com/review"}
    assert ending["show_if"] == {"field": "answer.q1", "op": "nps_category", "value": "promoter"}

    _op(client, survey, "add_page")
    pages = _draft(survey)["pages"]
    assert len(pages) == 2
    response = _op(
        client,
        survey,
        "save_page",
        key=pages[0]["key"],
        title="Score",
        show_if_field=[""],
        show_if_op=["eq"],
        show_if_value=[""],
        jump_field=["answer.q1", ""],
        jump_op=["gte", "eq"],
        jump_value=["9", ""],
        jump_to=[f"ending:{ending['key']}", ""],
        jump_json=["", ""],
        next="",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _draft(survey)["pages"][0]["jumps"] == [
        {"if": {"field": "answer.q1", "op": "gte", "value": 9}, "to": f"ending:{ending['key']}"}
    ]


def test_preview_renders_the_draft_and_stores_nothing(personas: Personas) -> None:
    from closeloop.responses.models import Response

    client = personas.client_for(personas.viewer)
    survey = _create(personas.client_for(personas.analyst), personas, name="Preview")
    slug = personas.org.slug
    page = client.get(reverse("surveys:preview", args=[slug, survey.pk]), {"lang": "ko"})
    assert page.status_code == 200
    assert 'data-preview-width="390"' in page.content.decode()
    frame = client.get(reverse("surveys:preview_frame", args=[slug, survey.pk]), {"lang": "ko"})
    assert frame.status_code == 200
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in frame["Content-Security-Policy"]
    assert "추천" in frame.content.decode()
    second = client.get(
        reverse("surveys:preview_frame", args=[slug, survey.pk]), {"page": "1", "q1": "9"}
    )
    assert second.status_code == 200
    ending = client.get(reverse("surveys:preview_frame", args=[slug, survey.pk]), {"page": "9"})
    assert 'data-testid="ending"' in ending.content.decode()
    assert not Response.objects.filter(survey=survey).exists()


def test_export_and_import(personas: Personas) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = personas.client_for(personas.analyst)
    survey = _create(client, personas, name="Portable")
    slug = personas.org.slug
    exported = client.get(reverse("surveys:export", args=[slug, survey.pk]), {"format": "yaml"})
    assert exported.status_code == 200
    assert exported["Content-Disposition"].endswith('.yaml"')
    upload = SimpleUploadedFile("portable.yaml", exported.content, content_type="application/yaml")
    response = client.post(
        reverse("surveys:import", args=[slug]), {"file": upload, "name": "Portable copy"}
    )
    assert response.status_code == 302
    copy = Survey.objects.get(organization=personas.org, name="Portable copy")
    assert _draft(copy)["pages"] == _draft(survey)["pages"]

    broken = SimpleUploadedFile("broken.json", b'{"default_language": "en"}')
    response = client.post(reverse("surveys:import", args=[slug]), {"file": broken})
    assert response.status_code == 400
    assert 'data-testid="import-errors"' in response.content.decode()


def test_another_organization_gets_404(personas: Personas) -> None:
    survey = _create(personas.client_for(personas.analyst), personas, name="Private")
    outsider = personas.client_for(personas.outsider)
    other_slug = personas.other_org.slug
    assert outsider.get(reverse("surveys:edit", args=[other_slug, survey.pk])).status_code == 404
    assert (
        outsider.get(reverse("surveys:edit", args=[personas.org.slug, survey.pk])).status_code
        == 404
    )
