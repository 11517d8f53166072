"""The comments and themes API: import a comment (enriched like survey answers), list with
filters and search in any language, correct, read themes and their impact on NPS."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.analytics.metrics.stats import compare, nps_estimate
from closeloop.api.testing import ApiClient
from closeloop.contacts.models import Contact
from closeloop.contacts.tests.factories import make_contact
from closeloop.text.models import Comment, Correction
from closeloop.text.tests.factories import work
from closeloop.text.tests.ui_factories import add_comments, theme
from conftest import Personas

pytestmark = pytest.mark.django_db


def problem(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.get("field") == field
    return body


@pytest.mark.django_db(transaction=True)
def test_an_imported_comment_is_enriched_in_the_background(
    personas: Personas, writer: ApiClient, reader: ApiClient
) -> None:
    created = writer.post(
        "/comments",
        {"text": "배송이 너무 늦게 왔어요. 환불해 주세요", "score": 2, "source": "review",
         "source_ref": "gmaps-1881", "time": "2026-05-01T09:30:00+09:00",
         "email": "Kim@Example.com"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["enriched"] is False and body["sentiment"] == ""
    assert body["source"] == "review" and body["response"] is None
    assert body["answered_at"].startswith("2026-05-01T00:30:00")
    contact = Contact.objects.get(organization=personas.org, email="kim@example.com")
    assert body["contact"] == str(contact.pk)

    work()  # the worker enriches it

    done = reader.get(f"/comments/{body['id']}").json()
    assert done["enriched"] is True
    assert done["language"] == "ko" and done["sentiment"] == "negative"
    assert "delivery" in [t["key"] for t in done["themes"]]
    delivery = next(t for t in done["themes"] if t["key"] == "delivery")
    assert delivery["name"] == "Delivery" and delivery["source"] == "model"

    # The same review again is not imported twice.
    again = writer.post("/comments", {"text": "edited text", "source": "review",
                                      "source_ref": "gmaps-1881"})  # fmt: skip
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert Comment.objects.filter(organization=personas.org).count() == 1


def test_import_checks_its_fields(personas: Personas, writer: ApiClient, reader: ApiClient) -> None:
    problem(writer.post("/comments", {"text": "   "}), 422, "body.text")
    problem(writer.post("/comments", {"text": "ok", "score": 11}), 422, "body.score")
    problem(writer.post("/comments", {"text": "ok", "source": "survey"}), 422, "body.source")
    problem(
        writer.post("/comments", {"text": "ok", "time": "2026-05-01T09:30:00"}), 422, "body.time"
    )
    problem(writer.post("/comments", {"text": "ok", "email": "not-an-email"}), 400, "email")
    problem(writer.post("/comments", {"text": "ok", "language": "korean!"}), 400, "language")
    foreign = make_contact(personas.other_org, first_name="Other")
    problem(writer.post("/comments", {"text": "ok", "contact": str(foreign.pk)}), 400, "contact")
    problem(reader.post("/comments", {"text": "ok"}), 403, None)
    assert not Comment.objects.exists()

    own = make_contact(personas.org, first_name="Own")
    made = writer.post("/comments", {"text": "Great", "contact": str(own.pk)})
    assert made.status_code == 201 and made.json()["contact"] == str(own.pk)


@pytest.fixture
def comments(personas: Personas) -> list[Comment]:
    return add_comments(
        personas.org,
        [
            {"text": "배송이 너무 늦었어요", "score": 2, "source": "review"},
            {"text": "ส่งช้ามากครับ", "score": 3, "source": "ticket"},
            {"text": "The invoice was wrong", "score": 4, "source": "ticket"},
            {"text": "Great coffee and lovely staff", "score": 10, "source": "review"},
        ],
    )


def test_list_filters_and_search_in_any_language(
    personas: Personas, reader: ApiClient, comments: list[Comment]
) -> None:
    def texts(**params: Any) -> list[str]:
        response = reader.get("/comments", params)
        assert response.status_code == 200, response.content
        return [item["text"] for item in response.json()["items"]]

    assert len(texts()) == 4
    assert texts(q="늦게") == ["배송이 너무 늦었어요"]
    assert texts(q="ช้า") == ["ส่งช้ามากครับ"]
    assert texts(q="invoices") == ["The invoice was wrong"]
    assert texts(source="ticket", language="en") == ["The invoice was wrong"]
    assert texts(sentiment="positive") == ["Great coffee and lovely staff"]
    billing = theme(personas.org, "billing")
    assert texts(theme=str(billing.pk)) == ["The invoice was wrong"]
    item = reader.get("/comments", {"theme": str(billing.pk)}).json()["items"][0]
    link = item["themes"][0]
    assert link == {"id": str(billing.pk), "key": "billing", "name": billing.name_in("en"),
                    "source": "model", "confidence": link["confidence"]}  # fmt: skip
    assert 0 < link["confidence"] <= 1
    assert set(item) >= {"id", "response", "language", "sentiment", "sentiment_score", "themes"}

    problem(reader.get("/comments", {"sentiment": "angry"}), 400, "sentiment")
    problem(reader.get("/comments", {"source": "fax"}), 400, "source")
    problem(reader.get("/comments", {"theme": "nope"}), 400, "theme")
    foreign_theme = theme(personas.other_org, "billing")
    problem(reader.get("/comments", {"theme": str(foreign_theme.pk)}), 400, "theme")


def test_cursor_pagination(personas: Personas, reader: ApiClient, comments: list[Comment]) -> None:
    first = reader.get("/comments", {"limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = reader.get("/comments", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    seen = {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]}
    assert seen == {str(c.pk) for c in comments}


def test_correct_through_the_api(
    personas: Personas, writer: ApiClient, reader: ApiClient, other_writer: ApiClient,
    comments: list[Comment],
) -> None:  # fmt: skip
    comment = comments[2]
    billing, staff = theme(personas.org, "billing"), theme(personas.org, "staff")
    fixed = writer.patch(
        f"/comments/{comment.pk}", {"sentiment": "mixed", "themes": [str(staff.pk)]}
    )
    assert fixed.status_code == 200, fixed.content
    body = fixed.json()
    assert body["sentiment"] == "mixed" and body["sentiment_source"] == "correction"
    assert [t["key"] for t in body["themes"]] == ["staff"]
    assert body["themes"][0]["source"] == "correction"
    kinds = sorted(Correction.objects.filter(comment=comment).values_list("kind", flat=True))
    assert kinds == ["sentiment", "theme_added", "theme_removed"]

    # A field left out stays; [] removes every theme.
    cleared = writer.patch(f"/comments/{comment.pk}", {"themes": []}).json()
    assert cleared["themes"] == [] and cleared["sentiment"] == "mixed"

    problem(writer.patch(f"/comments/{comment.pk}", {}), 400, "sentiment")
    problem(writer.patch(f"/comments/{comment.pk}", {"sentiment": "angry"}), 422, "body.sentiment")
    foreign = theme(personas.other_org, "staff")
    problem(writer.patch(f"/comments/{comment.pk}", {"themes": [str(foreign.pk)]}), 400, "themes")
    problem(reader.patch(f"/comments/{comment.pk}", {"sentiment": "positive"}), 403, None)
    problem(other_writer.patch(f"/comments/{comment.pk}", {"sentiment": "positive"}), 404, None)
    problem(other_writer.get(f"/comments/{comment.pk}"), 404, None)
    assert billing.pk not in set(comment.theme_links.values_list("theme_id", flat=True))


def test_themes_and_their_impact(
    personas: Personas, reader: ApiClient, other_writer: ApiClient
) -> None:
    late = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10]
    rows = [{"text": f"The delivery was late ({n})", "score": s} for n, s in enumerate(late)]
    rows += [
        {"text": f"Lovely coffee ({n})", "score": s} for n, s in enumerate([10] * 16 + [8] * 4)
    ]
    add_comments(personas.org, rows)

    listed = reader.get("/themes").json()["items"]
    keys = {t["key"] for t in listed}
    assert {"delivery", "billing", "staff", "customer_support"} <= keys
    delivery = next(t for t in listed if t["key"] == "delivery")
    assert delivery["names"]["ko"] == "배송" and delivery["status"] == "active"
    assert "배송" in delivery["keywords"]["ko"]
    assert reader.get(f"/themes/{delivery['id']}").json()["key"] == "delivery"
    problem(reader.get("/themes", {"status": "weird"}), 400, "status")
    assert reader.get("/themes", {"status": "proposed"}).json()["items"] == []

    figures = reader.get(f"/themes/{delivery['id']}/impact").json()
    assert figures["mentions"] == 10 and not figures["hidden"]
    with_theme = nps_estimate(promoters=2, passives=1, detractors=7)
    without = nps_estimate(promoters=16, passives=4, detractors=0)
    assert figures["nps_with_theme"]["value"] == pytest.approx(-50.0)
    assert figures["nps_with_theme"]["n"] == 10
    assert figures["nps_with_theme"]["margin_of_error"] == pytest.approx(with_theme.margin_of_error)
    assert figures["nps_without_theme"]["value"] == pytest.approx(80.0)
    assert figures["nps_without_theme"]["margin_of_error"] == pytest.approx(without.margin_of_error)
    gap = compare(with_theme, without)
    assert figures["difference"] == pytest.approx(-130.0)
    assert figures["difference_margin"] == pytest.approx(gap.margin_of_error)
    assert figures["exceeds_noise"] is True
    assert figures["promoters_lost"] == pytest.approx(6.0)
    assert figures["nps_effect"] == pytest.approx(-130.0 / 3)
    assert figures["sentence"].startswith("Delivery: Down 130 points")

    problem(other_writer.get(f"/themes/{delivery['id']}"), 404, None)
    problem(other_writer.get(f"/themes/{delivery['id']}/impact"), 404, None)
    problem(reader.get(f"/themes/{delivery['id']}/impact", {"days": -1}), 422, "query.days")
