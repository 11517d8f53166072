"""Key drivers as people use them: the drivers page, the API, and the Python interface that
dashboard widgets call."""

from __future__ import annotations

import gzip
import uuid

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from closeloop.analytics.drivers import (
    DriverColumn,
    DriverFilters,
    DriverInputError,
    DriverSourceContext,
    driver_analysis,
    register_driver_source,
)
from closeloop.analytics.drivers import dataset as dataset_module
from closeloop.analytics.drivers.stats import ols_r_squared
from closeloop.analytics.tests.drivers_factories import add_responses, drivers_survey
from closeloop.contacts.services import attribute_definition_create
from closeloop.contacts.tests.factories import make_contact
from closeloop.responses.choices import Channel
from closeloop.responses.models import AnswerFact
from conftest import Personas


def _url(personas: Personas, **params: str) -> str:
    base = reverse("analytics:drivers", kwargs={"org_slug": personas.org.slug})
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}?{query}" if query else base


@pytest.fixture
def survey(personas: Personas):  # type: ignore[no-untyped-def]
    survey = drivers_survey(personas.org)
    add_responses(survey, 150)
    return survey


# --- the page ----------------------------------------------------------------------------------


def test_analyst_sees_summary_matrix_and_table(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    client = personas.client_for(personas.analyst)

    response = client.get(_url(personas, survey=str(survey.pk), target="nps"))

    assert response.status_code == 200
    html = response.content.decode()
    summary = response.context["analysis"].summary
    assert summary[0].startswith("Delivery speed explains the most of NPS (")
    assert "fix it first" in summary[0]
    assert "Based on 150 responses; the drivers together explain" in html
    assert 'data-testid="drivers-table"' in html
    rows = [d.key for d in response.context["analysis"].drivers]
    assert rows[0] == "q:speed"
    assert set(rows) == {
        "q:speed", "q:taste", "q:price", "q:staff", "q:ordered", "q:newsletter"
    }  # fmt: skip
    # The quadrant lists work without JavaScript; the chart data is there for plotly.
    assert 'data-testid="quadrant-fix_first"' in html
    assert 'id="drivers-chart" type="application/json"' in html
    plotly = reverse("analytics:plotly_js", kwargs={"org_slug": personas.org.slug})
    assert f'src="{plotly}"' in html
    assert "cdn" not in html.lower()
    # The rarely answered question is left out, and the page says why.
    assert "Parking" in html and "answered by only" in html


def test_viewer_may_read_the_drivers(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    response = personas.client_for(personas.viewer).get(_url(personas, survey=str(survey.pk)))

    assert response.status_code == 200
    assert response.context["analysis"].n == 150


def test_page_opens_on_the_survey_with_most_responses(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    drivers_survey(personas.org, name="Empty one")

    response = personas.client_for(personas.analyst).get(_url(personas))

    assert response.status_code == 200
    assert response.context["survey"] == survey
    assert response.context["analysis"] is not None


def test_outsider_gets_404(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    client = personas.client_for(personas.outsider)

    assert client.get(_url(personas, survey=str(survey.pk))).status_code == 404
    plotly = reverse("analytics:plotly_js", kwargs={"org_slug": personas.org.slug})
    assert client.get(plotly).status_code == 404


def test_another_organizations_survey_is_404(personas: Personas) -> None:
    theirs = drivers_survey(personas.other_org)

    response = personas.client_for(personas.analyst).get(_url(personas, survey=str(theirs.pk)))

    assert response.status_code == 404


def test_too_few_responses_says_so(personas: Personas) -> None:
    survey = drivers_survey(personas.org)
    add_responses(survey, 12)

    response = personas.client_for(personas.analyst).get(_url(personas, survey=str(survey.pk)))

    assert response.status_code == 200
    assert response.context["analysis"] is None
    html = response.content.decode()
    assert 'data-testid="drivers-empty"' in html
    assert "Only 12 responses answer NPS with these filters" in html
    assert "at least 30" in html


def test_survey_without_a_score_question_says_so(personas: Personas) -> None:
    survey = drivers_survey(personas.org, with_nps=False)
    add_responses(survey, 5)

    response = personas.client_for(personas.analyst).get(_url(personas, survey=str(survey.pk)))

    assert response.status_code == 200
    # Ratings can still be a target, but there is no NPS or CSAT for the default.
    assert "This survey has no NPS or CSAT question to explain." in response.content.decode()


def test_no_survey_yet(personas: Personas) -> None:
    response = personas.client_for(personas.analyst).get(_url(personas))

    assert response.status_code == 200
    assert "There is no published survey yet." in response.content.decode()


def test_date_range_and_channel_filter_the_responses(personas: Personas) -> None:
    survey = drivers_survey(personas.org)
    add_responses(survey, 60, seed=1, days_ago=(1, 20), channel=Channel.EMAIL)
    add_responses(survey, 45, seed=2, days_ago=(40, 80), channel=Channel.QR)
    client = personas.client_for(personas.analyst)
    from django.utils import timezone

    today = timezone.localdate()
    recent = (today - __import__("datetime").timedelta(days=30)).isoformat()

    by_date = client.get(_url(personas, survey=str(survey.pk), **{"from": recent}))
    by_channel = client.get(_url(personas, survey=str(survey.pk), channel="qr"))
    both = client.get(_url(personas, survey=str(survey.pk), channel="qr", **{"from": recent}))

    assert by_date.context["analysis"].n == 60
    assert by_channel.context["analysis"].n == 45
    assert "Only 0 responses answer NPS" in both.content.decode()


def test_end_before_start_is_a_form_error(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    response = personas.client_for(personas.analyst).get(
        _url(personas, survey=str(survey.pk), **{"from": "2025-05-02", "to": "2025-05-01"})
    )

    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert response.context["analysis"] is None


def test_page_speaks_korean(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    personas.analyst.language = "ko"
    personas.analyst.save(update_fields=["language"])

    response = personas.client_for(personas.analyst).get(_url(personas, survey=str(survey.pk)))

    assert response.status_code == 200
    assert '<html lang="ko"' in response.content.decode()


def test_plotly_is_served_from_our_origin_with_long_cache(personas: Personas) -> None:
    client = personas.client_for(personas.viewer)
    url = reverse("analytics:plotly_js", kwargs={"org_slug": personas.org.slug})

    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    again = client.get(url, headers={"If-None-Match": plain["ETag"]})

    assert plain.status_code == 200
    assert plain["Content-Type"].startswith("text/javascript")
    assert "immutable" in plain["Cache-Control"] and "max-age=31536000" in plain["Cache-Control"]
    assert b"plotly.js" in plain.content[:200]
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert again.status_code == 304


# --- the API -----------------------------------------------------------------------------------


def test_api_returns_the_drivers(reader, survey) -> None:  # type: ignore[no-untyped-def]
    response = reader.get(f"/api/v1/drivers?survey={survey.pk}&target=nps")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["n"] == 150
    assert 0.5 < body["r_squared"] < 1
    first = body["drivers"][0]
    assert first["key"] == "q:speed"
    assert first["label"] == "Delivery speed"
    assert first["kind"] == "scale"
    assert first["quadrant"] == "fix_first"
    assert 0 <= first["performance"] <= 100
    assert sum(d["weight"] for d in body["drivers"]) == pytest.approx(body["r_squared"])
    assert sum(d["share"] for d in body["drivers"]) == pytest.approx(1.0)
    assert {d["quadrant"] for d in body["drivers"]} <= {
        "fix_first", "keep_up", "monitor", "lower_priority"
    }  # fmt: skip
    assert body["summary"].startswith("Delivery speed explains the most of NPS")
    assert body["excluded"][0]["key"] == "q:rare"
    assert body["excluded"][0]["code"] == "low_coverage"


def test_api_target_by_question_key_and_chosen_drivers(reader, survey) -> None:  # type: ignore[no-untyped-def]
    response = reader.get(
        f"/api/v1/drivers?survey={survey.pk}&target=taste&drivers=q:speed,q:price"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["target"]["key"] == "taste"
    assert {d["key"] for d in body["drivers"]} == {"q:speed", "q:price"}


def test_api_bad_target_is_a_problem_naming_the_field(reader, survey) -> None:  # type: ignore[no-untyped-def]
    missing = reader.get(f"/api/v1/drivers?survey={survey.pk}&target=nope")
    not_a_score = reader.get(f"/api/v1/drivers?survey={survey.pk}&target=ordered")
    no_csat = reader.get(f"/api/v1/drivers?survey={survey.pk}&target=csat")

    for response in (missing, not_a_score, no_csat):
        assert response.status_code == 422
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["field"] == "target"
    assert "no CSAT question" in no_csat.json()["detail"]


def test_api_bad_input_is_problem_json(reader, survey) -> None:  # type: ignore[no-untyped-def]
    bad_id = reader.get("/api/v1/drivers?survey=not-a-uuid")
    bad_date = reader.get(f"/api/v1/drivers?survey={survey.pk}&from=yesterday")
    backwards = reader.get(f"/api/v1/drivers?survey={survey.pk}&from=2025-02-02&to=2025-02-01")

    assert bad_id.status_code == 422
    assert bad_id.json()["field"] == "query.survey"
    assert bad_date.status_code == 422
    assert bad_date.json()["field"] == "query.from"
    assert backwards.status_code == 400
    assert backwards.json()["field"] == "to"


def test_api_other_organizations_survey_is_404(other_writer, survey) -> None:  # type: ignore[no-untyped-def]
    response = other_writer.get(f"/api/v1/drivers?survey={survey.pk}")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_api_other_organizations_segment_is_404(personas: Personas, reader, survey) -> None:  # type: ignore[no-untyped-def]
    from closeloop.contacts.tests.factories import make_segment

    theirs = make_segment(personas.other_org)

    response = reader.get(f"/api/v1/drivers?survey={survey.pk}&segment={theirs.pk}")

    assert response.status_code == 404


def test_api_too_few_responses_is_a_status_not_an_error(personas: Personas, reader) -> None:  # type: ignore[no-untyped-def]
    survey = drivers_survey(personas.org)
    add_responses(survey, 20)

    body = reader.get(f"/api/v1/drivers?survey={survey.pk}").json()

    assert body["status"] == "too_few_responses"
    assert body["n_target"] == 20
    assert body["drivers"] == []
    assert body["r_squared"] is None
    assert "at least 30" in body["message"]


def test_api_needs_a_key(anonymous_api, survey) -> None:  # type: ignore[no-untyped-def]
    assert anonymous_api.get(f"/api/v1/drivers?survey={survey.pk}").status_code == 401


# --- the Python interface: missing answers, one-hot groups, attributes, extra sources -----------


def test_model_r_squared_is_least_squares_on_the_one_hot_design(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    analysis = driver_analysis(survey=survey, target="nps", language="en")

    facts = AnswerFact.objects.filter(survey_id=survey.pk).values_list(
        "response_id", "question_key", "number", "choice"
    )
    rows: dict[uuid.UUID, dict[str, object]] = {}
    for rid, key, number, choice in facts:
        rows.setdefault(rid, {})[key] = number if number is not None else choice
    keys = ["speed", "taste", "price", "staff"]
    design = [
        [float(r[k]) for k in keys]  # type: ignore[arg-type]
        + [1.0 if r["ordered"] == lvl else 0.0 for lvl in ("web", "store")]
        + [float(r["newsletter"])]  # type: ignore[arg-type]
        for r in rows.values()
    ]
    y = [float(r["nps"]) for r in rows.values()]  # type: ignore[arg-type]

    expected = ols_r_squared(np.array(design), np.array(y))

    assert analysis.r_squared == pytest.approx(expected, abs=1e-9)
    assert sum(d.weight for d in analysis.drivers) == pytest.approx(expected, abs=1e-9)
    ordered = next(d for d in analysis.drivers if d.key == "q:ordered")
    assert ordered.columns == 2  # three levels, one dropped, summed into one importance
    assert {level.label for level in ordered.levels} == {"App", "Website", "In store"}
    assert ordered.best_level in {"Website", "In store"}  # app users are less happy


def test_missing_answers_are_handled_listwise(personas: Personas) -> None:
    survey = drivers_survey(personas.org)
    responses = add_responses(survey, 80)
    # Half of the respondents skipped "price": they leave the model, the others stay.
    skipped = [r.pk for r in responses[:40]]
    AnswerFact.objects.filter(response_id__in=skipped, question_key="price").delete()

    analysis = driver_analysis(survey=survey, target="nps", language="en")

    assert analysis.n_target == 80
    assert analysis.n == 40
    assert "q:price" in {d.key for d in analysis.drivers}
    price = next(d for d in analysis.drivers if d.key == "q:price")
    assert price.answered == 40


def test_least_answered_drivers_go_when_too_few_rows_answer_everything(
    personas: Personas,
) -> None:
    survey = drivers_survey(personas.org)
    responses = add_responses(survey, 50)
    # "price" answered by only 36%: alone it would cut the model to 18 rows.
    skipped = [r.pk for r in responses[:32]]
    AnswerFact.objects.filter(response_id__in=skipped, question_key="price").delete()

    analysis = driver_analysis(survey=survey, target="nps", language="en")

    assert analysis.ok
    assert analysis.n == 50
    left_out = {e.key: e.code for e in analysis.excluded}
    assert left_out["q:price"] == "listwise"


def test_contact_attributes_are_drivers(personas: Personas) -> None:
    org = personas.org
    attribute_definition_create(organization=org, key="plan", type="text", actor=None)
    attribute_definition_create(organization=org, key="spend", type="number", actor=None)
    attribute_definition_create(organization=org, key="vip", type="boolean", actor=None)
    attribute_definition_create(organization=org, key="since", type="date", actor=None)
    contacts = [
        make_contact(
            org,
            attributes={
                "plan": ["Basic", "Pro", "Team"][i % 3],
                "spend": 10 * i,
                "vip": i % 2 == 0,
                "since": "2020-01-01",
            },
        ).pk
        for i in range(12)
    ]
    survey = drivers_survey(org)
    add_responses(survey, 90, contact_ids=contacts)

    analysis = driver_analysis(survey=survey, target="nps", language="en")

    drivers = {d.key: d for d in analysis.drivers}
    assert drivers["attr:plan"].kind == "choice"
    assert drivers["attr:plan"].source == "attribute"
    assert drivers["attr:spend"].kind == "number"
    assert drivers["attr:spend"].performance is None  # not placed in the matrix
    assert drivers["attr:spend"].quadrant is None
    assert drivers["attr:vip"].kind == "yes_no"
    assert "attr:since" not in drivers


def test_segment_filter(personas: Personas) -> None:
    from closeloop.contacts.services import segment_create

    org = personas.org
    korean = [make_contact(org, language="ko").pk for _ in range(4)]
    others = [make_contact(org, language="en").pk for _ in range(4)]
    survey = drivers_survey(org)
    add_responses(survey, 40, seed=3, contact_ids=korean)
    add_responses(survey, 35, seed=4, contact_ids=others)
    segment = segment_create(
        organization=org,
        name="Korean",
        definition={"match": "all", "rules": [{"field": "language", "op": "eq", "value": "ko"}]},
        actor=None,
    )

    analysis = driver_analysis(
        survey=survey, target="nps", filters=DriverFilters(segment=segment), language="en"
    )

    assert analysis.n_target == 40


def test_unknown_target_raises_a_field_error(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DriverInputError) as error:
        driver_analysis(survey=survey, target="csat")

    assert error.value.field == "target"


def test_extra_driver_sources_add_columns(personas: Personas, survey, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(dataset_module, "_SOURCES", [])

    @register_driver_source
    def themes(context: DriverSourceContext) -> list[DriverColumn]:
        ids = list(context.responses.values_list("pk", flat=True))
        return [
            DriverColumn(
                key="theme:late",
                label="Late delivery",
                kind="yes_no",
                values={rid: float(i % 2) for i, rid in enumerate(ids)},
                levels={"1": "Yes", "0": "No"},
                source="theme",
            )
        ]

    analysis = driver_analysis(survey=survey, target="nps", language="en")

    theme = next(d for d in analysis.drivers if d.key == "theme:late")
    assert theme.source == "theme"
    assert theme.answered == 150


def test_anonymous_browser_is_sent_to_log_in(personas: Personas, survey) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(_url(personas, survey=str(survey.pk)))

    assert response.status_code in (302, 404)


def test_answers_given_by_fewer_than_five_are_hidden(personas: Personas) -> None:
    survey = drivers_survey(personas.org)
    responses = add_responses(survey, 90)
    few = [r.pk for r in responses[:3]]
    AnswerFact.objects.filter(response_id__in=few, question_key="ordered").update(choice="phone")

    response = personas.client_for(personas.viewer).get(_url(personas, survey=str(survey.pk)))

    ordered = next(d for d in response.context["analysis"].drivers if d.key == "q:ordered")
    shown = {level.key: level.count for level in ordered.levels}
    assert shown["phone"] is None
    # Subtracting the other answers from the total would give the three away: one more hides.
    assert sum(1 for count in shown.values() if count is None) == 2
    assert "hidden: fewer than 5 responses" in response.content.decode()
