"""The verbatim explorer, used as a person uses it: search in English, Korean and Thai with the
matched words highlighted, filters, paging, and who may correct or open a case."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from closeloop.text.tests.ui_factories import add_comment, add_comments, days_ago, theme
from conftest import Personas

pytestmark = pytest.mark.django_db

COMMENT_RE = re.compile(r'<p class="comment-text"[^>]*>(.*?)</p>', re.S)


def url(personas: Personas) -> str:
    return reverse("text:comments", kwargs={"org_slug": personas.org.slug})


def search(client: Client, personas: Personas, **params: Any) -> list[str]:
    """The comments the explorer shows (their HTML, highlights included), newest first."""
    response = client.get(url(personas), params)
    assert response.status_code == 200
    return COMMENT_RE.findall(response.content.decode())


@pytest.fixture
def mixed(personas: Personas) -> None:
    add_comments(
        personas.org,
        [
            {"text": "배송이 너무 늦었어요 ㅠㅠ", "score": 3, "answered_at": days_ago(5)},
            {"text": "커피 맛이 정말 좋아요", "score": 10, "answered_at": days_ago(4)},
            {"text": "ส่งช้ามากครับ รอเกือบชั่วโมง", "score": 2, "answered_at": days_ago(3)},
            {"text": "กาแฟอร่อยมาก พนักงานน่ารัก", "score": 9, "answered_at": days_ago(2)},
            {"text": "The deliveries arrived late, again.", "score": 4, "answered_at": days_ago(1)},
            {"text": "Lovely staff and great coffee", "score": 10, "answered_at": days_ago(0)},
        ],
    )


def test_korean_word_finds_other_forms_and_is_highlighted(personas: Personas, mixed: None) -> None:
    client = personas.client_for(personas.viewer)
    # 늦게 (late, adverb) and 늦었어요 (was late) are the same word to the tokenizer.
    assert search(client, personas, q="늦게") == ["배송이 너무 <mark>늦었어요</mark> ㅠㅠ"]
    assert search(client, personas, q="배송") == ["<mark>배송</mark>이 너무 늦었어요 ㅠㅠ"]


def test_thai_word_and_phrase_without_spaces(personas: Personas, mixed: None) -> None:
    client = personas.client_for(personas.viewer)
    assert search(client, personas, q="ช้า") == ["ส่ง<mark>ช้า</mark>มากครับ รอเกือบชั่วโมง"]
    # Thai writes ส่งช้า (slow delivery) as one run: it is the phrase ส่ง + ช้า.
    assert search(client, personas, q="ส่งช้า") == ["<mark>ส่งช้า</mark>มากครับ รอเกือบชั่วโมง"]
    # A word inside another word is not a match: อร่อย is not in ส่งช้า...
    assert search(client, personas, q="อร่อย") == ["กาแฟ<mark>อร่อย</mark>มาก พนักงานน่ารัก"]


def test_english_word_forms_and_quoted_phrase(personas: Personas, mixed: None) -> None:
    client = personas.client_for(personas.viewer)
    expected = ["The <mark>deliveries</mark> arrived late, again."]
    assert search(client, personas, q="delivery") == expected
    assert search(client, personas, q='"arrived late"') == [
        "The deliveries <mark>arrived late</mark>, again."
    ]
    # Every term must match.
    assert search(client, personas, q="coffee staff") == [
        "Lovely <mark>staff</mark> and great <mark>coffee</mark>"
    ]
    assert search(client, personas, q="coffee late") == []


def test_text_is_escaped_around_highlights(personas: Personas) -> None:
    add_comment(personas.org, "<script>alert('late')</script> delivery was late", score=2)
    response = personas.client_for(personas.viewer).get(url(personas), {"q": "late"})
    body = response.content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;<mark>late</mark>&#x27;)&lt;/script&gt;" in body


def test_filters(personas: Personas, mixed: None) -> None:
    client = personas.client_for(personas.viewer)
    everything = search(client, personas)
    assert len(everything) == 6
    assert everything[0] == "Lovely staff and great coffee"  # newest first

    assert search(client, personas, language="th", nps="detractor") == ["ส่งช้ามากครับ รอเกือบชั่วโมง"]
    promoters = search(client, personas, nps="promoter")
    assert len(promoters) == 3 and "커피 맛이 정말 좋아요" in promoters
    assert len(search(client, personas, score_min=9, score_max=9)) == 1
    assert len(search(client, personas, sentiment="negative", language="ko")) == 1
    delivery = theme(personas.org, "delivery")
    about_delivery = search(client, personas, theme=str(delivery.pk))
    assert "The deliveries arrived late, again." in about_delivery
    assert "Lovely staff and great coffee" not in about_delivery
    today = days_ago(0).date().isoformat()
    assert search(client, personas, source="review") == []
    assert len(search(client, personas, **{"from": today, "to": today})) >= 1


def test_bad_filters_say_so(personas: Personas) -> None:
    response = personas.client_for(personas.viewer).get(
        url(personas), {"score_min": 9, "score_max": 2}
    )
    assert response.status_code == 200
    assert "The highest score is below the lowest." in response.content.decode()


def test_pages(personas: Personas) -> None:
    add_comments(
        personas.org,
        [
            {"text": f"Comment number {n} about coffee", "answered_at": days_ago(n)}
            for n in range(30)
        ],
    )
    client = personas.client_for(personas.viewer)
    first = client.get(url(personas), {"q": "coffee"}).content.decode()
    assert "30 comments" in first
    assert len(COMMENT_RE.findall(first)) == 25
    assert "page=2" in first and "q=coffee" in first
    second = search(client, personas, q="coffee", page=2)
    assert len(second) == 5
    assert second[-1] == "Comment number 29 about <mark>coffee</mark>"


def test_response_link_and_actions_by_role(personas: Personas) -> None:
    from closeloop.text.services import comments_from_response
    from closeloop.text.tests.factories import answer_on_the_page, comment_survey

    survey = comment_survey(personas.org)
    answer_on_the_page(survey, score=2, why="The coffee was cold and the barista was rude")
    from closeloop.responses.models import Response

    response = Response.objects.get(survey=survey)
    comments = comments_from_response(response=response)
    from closeloop.text.enrichment import comments_enrich

    comments_enrich(comment_ids=[c.pk for c in comments])

    detail = reverse("responses:detail", args=[personas.org.slug, response.pk])
    viewer = personas.client_for(personas.viewer).get(url(personas)).content.decode()
    assert detail in viewer
    assert "Create a case" not in viewer and "Save the correction" not in viewer
    agent = personas.client_for(personas.agent).get(url(personas)).content.decode()
    assert "Create a case" in agent and "Save the correction" not in agent
    analyst = personas.client_for(personas.analyst).get(url(personas)).content.decode()
    assert "Save the correction" in analyst and "Create a case" not in analyst


def test_explorer_is_in_the_menu(personas: Personas) -> None:
    page = personas.client_for(personas.viewer).get(url(personas)).content.decode()
    assert f'href="{url(personas)}"' in page
    assert reverse("text:themes", kwargs={"org_slug": personas.org.slug}) in page
