"""The public survey page through django.test.Client, as a respondent's browser uses it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.test import Client
from django.utils import timezone

from closeloop.lib.tokens import hash_token
from closeloop.responses.choices import Channel, ResponseStatus
from closeloop.responses.models import PersonalLink, Response
from closeloop.responses.testing import form_state
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_close

if TYPE_CHECKING:
    from conftest import Personas


def url(survey: Survey, query: str = "") -> str:
    return f"/s/{survey.public_token}/" + (f"?{query}" if query else "")


def answer(client: Client, target: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Open a page, then post its form with these answers (as a browser would)."""
    page = client.get(target, **kwargs)
    assert page.status_code == 200, page.content
    key, nonce = form_state(page.content.decode())
    return client.post(target, {"_page": key, "_nonce": nonce, **data}, **kwargs)


def test_language_comes_from_accept_language_then_lang_param(survey: Survey) -> None:
    client = Client()
    korean = client.get(url(survey), headers={"accept-language": "ko-KR,ko;q=0.9,en;q=0.5"})
    html = korean.content.decode()
    assert '<html lang="ko"' in html and "저희를 추천하실 가능성" in html
    english = client.get(url(survey, "lang=en"), headers={"accept-language": "ko"})
    assert "How likely are you to recommend us?" in english.content.decode()
    fallback = client.get(url(survey), headers={"accept-language": "fr-FR"})
    assert '<html lang="en"' in fallback.content.decode()
    unknown_lang = client.get(url(survey, "lang=xx"))
    assert '<html lang="en"' in unknown_lang.content.decode()


def test_personal_link_language_and_contact(survey: Survey) -> None:
    contact = uuid.uuid4()
    PersonalLink.objects.create(
        organization=survey.organization,
        survey=survey,
        contact_id=contact,
        token_hash=hash_token("personal-secret-token"),
        language="ko",
        hidden={"source": "email"},
    )
    client = Client()
    page = client.get("/s/personal-secret-token/?lang=en", headers={"accept-language": "en"})
    assert "저희를 추천하실 가능성" in page.content.decode()
    answer(client, "/s/personal-secret-token/", {"q1": "6"})
    response = Response.objects.get()
    assert response.contact_id == contact
    assert response.channel == Channel.EMAIL and response.language == "ko"
    assert response.hidden == {"source": "email"}
    # Another device with the same link resumes the contact's response.
    other_device = Client().get("/s/personal-secret-token/")
    assert form_state(other_device.content.decode())[0] == "improve"


