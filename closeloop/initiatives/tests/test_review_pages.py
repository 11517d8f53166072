"""The review page as its users see it: who may open it, its sections, the period picker,
recording a decision under a theme, the decisions filter, the settings form, the team's
advocacy flag, and "Send digest now"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from closeloop.accounts.models import Team
from closeloop.initiatives.models import Decision, OuterLoopSettings
from closeloop.initiatives.tests.review_factories import World, theme, world
from closeloop.integrations.models import Delivery
from closeloop.text.models import Theme
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(personas: Personas) -> World:
    return world(personas)


def page_url(w: World) -> str:
    return reverse("review:page", args=[w.org.slug])


def test_an_advocacy_member_sees_every_section(personas: Personas, acme: World) -> None:
    client = personas.client_for(acme.korean.user)  # a viewer, on the advocacy team
    response = client.get(page_url(acme))
    assert response.status_code == 200
    html = response.content.decode()
    for testid in ("themes-by-impact", "themes-by-volume", "cases-by-team", "root-cause",
                   "recovered", "initiatives", "advocacy-team", "decision-form"):  # fmt: skip
        assert f'data-testid="{testid}"' in html, testid
    assert "배송이 너무 늦었어요" in html  # the verbatim behind delivery, with its language
    assert 'lang="ko"' in html
    assert "Faster courier" in html and "Shipped fix" in html and "Old idea" not in html
    uncovered = re.findall(r'data-testid="uncovered-team">([^<]+)<', html)
    assert "Marketing" in uncovered and "Support" not in uncovered
    assert 'data-testid="uncovered"' in html
    assert "@media print" in html  # printable for the meeting
    delivery = theme(acme.org, "delivery")
    create = reverse("initiatives:create", args=[acme.org.slug])
    assert f'href="{create}?theme={delivery.pk}"' in html
    explorer = reverse("text:comments", args=[acme.org.slug])
    assert f"{explorer}?theme={delivery.pk}&amp;from=" in html
    summary = response.context["summary"]
    assert [r.theme.key for r in summary.by_impact] == ["delivery", "billing"]


def test_others_are_refused(personas: Personas, acme: World) -> None:
    viewer = personas.client_for(personas.viewer)  # in the org, not on the team
    refused = viewer.get(page_url(acme))
    assert refused.status_code == 403
    assert 'data-testid="review-denied"' in refused.content.decode()
    assert "Customer experience" in refused.content.decode()  # who to ask to join
    outsider = personas.client_for(personas.outsider)
    assert outsider.get(page_url(acme)).status_code == 404
    admin = personas.client_for(personas.admin)  # not on the team, but an admin
    assert admin.get(page_url(acme)).status_code == 200


def test_without_a_flagged_team_the_page_says_how_to_flag_one(personas: Personas) -> None:
    Team.objects.filter(organization=personas.org).update(is_advocacy_team=False)
    response = personas.client_for(personas.owner).get(
        reverse("review:page", args=[personas.org.slug])
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="no-advocacy-team"' in html
    assert "ticks “Customer advocacy team”" in html
    assert reverse("accounts:teams", args=[personas.org.slug]) in html


def test_period_picker(personas: Personas, acme: World) -> None:
    client = personas.client_for(acme.korean.user)
    week = client.get(page_url(acme), {"days": "7"})
    assert week.context["period"].days == 7
    assert week.context["summary"].recovered_total == 1
    custom = client.get(
        page_url(acme), {"days": "custom", "date_from": "2026-01-01", "date_to": "2026-01-31"}
    )
    assert custom.context["period"].first_day == dt.date(2026, 1, 1)
    assert custom.context["period"].days == 31
    wrong = client.get(
        page_url(acme), {"days": "custom", "date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert wrong.status_code == 200
    with translation.override("ko"):  # the member reads the page in Korean
        message = translation.gettext("The first day must come before the last day.")
    assert message in wrong.content.decode()
    assert wrong.context["period"].days == 30  # the default instead


def test_record_a_decision_under_a_theme(personas: Personas, acme: World) -> None:
    client = personas.client_for(acme.korean.user)
    delivery = theme(acme.org, "delivery")
    assert acme.initiative is not None
    response = client.post(
        reverse("review:decision_create", args=[acme.org.slug]),
        {
            "theme": str(delivery.pk),
            "kind": "initiative",
            "text": "Product and Tech take the courier contract on.",
            "initiative": str(acme.initiative.pk),
            "next_query": "days=7",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(acme)}?days=7#theme-{delivery.pk}"
    decision = Decision.objects.get(organization=acme.org)
    assert decision.theme == delivery and decision.author == acme.korean.user
    assert decision.initiative == acme.initiative and decision.kind == "initiative"
    assert (
        decision.meeting_on
        == dt.datetime.now(dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Seoul")).date()
    )
    html = client.get(page_url(acme)).content.decode()
    card_start = html.index(f'id="theme-{delivery.pk}"')
    card = html[card_start : html.index("</article>", card_start)]
    assert "Product and Tech take the courier contract on." in card
    decisions = html[html.index('data-testid="decisions"') :]
    assert "Product and Tech take the courier contract on." in decisions


def test_a_decision_needs_its_text_and_the_team(personas: Personas, acme: World) -> None:
    url = reverse("review:decision_create", args=[acme.org.slug])
    delivery = theme(acme.org, "delivery")
    empty = personas.client_for(acme.korean.user).post(
        url, {"theme": str(delivery.pk), "kind": "watch", "text": ""}
    )
    assert empty.status_code == 400
    assert f'id="d-{delivery.pk}-text_error"' in empty.content.decode()  # shown at the theme
    viewer = personas.client_for(personas.viewer).post(
        url, {"theme": str(delivery.pk), "kind": "watch", "text": "Sneaky"}
    )
    assert viewer.status_code == 403
    theirs = Theme.objects.filter(organization=personas.other_org).first()
    assert theirs is not None
    other = personas.client_for(acme.korean.user).post(
        url, {"theme": str(theirs.pk), "kind": "watch", "text": "Not ours"}
    )
    assert other.status_code == 404
    assert not Decision.objects.exists()


def test_decisions_filter_by_meeting_date(personas: Personas, acme: World) -> None:
    from closeloop.initiatives.decisions import decision_record

    decision_record(organization=acme.org, kind="watch", text="January call",
                    meeting_on=dt.date(2026, 1, 6))  # fmt: skip
    decision_record(organization=acme.org, kind="watch", text="March call",
                    meeting_on=dt.date(2026, 3, 3))  # fmt: skip
    client = personas.client_for(acme.korean.user)
    everything = client.get(page_url(acme)).content.decode()
    assert "January call" in everything and "March call" in everything
    march = client.get(page_url(acme), {"meeting_from": "2026-03-01"}).content.decode()
    assert "March call" in march and "January call" not in march


def test_review_settings(personas: Personas, acme: World) -> None:
    url = reverse("review:settings", args=[acme.org.slug])
    OuterLoopSettings.objects.create(organization=acme.org, announcement_max_per_month=5)
    admin = personas.client_for(personas.admin)
    assert admin.get(url).status_code == 200
    saved = admin.post(url, {"meeting_weekday": "3", "meeting_time": "15:30",
                             "digest_hours_before": "6", "review_period_days": "14"})  # fmt: skip
    assert saved.status_code == 302
    row = OuterLoopSettings.objects.get(organization=acme.org)
    assert (row.meeting_weekday, row.meeting_time, row.digest_hours_before) == (
        3,
        dt.time(15, 30),
        6,
    )
    assert row.review_period_days == 14 and row.digest_enabled is False  # unticked
    assert row.announcement_max_per_month == 5  # another part's field, untouched
    page = personas.client_for(acme.korean.user).get(page_url(acme))
    assert page.context["period"].days == 14  # the new default period
    wrong = admin.post(url, {"meeting_weekday": "3", "meeting_time": "15:30",
                             "digest_hours_before": "500", "review_period_days": "14"})  # fmt: skip
    assert wrong.status_code == 200 and "digest_hours_before" in wrong.context["form"].errors
    assert personas.client_for(acme.korean.user).get(url).status_code == 403  # admins only


def test_flag_a_team_on_the_team_form(personas: Personas) -> None:
    org = personas.org
    product = Team.objects.get(organization=org, slug="product")
    admin = personas.client_for(personas.admin)
    edit = reverse("accounts:team_edit", args=[org.slug, product.pk])
    form = admin.get(edit)
    assert "is_advocacy_team" in form.context["form"].fields
    admin.post(edit, {"name": "Product", "description": "", "is_advocacy_team": "on"})
    product.refresh_from_db()
    assert product.is_advocacy_team
    listing = admin.get(reverse("accounts:teams", args=[org.slug])).content.decode()
    assert listing.count('data-testid="advocacy-badge"') == 1
    admin.post(edit, {"name": "Product", "description": ""})
    product.refresh_from_db()
    assert not product.is_advocacy_team
    admin.post(reverse("accounts:teams", args=[org.slug]),
               {"name": "Voice of the customer", "is_advocacy_team": "on"})  # fmt: skip
    assert Team.objects.get(organization=org, name="Voice of the customer").is_advocacy_team


def test_send_digest_now(personas: Personas, acme: World) -> None:
    url = reverse("review:digest_send", args=[acme.org.slug])
    assert personas.client_for(acme.korean.user).post(url).status_code == 403
    response = personas.client_for(personas.admin).post(url)
    assert response.status_code == 302
    rows = Delivery.objects.filter(related_type="review_digest")
    assert sorted(rows.values_list("target", flat=True)) == [
        "agent@acme.test",
        "minji@acme.test",
        "somchai@acme.test",
    ]
    settings_page = personas.client_for(personas.admin).get(
        reverse("review:settings", args=[acme.org.slug])
    )
    assert 'data-testid="send-digest-now"' in settings_page.content.decode()
