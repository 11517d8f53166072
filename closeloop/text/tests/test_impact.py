"""Theme impact figures: responses counted once, only NPS scores in the NPS figures, periods,
weekly trends in the organization's time zone, and themes as key-driver inputs."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from closeloop.automation.tests.factories import answer, make_survey
from closeloop.responses.services import response_create_complete
from closeloop.text.enrichment import comments_enrich
from closeloop.text.impact import Period, theme_impact, theme_impacts, theme_trend
from closeloop.text.models import Comment
from closeloop.text.services import comments_from_response
from closeloop.text.tests.factories import comment_survey
from closeloop.text.tests.ui_factories import add_comments, days_ago, theme
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_a_response_with_two_comments_counts_once(personas: Personas) -> None:
    survey = comment_survey(personas.org)
    response = response_create_complete(
        survey=survey,
        answers={"nps": 3, "why": "The delivery was late", "name": "Courier lost my parcel twice"},
        channel="api",
        language="en",
    )
    comments = comments_from_response(response=response)
    assert len(comments) == 2
    comments_enrich(comment_ids=[c.pk for c in comments])
    add_comments(personas.org, [{"text": f"Nice coffee {n}", "score": 10} for n in range(6)])
    item = theme_impact(organization=personas.org, theme=theme(personas.org, "delivery"))
    assert item.mentions == 2  # two comments...
    assert item.with_theme is not None and item.with_theme.n == 1  # ...one respondent
    assert item.without_theme is not None and item.without_theme.n == 6
    assert item.hidden  # 1 is under the minimum group size


def test_only_nps_scores_enter_the_nps_figures(personas: Personas) -> None:
    survey = make_survey(personas.org)
    for n in range(6):
        response = answer(survey, csat=1, comment=f"The delivery was late {n}", language="en")
        comments_enrich(comment_ids=[c.pk for c in comments_from_response(response=response)])
    assert set(Comment.objects.values_list("score_type", flat=True)) == {"csat"}
    item = theme_impact(organization=personas.org, theme=theme(personas.org, "delivery"))
    assert item.mentions == 6
    assert item.with_theme is not None and item.with_theme.n == 0
    assert item.comparison is None and item.promoters_lost is None


def test_period_and_ranking(personas: Personas) -> None:
    add_comments(
        personas.org,
        [{"text": f"Delivery late {n}", "score": 2, "answered_at": days_ago(200)} for n in range(6)]
        + [{"text": f"The invoice is wrong {n}", "score": 3, "answered_at": days_ago(3)}
           for n in range(6)]
        + [{"text": f"Lovely coffee {n}", "score": 10, "answered_at": days_ago(3)}
           for n in range(10)],
    )  # fmt: skip
    recent = theme_impacts(organization=personas.org, period=Period.last_days(90))
    assert recent.comments == 16
    assert recent.themes[0].theme.key == "billing"
    assert recent.costliest is not None and recent.costliest.theme.key == "billing"
    delivery = next(i for i in recent.themes if i.theme.key == "delivery")
    assert delivery.mentions == 0
    everything = theme_impacts(organization=personas.org, period=Period.last_days(0))
    assert everything.comments == 22
    assert {i.theme.key for i in everything.themes[:2]} == {"billing", "delivery"}


def test_weekly_trend_in_the_organizations_time_zone(personas: Personas) -> None:
    seoul = zoneinfo.ZoneInfo(personas.org.time_zone)
    # Monday 00:30 in Seoul is still Sunday in UTC: it belongs to Monday's week here.
    monday = dt.datetime(2026, 3, 2, 0, 30, tzinfo=seoul)
    add_comments(
        personas.org,
        [
            {"text": "Delivery late", "score": 2, "answered_at": monday},
            {
                "text": "Delivery was fast",
                "score": 10,
                "answered_at": monday + dt.timedelta(days=15),
            },
        ],
    )
    rows = theme_trend(organization=personas.org, theme=theme(personas.org, "delivery"))
    assert [r.week for r in rows] == [
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 16),
    ]
    assert [r.total for r in rows] == [1, 0, 1]
    assert rows[0].counts.get("negative") == 1


def test_themes_are_key_driver_inputs(personas: Personas) -> None:
    import closeloop.text.driver_source  # noqa: F401  (registered from the app's ready())
    from closeloop.analytics.drivers import driver_analysis

    survey = make_survey(personas.org)
    for n in range(20):
        late = answer(survey, nps=2 + n % 4, comment=f"Delivery was late again {n}", language="en")
        fine = answer(survey, nps=9 + n % 2, comment=f"Lovely coffee {n}", language="en")
        for response in (late, fine):
            comments = comments_from_response(response=response)
            comments_enrich(comment_ids=[c.pk for c in comments])
    analysis = driver_analysis(survey=survey, target="nps", language="en")
    assert analysis.ok, analysis.message
    keys = [d.key for d in analysis.drivers]
    assert "theme:delivery" in keys
    delivery = next(d for d in analysis.drivers if d.key == "theme:delivery")
    assert delivery.label == "Mentions Delivery"
    assert keys[0] == "theme:delivery"  # it explains the most