def test_expired_personal_link_shows_a_clear_page(survey: Survey) -> None:
    PersonalLink.objects.create(
        organization=survey.organization,
        survey=survey,
        token_hash=hash_token("old-token"),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    page = Client().get("/s/old-token/")
    assert page.status_code == 410 and "expired" in page.content.decode()
    assert Client().get("/s/no-such-token/").status_code == 404


def test_one_click_nps_records_the_score_and_shows_the_next_page(survey: Survey) -> None:
    client = Client()
    landing = client.get(url(survey, "nps=9&source=email"), follow=True)
    assert landing.status_code == 200
    assert form_state(landing.content.decode())[0] == "praise"
    response = Response.objects.get()
    assert response.answers["q1"] == 9 and response.hidden == {"source": "email"}
    assert response.status == ResponseStatus.PARTIAL
    # Clicking the same email link again does not create a second response.
    client.get(url(survey, "nps=10"), follow=True)
    assert Response.objects.count() == 1
    bad = Client().get(url(survey, "nps=42"))
    assert bad.status_code == 200 and Response.objects.count() == 1


def test_resume_with_the_cookie_keeps_saved_answers(survey: Survey) -> None:
    client = Client()
    saved = answer(client, url(survey), {"q1": "5", "name": "Mina"})
    assert saved.status_code == 303
    cookie = saved.cookies["cl_resume"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == f"/s/{survey.public_token}/"
    # Later: the link opens on page 2, with the name piped in.
    reopened = client.get(url(survey))
    html = reopened.content.decode()
    assert form_state(html)[0] == "improve" and "Anything else, Mina?" in html
    # Back shows page 1 with the answers filled in.
    key, nonce = form_state(html)
    client.post(url(survey), {"_page": key, "_nonce": nonce, "_action": "back", "q2": "price"})
    page1 = client.get(url(survey)).content.decode()
    assert 'value="5" checked' in page1 and 'value="Mina"' in page1
    response = Response.objects.get()
    assert response.answers["q2"] == {"choices": ["price"], "other": None}


def test_errors_are_shown_and_nothing_typed_is_lost(survey: Survey) -> None:
    client = Client()
    answer(client, url(survey), {"q1": "3"})
    page = answer(client, url(survey), {"q3": "The queue was long"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'role="alert"' in html and 'href="#q-q2"' in html and "autofocus" in html
    assert 'aria-describedby="e-q2"' in html and "The queue was long</textarea>" in html
    assert Response.objects.get().answers["q3"] == "The queue was long"


def test_completed_response_cannot_be_submitted_again(survey: Survey) -> None:
    client = Client()
    answer(client, url(survey), {"q1": "10"})
    page = client.get(url(survey))
    key, nonce = form_state(page.content.decode())
    done = client.post(url(survey), {"_page": key, "_nonce": nonce, "q4": "coffee"}, follow=True)
    html = done.content.decode()
    assert "Glad you like us." in html and "https://example.com/review" in html
    response = Response.objects.get()
    assert response.status == ResponseStatus.COMPLETE
    replay = client.post(url(survey), {"_page": key, "_nonce": "other", "q4": "service"})
    assert replay.status_code == 303
    again = client.get(url(survey)).content.decode()
    assert "already answered" in again
    response.refresh_from_db()
    assert response.answers["q4"]["choice"] == "coffee"
    assert Response.objects.count() == 1 and response.facts.count() == 2


def test_double_click_on_the_first_page_creates_one_response(survey: Survey) -> None:
    first_tab = Client()
    page = first_tab.get(url(survey))
    key, nonce = form_state(page.content.decode())
    data = {"_page": key, "_nonce": nonce, "q1": "7"}
    assert first_tab.post(url(survey), data).status_code == 303
    # The second click's request left before the first answer (and its cookie) came back.
    assert Client().post(url(survey), data).status_code == 303
    assert first_tab.post(url(survey), data).status_code == 303
    assert Response.objects.count() == 1


def test_honeypot_is_refused_and_nothing_is_stored(survey: Survey) -> None:
    page = Client().post(url(survey), {"_page": "score", "q1": "9", "website": "http://spam"})
    assert page.status_code == 400
    assert not Response.objects.exists()


def test_garbage_is_refused_without_a_row(survey: Survey) -> None:
    page = Client().post(url(survey), {"_page": "score", "q1": "DROP TABLE", "name": "x" * 900})
    assert page.status_code == 400
    assert not Response.objects.exists()
    big = Client().post(url(survey), {"_page": "score", "q1": "9", "name": "x" * 70_000})
    assert big.status_code == 413
    assert not Response.objects.exists()


def test_rate_limit_answers_429(survey: Survey, settings: Any) -> None:
    settings.SURVEY_RATE_LIMIT_PER_IP = 2
    client = Client()
    for _ in range(2):
        assert client.post(url(survey), {"_page": "score"}).status_code == 400
    limited = client.post(url(survey), {"_page": "score", "q1": "9"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert not Response.objects.exists()
    # Another address is not limited by this one.
    assert (
        client.post(url(survey), {"_page": "score", "q1": "9"}, REMOTE_ADDR="10.0.0.9").status_code
        == 303
    )


def test_rate_limit_per_survey(survey: Survey, settings: Any) -> None:
    settings.SURVEY_RATE_LIMIT_PER_SURVEY = 1
    assert Client().post(url(survey), {"_page": "score", "q1": "9"}).status_code == 303
    other_ip = Client().post(url(survey), {"_page": "score", "q1": "9"}, REMOTE_ADDR="10.0.0.2")
    assert other_ip.status_code == 429
    assert Response.objects.count() == 1


def test_response_limit_closes_the_survey(survey: Survey) -> None:
    survey.response_limit = 1
    survey.save()
    client = Client()
    answer(client, url(survey), {"q1": "10"})
    answer(client, url(survey), {"q4": "coffee"})
    assert Client().get(url(survey)).status_code == 410
    late = Client().post(url(survey), {"_page": "score", "q1": "9"})
    assert late.status_code == 410 and Response.objects.count() == 1


def test_single_response_per_browser(survey: Survey) -> None:
    survey.single_response_per_browser = True
    survey.save()
    client = Client()
    answer(client, url(survey), {"q1": "10"})
    answer(client, url(survey), {"q4": "coffee"})
    again = client.get(url(survey, "new=1")).content.decode()
    assert "already answered" in again and "Answer again" not in again
    assert Response.objects.count() == 1


def test_without_single_response_a_browser_may_answer_again(survey: Survey) -> None:
    client = Client()
    answer(client, url(survey), {"q1": "10"})
    answer(client, url(survey), {"q4": "coffee"})
    assert "Answer again" in client.get(url(survey)).content.decode()
    answer(client, url(survey, "new=1"), {"q1": "2"})
    assert Response.objects.count() == 2


def test_closed_and_unpublished_surveys(survey: Survey, personas: Any) -> None:
    survey_close(survey=survey, actor=None)
    closed = Client().get(url(survey))
    assert closed.status_code == 410 and "closed" in closed.content.decode()
    assert Client().post(url(survey), {"_page": "score", "q1": "9"}).status_code == 410
    draft = Survey.objects.create(organization=personas.org, name="Draft")
    assert Client().get(url(draft)).status_code == 404
    assert not Response.objects.exists()


def test_page_is_small(five: Survey) -> None:
    """HTML + CSS + JS of a five-question survey page stay under 50 KB (no compression)."""
    import re

    from django.contrib.staticfiles import finders

    client = Client()
    total = 0
    for data in ({"q1": "9"}, {"q2": "4"}, {"q3": "speed"}, {"q4": "price"}):
        page = client.get(url(five))
        html = page.content.decode()
        total = len(page.content)
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
        assert assets and not re.search(r'(?:href|src)="(?:https?:)?//', html)
        assert "htmx" not in html and "app.css" not in html and "<script>" not in html
        for asset in assets:
            path = finders.find(asset.removeprefix("/static/"))
            assert path, asset
            with open(path, "rb") as handle:
                total += len(handle.read())
        assert total < 50 * 1024, total
        key, nonce = form_state(html)
        client.post(url(five), {"_page": key, "_nonce": nonce, **data})


def test_a_touchpoint_link_or_qr_code_records_where_the_answer_came_from(
    survey: Survey, personas: Personas
) -> None:
    from closeloop.distribution.journey_services import touchpoints_ensure_defaults
    from closeloop.distribution.models import Touchpoint

    touchpoints_ensure_defaults(organization=personas.org)
    delivery = Touchpoint.objects.get(organization=personas.org, key="delivery")

    scanned = answer(Client(), url(survey, "tp=delivery&ch=qr"), {"q1": "8"})
    assert scanned.status_code == 303
    response = Response.objects.get()
    assert response.touchpoint_id == delivery.pk
    assert response.channel == "qr"

    answer(Client(), url(survey, "tp=no-such-touchpoint"), {"q1": "3"})
    other = Response.objects.exclude(pk=response.pk).get()
    assert other.touchpoint_id is None and other.channel == "link"
