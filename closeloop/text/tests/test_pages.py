"""The theme pages and the explorer's actions, through the pages: impact ranked by promoters
lost with its plain sentence, a theme's trend, summary and typical words, adding and editing
themes, proposals (accept renamed, merge, reject), corrections and a case from a comment."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse

from closeloop.accounts.models import Team
from closeloop.cases.models import Case
from closeloop.text.choices import LabelSource, ThemeStatus
from closeloop.text.models import Comment, Correction, Theme
from closeloop.text.tests.ui_factories import add_comment, add_comments, days_ago, theme, themes_of
from conftest import Personas

pytestmark = pytest.mark.django_db

PARKING = [
    "No parking spot anywhere near the store", "The parking lot is always full on weekends",
    "Parking is impossible after six", "Could not find parking, drove around for twenty minutes",
    "Your parking lot needs more spaces", "Parking spaces are too narrow for my car",
    "The parking lot was full again today", "Finding parking is a nightmare here",
    "Please add more parking spaces", "Parking lot full, had to leave",
    "There is never parking at lunch", "Parking attendant said the lot was full",
]  # fmt: skip
WIFI = [
    "The wifi keeps dropping in the cafe", "Wifi password never works",
    "No wifi signal at the back tables", "The wifi is too slow to work",
    "Wifi disconnected every five minutes", "Could not connect to the wifi at all",
    "Free wifi would be nice if it worked", "The wifi network was down again",
    "Wifi too weak upstairs", "Please fix the wifi", "wifi login page never loads",
    "Wifi slow all afternoon",
]  # fmt: skip


MINUS = "\u2212"  # the pages write negative numbers with a real minus sign


def page(personas: Personas, name: str, *args: Any) -> str:
    return reverse(f"text:{name}", args=[personas.org.slug, *args])


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def delivery_costs(personas: Personas) -> None:
    """10 comments about late deliveries from mostly detractors (NPS -50), 20 about the coffee
    from promoters and passives (NPS +80)."""
    rows: list[dict[str, Any]] = [
        {"text": f"The delivery was late and the food arrived cold ({n})", "score": score,
         "answered_at": days_ago(n)}
        for n, score in enumerate([0, 1, 2, 3, 4, 5, 6, 7, 9, 10])
    ]  # fmt: skip
    rows += [
        {"text": f"Lovely coffee, I come back every week ({n})", "score": score,
         "answered_at": days_ago(n)}
        for n, score in enumerate([10] * 12 + [9] * 4 + [8] * 4)
    ]  # fmt: skip
    comments = add_comments(personas.org, rows)
    assert all("delivery" in themes_of(c) for c in comments[:10])
    assert not any("delivery" in themes_of(c) for c in comments[10:])


def test_themes_ranked_by_promoters_lost_with_a_plain_sentence(
    personas: Personas, delivery_costs: None
) -> None:
    response = personas.client_for(personas.viewer).get(page(personas, "themes"))
    assert response.status_code == 200
    body = text_of(response)
    sentence = re.search(r'data-testid="costliest">(.*?)</p>', body)
    assert sentence is not None
    assert sentence.group(1).startswith(
        "Delivery costs the most promoters: the 10 customers who mention it give an NPS of "
        f"{MINUS}50 against +80 from the others, about 6 promoters lost, and 43.3 points off your "
        "overall NPS."
    )
    rows = re.findall(r'data-testid="theme-row" data-theme="([^"]+)"', body)
    assert rows[0] == "delivery"
    first = body[body.index('data-theme="delivery"') :].split("</tr>")[0]
    assert f"{MINUS}50" in first and "n=10" in first and "+80" in first and "n=20" in first
    assert f"{MINUS}130" in first  # the difference
    chart = json.loads(re.search(r'id="themes-trend"[^>]*>(.*?)</script>', body).group(1))
    assert "Delivery" in [s["name"] for s in chart["series"]]
    assert sum(next(s for s in chart["series"] if s["name"] == "Delivery")["counts"]) == 10
    assert "plotly-" in body and "text/charts.js" in body


def test_small_groups_are_hidden(personas: Personas) -> None:
    add_comments(
        personas.org,
        [{"text": "The delivery was late", "score": 2}]
        + [{"text": f"Lovely coffee ({n})", "score": 10} for n in range(8)],
    )
    body = text_of(personas.client_for(personas.viewer).get(page(personas, "themes")))
    row = body[body.index('data-theme="delivery"') :].split("</tr>")[0]
    assert "Hidden: a group has fewer than 5 scored responses." in row
    assert "costliest" not in body


def test_theme_page_trend_terms_and_summary(personas: Personas) -> None:
    rows = [
        {"text": f"The delivery was late and the soup was cold {w}", "score": 2}
        for w in ("again", "today", "sadly", "as usual", "twice", "honestly")
    ] + [
        {"text": f"Super fast delivery, the soup was still hot {w}", "score": 10}
        for w in ("thanks", "wow", "great", "lovely", "nice", "perfect")
    ]
    add_comments(personas.org, rows)
    delivery = theme(personas.org, "delivery")
    response = personas.client_for(personas.viewer).get(page(personas, "theme", delivery.pk))
    assert response.status_code == 200
    body = text_of(response)
    assert '<p class="stat">12</p>' in body
    terms = body[body.index('data-testid="typical-terms"') :]
    detractors, promoters = terms.split("Typical of promoters")
    assert ">late<" in detractors and ">cold<" in detractors
    assert ">fast<" in promoters and ">hot<" in promoters
    assert ">late<" not in promoters
    chart = json.loads(re.search(r'id="theme-trend"[^>]*>(.*?)</script>', body).group(1))
    totals = {s["name"]: sum(s["counts"]) for s in chart["series"]}
    assert sum(totals.values()) == 12 and totals["Negative"] >= 5
    summary = body[body.index('data-testid="extractive-summary"') :]
    assert len(re.findall(r'<li lang="en">', summary.split("</div>")[0])) == 3
    assert "Write a summary" not in body  # no provider configured


def test_add_and_edit_a_theme(personas: Personas) -> None:
    client = personas.client_for(personas.analyst)
    refused = client.post(page(personas, "theme_new"), {"key": "parking", "name_en": ""})
    assert refused.status_code == 400
    assert "Give the theme a name." in refused.content.decode()

    added = client.post(
        page(personas, "theme_new"),
        {"key": "parking", "name_en": "Parking", "name_ko": "주차",
         "keywords_en": "parking lot, parking space\nvalet", "keywords_ko": "주차장",
         "examples_th": "หาที่จอดรถไม่ได้เลย"},
    )  # fmt: skip
    parking = Theme.objects.get(organization=personas.org, key="parking")
    assert added.status_code == 302 and added["Location"] == page(personas, "theme", parking.pk)
    assert parking.names == {"en": "Parking", "ko": "주차"}
    assert parking.keywords == {"en": ["parking lot", "parking space", "valet"], "ko": ["주차장"]}
    assert parking.examples == {"th": ["หาที่จอดรถไม่ได้เลย"]}

    form = client.get(page(personas, "theme_edit", parking.pk)).content.decode()
    assert "parking lot\nparking space\nvalet" in form
    client.post(
        page(personas, "theme_edit", parking.pk),
        {"name_en": "Parking and access", "name_ko": "주차", "keywords_en": "parking",
         "keywords_ko": "주차장, 주차"},
    )  # fmt: skip
    parking.refresh_from_db()
    assert parking.names["en"] == "Parking and access"
    assert parking.keywords == {"en": ["parking"], "ko": ["주차장", "주차"]}

    viewer = personas.client_for(personas.viewer)
    assert viewer.get(page(personas, "theme_new")).status_code == 403
    assert (
        viewer.post(page(personas, "theme_edit", parking.pk), {"name_en": "x"}).status_code == 403
    )


def test_look_for_new_themes(personas: Personas) -> None:
    rows = [f"{t} ({n})" for n in range(2) for t in PARKING + WIFI]
    add_comments(personas.org, [{"text": t, "score": 5} for t in rows])
    client = personas.client_for(personas.analyst)
    found = client.post(page(personas, "theme_propose"))
    assert found.status_code == 302 and found["Location"].endswith("#proposals")
    body = text_of(client.get(page(personas, "themes")))
    proposals = body[body.index('id="proposals"') :]
    assert proposals.count('data-testid="proposal"') >= 1
    examples = re.findall(r"<li>([^<]+)</li>", proposals)
    assert examples and all(e in rows for e in examples)
    assert "Accept" in proposals and "Merge into" in proposals and "Reject" in proposals
    assert "proposed: accept, rename, merge or reject them below." in body
    # Asking again finds nothing new (those groups are proposed already).
    client.post(page(personas, "theme_propose"))
    again = text_of(client.get(page(personas, "themes")))
    assert again.count('data-testid="proposal"') == proposals.count('data-testid="proposal"')


def proposal(personas: Personas, name: str, texts: list[str]) -> Theme:
    """A proposed theme as the engine makes one: a name, keywords and its comments."""
    comments = add_comments(personas.org, [{"text": t, "score": 5} for t in texts])
    return Theme.objects.create(
        organization=personas.org,
        key=f"proposed-{name}",
        names={"en": name},
        keywords={"en": [name]},
        status=ThemeStatus.PROPOSED,
        proposal={
            "language": "en",
            "size": len(texts),
            "comment_ids": [str(c.pk) for c in comments],
        },
    )


def test_proposals_accepted_renamed_merged_rejected(personas: Personas) -> None:
    parking = proposal(personas, "parking / lot", PARKING[:6])
    wifi = proposal(personas, "wifi / slow", WIFI[:6])
    other = proposal(personas, "music / loud", ["The music is too loud", "Loud music again"])
    client = personas.client_for(personas.analyst)
    body = text_of(client.get(page(personas, "themes")))
    assert body.count('data-testid="proposal"') == 3
    assert PARKING[0] in body and "6 comments" in body

    accepted = client.post(page(personas, "theme_accept", parking.pk), {"name": "Parking"})
    parking.refresh_from_db()
    assert accepted["Location"] == page(personas, "theme", parking.pk)
    assert parking.status == ThemeStatus.ACTIVE and parking.names["en"] == "Parking"

    merged = client.post(page(personas, "theme_merge", wifi.pk), {"into": str(parking.pk)})
    assert merged["Location"] == page(personas, "theme", parking.pk)
    wifi.refresh_from_db()
    assert wifi.status == ThemeStatus.MERGED and wifi.merged_into_id == parking.pk
    parking.refresh_from_db()
    assert "wifi / slow" in parking.keywords["en"]

    client.post(page(personas, "theme_reject", other.pk))
    other.refresh_from_db()
    assert other.status == ThemeStatus.REJECTED
    assert "No proposals waiting." in client.get(page(personas, "themes")).content.decode()
    # A rejected proposal cannot be merged; a viewer cannot act at all.
    refused = client.post(page(personas, "theme_merge", other.pk), {"into": str(parking.pk)})
    assert refused.status_code == 302
    other.refresh_from_db()
    assert other.status == ThemeStatus.REJECTED
    viewer = personas.client_for(personas.viewer)
    assert viewer.post(page(personas, "theme_accept", other.pk)).status_code == 403


def test_correct_a_comment_from_the_explorer(personas: Personas) -> None:
    comment = add_comment(personas.org, "The invoice total was wrong again", score=3)
    billing, staff = theme(personas.org, "billing"), theme(personas.org, "staff")
    assert themes_of(comment) == {"billing"}
    client = personas.client_for(personas.analyst)
    explorer = client.get(page(personas, "comments")).content.decode()
    prefix = re.search(r'name="prefix" value="([^"]+)"', explorer).group(1)
    here = page(personas, "comments") + "?q=invoice"
    done = client.post(
        page(personas, "comment_correct", comment.pk),
        {"prefix": prefix, "next": here, f"{prefix}-sentiment": "mixed",
         f"{prefix}-themes": [str(billing.pk), str(staff.pk)]},
    )  # fmt: skip
    assert done.status_code == 302 and done["Location"] == here
    comment.refresh_from_db()
    assert comment.sentiment == "mixed" and comment.sentiment_source == LabelSource.CORRECTION
    assert themes_of(comment) == {"billing", "staff"}
    kinds = sorted(Correction.objects.filter(comment=comment).values_list("kind", flat=True))
    assert kinds == ["sentiment", "theme_added"]
    assert "Correction saved" in client.get(here).content.decode()

    # Elsewhere is not a place to go back to.
    away = client.post(
        page(personas, "comment_correct", comment.pk),
        {"prefix": prefix, "next": "https://evil.example/", f"{prefix}-sentiment": "mixed",
         f"{prefix}-themes": [str(billing.pk), str(staff.pk)]},
    )  # fmt: skip
    assert away["Location"] == page(personas, "comments")
    viewer = personas.client_for(personas.viewer)
    assert viewer.post(page(personas, "comment_correct", comment.pk)).status_code == 403


def test_open_a_case_from_a_comment(personas: Personas) -> None:
    from closeloop.responses.models import Response
    from closeloop.text.enrichment import comments_enrich
    from closeloop.text.services import comments_from_response
    from closeloop.text.tests.factories import answer_on_the_page, comment_survey

    survey = comment_survey(personas.org)
    answer_on_the_page(survey, score=1, why="Nobody answered the phone about my refund")
    response = Response.objects.get(survey=survey)
    comment = comments_from_response(response=response)[0]
    comments_enrich(comment_ids=[comment.pk])
    support = Team.objects.get(organization=personas.org, slug="support")
    client = personas.client_for(personas.agent)
    opened = client.post(
        page(personas, "comment_case", comment.pk),
        {"title": "Refund call never answered", "priority": "high",
         "team": str(support.pk)},
    )  # fmt: skip
    case = Case.objects.get(organization=personas.org)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("cases:detail", args=[personas.org.slug, case.pk])
    assert case.title == "Refund call never answered" and case.priority == "high"
    assert case.response_id == response.pk and case.team_id == support.pk
    detail = client.get(opened["Location"]).content.decode()
    assert "Nobody answered the phone about my refund" in detail

    for user in (personas.viewer, personas.analyst):
        refused = personas.client_for(user).post(
            page(personas, "comment_case", comment.pk), {"title": "x", "priority": "normal"}
        )
        assert refused.status_code == 403
    assert Case.objects.filter(organization=personas.org).count() == 1


def test_imported_comment_case_keeps_its_words(personas: Personas) -> None:
    comment = add_comment(personas.org, "Ticket 881: charged twice for one order", source="ticket")
    client = personas.client_for(personas.admin)
    client.post(
        page(personas, "comment_case", comment.pk), {"title": "Charged twice", "priority": "normal"}
    )
    case = Case.objects.get(organization=personas.org)
    assert case.response_id is None
    page_html = client.get(reverse("cases:detail", args=[personas.org.slug, case.pk]))
    assert "Ticket 881: charged twice for one order" in page_html.content.decode()
    assert Comment.objects.get(pk=comment.pk).text.startswith("Ticket 881")
