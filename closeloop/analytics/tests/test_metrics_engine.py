"""The metric engine as dashboards call it: every metric against hand-worked figures, filters,
groupings in the org's time zone, the latest-score basis, and rollups against the raw answers."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from django.test import TestCase

from closeloop.accounts.models import Team
from closeloop.analytics.metrics import MetricFilters, metric_compare, metric_compute
from closeloop.analytics.models.rollups import RollupDirtyDay, RollupState
from closeloop.analytics.services import rollups_refresh
from closeloop.analytics.tests.metrics_data import answer, at, metrics_survey, nps_answers
from closeloop.automation.models import ResponseTag, TeamFeedback
from closeloop.contacts.models import Contact, Segment
from closeloop.core.errors import DomainError, NotFoundError
from closeloop.distribution.models import Invitation, Touchpoint
from closeloop.responses.services import response_complete, response_start
from conftest import Personas

pytestmark = pytest.mark.django_db

SCORES = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]  # 5 promoters, 2 passives, 3 detractors: NPS 20


def test_nps_of_a_survey_with_its_margin_and_counts(personas: Personas) -> None:
    survey = metrics_survey(personas.org)
    nps_answers(survey, "2026-03-02", SCORES)
    result = metric_compute(
        organization=personas.org, metric="nps", filters=MetricFilters(surveys=(survey,))
    )
    total = result.total.estimate
    assert total.value == pytest.approx(20.0)
    assert total.n == 10
    assert total.counts == {"promoters": 5, "passives": 2, "detractors": 3}
    # n < 30: adjusted Wald, p = 5.75/13 = 0.442308, d = 3.75/13 = 0.288462
    # SE = sqrt((0.730769 - 0.153846^2) / 13) = 0.233222 -> margin 1.96 * SE = 45.71 points
    assert total.margin_of_error == pytest.approx(45.7114, abs=1e-3)
    assert [p.key for p in result.total.parts] == ["promoters", "passives", "detractors"]
    assert result.total.histogram is not None and result.total.histogram[9] == 3
    assert result.source == "rollup"  # a new organization's rollups are complete
    assert result.unit == "points"


def test_no_responses_gives_no_value(personas: Personas) -> None:
    metrics_survey(personas.org)
    result = metric_compute(organization=personas.org, metric="nps", group_by="week")
    assert result.total.estimate.value is None
    assert result.total.estimate.n == 0
    assert result.groups == ()


def test_csat_ces_rating_and_choice(personas: Personas) -> None:
    survey = metrics_survey(personas.org, csat_points=7)
    rows = [
        # sat (1-7: 6-7 satisfied), easy (1-7: 5-7 easy), stars, best, fix
        (7, 7, 5, "speed", ["price"]),
        (6, 5, 4, "speed", ["price", "staff"]),
        (5, 4, 3, "price", ["other"]),
        (2, 1, 1, "staff", []),
        (7, 6, 5, "speed", ["price"]),
    ]
    for sat, easy, stars, best, fix in rows:
        fields = {"sat": sat, "easy": easy, "stars": stars, "best": best}
        if fix:
            fields["fix"] = {"choices": fix, "other": "Music" if "other" in fix else None}
        answer(survey, at("2026-03-03"), **fields)
    filters = MetricFilters(surveys=(survey,))
    csat = metric_compute(organization=personas.org, metric="csat", filters=filters)
    assert csat.total.estimate.value == pytest.approx(60.0)  # 3 of 5 gave 6 or 7
    assert csat.total.estimate.counts == {"satisfied": 3, "other": 2}
    ces = metric_compute(organization=personas.org, metric="ces", filters=filters)
    assert ces.total.estimate.value == pytest.approx((7 + 5 + 4 + 1 + 6) / 5)
    assert ces.total.estimate.counts == {"easy": 3, "other": 2}
    assert ces.total.parts[0].estimate.value == pytest.approx(60.0)
    rating = metric_compute(organization=personas.org, metric="rating", filters=filters)
    assert rating.total.estimate.value == pytest.approx(18 / 5)
    # mean 3.6, s^2 = (76 - 18^2/5) / 4 = 2.8, t(0.975, 4) = 2.776445 -> 2.776445 * sqrt(2.8/5)
    assert rating.total.estimate.margin_of_error == pytest.approx(2.0777, abs=1e-4)
    fix_filters = MetricFilters(surveys=(survey,), question="fix")
    hidden = metric_compute(organization=personas.org, metric="choice", filters=fix_filters)
    assert hidden.total.hidden  # 4 answers: under the minimum group size of 5
    assert hidden.total.estimate.counts == {} and hidden.total.estimate.n == 4
    fix = metric_compute(
        organization=personas.org, metric="choice", filters=fix_filters, min_group_size=0
    )
    assert fix.total.estimate.n == 4  # responses that answered "fix"
    assert fix.total.estimate.counts == {"price": 3, "staff": 1, "other": 1}
    shares = {p.key: p.estimate.value for p in fix.total.parts}
    assert shares == {"price": 75.0, "staff": 25.0, "other": 25.0}
    assert [p.label for p in fix.total.parts] == ["Price", "Staff", "Other"]
    best = metric_compute(organization=personas.org, metric="choice", filters=filters)
    assert best.questions[0].question.key == "best"  # the first choice question
    assert best.total.estimate.counts == {"speed": 3, "price": 1, "staff": 1}


def test_groups_by_week_in_the_org_time_zone(personas: Personas) -> None:
    # Acme Coffee is in Asia/Seoul (UTC+9): Sunday 2026-03-08 23:30 UTC is Monday 08:30 there,
    # the next week.
    survey = metrics_survey(personas.org)
    for score in (10, 9, 9, 9, 8):
        answer(survey, at("2026-03-08", 23, 30), rec=score)
    for score in (0, 1, 2, 9, 10):
        answer(survey, at("2026-03-08", 14, 0), rec=score)  # 23:00 Sunday in Seoul
    result = metric_compute(
        organization=personas.org,
        metric="nps",
        filters=MetricFilters(
            surveys=(survey,), date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 15)
        ),
        group_by="week",
    )
    assert [g.key for g in result.groups] == ["2026-03-02", "2026-03-09"]
    first, second = result.groups
    assert first.estimate.n == 5 and first.estimate.value == pytest.approx(-20.0)
    assert second.estimate.n == 5 and second.estimate.value == pytest.approx(80.0)
    assert second.label == "Week of 2026-03-09"
    by_day = metric_compute(
        organization=personas.org,
        metric="nps",
        filters=MetricFilters(
            surveys=(survey,), date_from=dt.date(2026, 3, 8), date_to=dt.date(2026, 3, 9)
        ),
        group_by="day",
    )
    assert [(g.key, g.estimate.n) for g in by_day.groups] == [
        ("2026-03-08", 5),
        ("2026-03-09", 5),
    ]


def test_empty_periods_between_the_dates_are_listed(personas: Personas) -> None:
    survey = metrics_survey(personas.org)
    nps_answers(survey, "2026-01-15", [10] * 6)
    result = metric_compute(
        organization=personas.org,
        metric="nps",
        filters=MetricFilters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 6, 30)),
        group_by="quarter",
    )
    assert [(g.key, g.label, g.estimate.n) for g in result.groups] == [
        ("2026-01-01", "Q1 2026", 6),
        ("2026-04-01", "Q2 2026", 0),
    ]


def test_breakdowns_by_touchpoint_channel_language_and_survey(personas: Personas) -> None:
    shop = Touchpoint.objects.create(organization=personas.org, key="shop-x", name="Shop X")
    visit = metrics_survey(personas.org)
    other = metrics_survey(personas.org, name="Delivery")
    for score in (10, 10, 10, 10, 10, 6):
        answer(visit, at("2026-03-02"), rec=score, touchpoint_id=shop.pk, channel="qr")
    for score in (0, 0, 0, 0, 0, 9):
        answer(other, at("2026-03-02"), rec=score, language="ko", channel="email")
    org = personas.org
    touchpoints = metric_compute(organization=org, metric="nps", group_by="touchpoint")
    # as many answers each: by label
    assert [(g.key, g.label, g.estimate.value) for g in touchpoints.groups] == [
        ("", "No touchpoint", pytest.approx(-66.667, abs=1e-3)),
        (str(shop.pk), "Shop X", pytest.approx(66.667, abs=1e-3)),
    ]
    channels = metric_compute(organization=org, metric="nps", group_by="channel")
    assert {g.key: g.label for g in channels.groups} == {"qr": "QR code", "email": "Email"}
    languages = metric_compute(organization=org, metric="nps", group_by="language")
    assert {g.key for g in languages.groups} == {"en", "ko"}
    surveys = metric_compute(organization=org, metric="nps", group_by="survey")
    assert {g.label: g.estimate.n for g in surveys.groups} == {"Visit": 6, "Delivery": 6}
    only_qr = metric_compute(
        organization=org, metric="nps", filters=MetricFilters(channels=("qr",))
    )
    assert only_qr.total.estimate.n == 6
    at_shop = metric_compute(
        organization=org, metric="nps", filters=MetricFilters(touchpoints=(shop,))
    )
    assert at_shop.total.estimate.value == pytest.approx(66.667, abs=1e-3)
    assert at_shop.source == "rollup"


def test_segment_attribute_and_team_read_the_raw_answers(personas: Personas) -> None:
    org = personas.org
    survey = metrics_survey(org)
    gold = [
        Contact.objects.create(organization=org, email=f"g{i}@x.test", attributes={"plan": "Gold"})
        for i in range(6)
    ]
    basic = [
        Contact.objects.create(organization=org, email=f"b{i}@x.test", attributes={"plan": "Basic"})
        for i in range(6)
    ]
    for contact in gold:
        answer(survey, at("2026-03-02"), rec=10, contact_id=contact.pk)
    routed = []
    for contact in basic:
        routed.append(answer(survey, at("2026-03-02"), rec=2, contact_id=contact.pk))
    attr = metric_compute(
        organization=org, metric="nps", filters=MetricFilters(attribute=("plan", "gold"))
    )
    assert attr.source == "raw"
    assert attr.total.estimate.value == 100.0 and attr.total.estimate.n == 6
    segment = Segment.objects.create(
        organization=org,
        name="Basic",
        definition={"match": "all", "rules": [{"field": "email", "op": "contains", "value": "b"}]},
    )
    seg = metric_compute(organization=org, metric="nps", filters=MetricFilters(segment=segment))
    assert seg.total.estimate.value == -100.0 and seg.total.estimate.n == 6
    by_plan = metric_compute(organization=org, metric="nps", group_by="attribute:plan")
    assert {g.key: g.estimate.value for g in by_plan.groups} == {"Gold": 100.0, "Basic": -100.0}
    team = Team.objects.create(organization=org, name="Growth", slug="growth-x")
    for response in routed[:5]:
        TeamFeedback.objects.create(organization=org, team=team, response=response)
    mine = metric_compute(organization=org, metric="nps", filters=MetricFilters(team=team))
    assert mine.total.estimate.n == 5 and mine.source == "raw"
    # a tag the team owns brings its responses in too, as in the team's inbox
    team.inbox_tags = ["Pricing"]
    team.save()
    ResponseTag.objects.create(organization=org, response=routed[5], tag="pricing")
    ResponseTag.objects.create(organization=org, response=routed[0], tag="pricing")
    tagged = metric_compute(organization=org, metric="nps", filters=MetricFilters(team=team))
    assert tagged.total.estimate.n == 6


def test_latest_score_per_contact(personas: Personas) -> None:
    org = personas.org
    survey = metrics_survey(org)
    contacts = [uuid.uuid4() for _ in range(6)]
    # every contact was a detractor in January and a promoter in March; one anonymous answer
    for contact in contacts:
        answer(survey, at("2026-01-10"), rec=2, contact_id=contact)
        answer(survey, at("2026-03-10"), rec=10, contact_id=contact)
    answer(survey, at("2026-03-11"), rec=0)
    every = metric_compute(organization=org, metric="nps")
    assert every.total.estimate.n == 13
    latest = metric_compute(organization=org, metric="nps", basis="latest")
    assert latest.total.estimate.n == 6
    assert latest.total.estimate.value == 100.0
    assert latest.basis_label == "Latest score per contact"
    monthly = metric_compute(organization=org, metric="nps", basis="latest", group_by="month")
    assert [(g.key, g.estimate.value) for g in monthly.groups] == [
        ("2026-01-01", -100.0),
        ("2026-03-01", 100.0),
    ]
    latest_choice = metric_compute(organization=org, metric="choice", basis="latest")
    assert latest_choice.total.estimate.n == 0


def test_completion_and_response_rates(personas: Personas) -> None:
    org = personas.org
    survey = metrics_survey(org)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the events run, as after commits
        for index in range(10):
            response, _token = response_start(
                survey=survey, channel="link", language="en", hidden={}, metadata={}
            )
            if index >= 4:
                response_complete(response=response)
    completion = metric_compute(organization=org, metric="completion_rate")
    assert completion.total.estimate.value == pytest.approx(60.0)
    assert completion.total.estimate.counts == {"started": 10, "completed": 6}
    now = dt.datetime.now(dt.UTC)
    statuses = ["completed"] * 3 + ["started"] * 2 + ["sent"] * 4 + ["bounced"] * 2 + ["queued"]
    for status in statuses:
        Invitation.objects.create(
            organization=org,
            survey=survey,
            channel="email",
            status=status,
            sent_at=None if status in ("queued", "bounced") else now,
            started_at=now if status in ("started", "completed") else None,
            completed_at=now if status == "completed" else None,
        )
    rate = metric_compute(organization=org, metric="response_rate")
    assert rate.total.estimate.counts == {"sent": 11, "bounced": 2, "delivered": 9, "completed": 3}
    assert rate.total.estimate.value == pytest.approx(100 * 3 / 9)
    start = metric_compute(organization=org, metric="start_rate", group_by="channel")
    assert start.total.estimate.value == pytest.approx(100 * 5 / 9)
    assert start.groups[0].label == "Email invitation"


def test_enps_reads_employee_surveys_only(personas: Personas) -> None:
    org = personas.org
    customer = metrics_survey(org)
    employee = metrics_survey(org, name="Pulse", kind="employee")
    nps_answers(customer, "2026-03-02", [0] * 10)
    nps_answers(employee, "2026-03-02", [10] * 10)
    assert metric_compute(organization=org, metric="enps").total.estimate.value == 100.0
    assert metric_compute(organization=org, metric="nps").total.estimate.value == -100.0
    with pytest.raises(DomainError) as error:
        metric_compute(organization=org, metric="nps", filters=MetricFilters(surveys=(employee,)))
    assert error.value.field == "survey"
    with pytest.raises(DomainError):
        metric_compute(organization=org, metric="enps", filters=MetricFilters(surveys=(customer,)))


def test_bad_input_names_the_field(personas: Personas) -> None:
    org = personas.org
    survey = metrics_survey(org)
    cases = [
        ({"metric": "happiness"}, "metric"),
        ({"metric": "nps", "group_by": "hour"}, "group_by"),
        ({"metric": "nps", "basis": "median"}, "basis"),
        ({"metric": "response_rate", "basis": "latest"}, "basis"),
        (
            {"metric": "nps", "filters": MetricFilters(surveys=(survey,), question="sat")},
            "question",
        ),
        (
            {
                "metric": "nps",
                "filters": MetricFilters(
                    date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 1)
                ),
            },
            "to",
        ),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as error:
            metric_compute(organization=org, **kwargs)  # type: ignore[arg-type]
        assert error.value.field == field, kwargs
    foreign = metrics_survey(personas.other_org)
    with pytest.raises(NotFoundError):
        metric_compute(organization=org, metric="nps", filters=MetricFilters(surveys=(foreign,)))


def test_compare_with_the_previous_period(personas: Personas) -> None:
    org = personas.org
    survey = metrics_survey(org)
    nps_answers(survey, "2026-02-10", [10] * 30 + [0] * 30 + [8] * 40)  # NPS 0
    nps_answers(survey, "2026-03-10", [10] * 50 + [0] * 10 + [8] * 40)  # NPS 40
    comparison = metric_compare(
        organization=org,
        metric="nps",
        filters=MetricFilters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31)),
    )
    # previous period: the 31 days before March, 2026-01-29 .. 2026-02-28
    assert comparison.previous.filters.date_from == dt.date(2026, 1, 29)
    assert comparison.previous.total.estimate.value == pytest.approx(0.0)
    assert comparison.change.difference == pytest.approx(40.0)
    assert comparison.change.exceeds_noise
    assert comparison.change.sentence.startswith("Up 40 points, more than the margin of error")
    with pytest.raises(DomainError) as error:
        metric_compare(organization=org, metric="nps", filters=MetricFilters())
    assert error.value.field == "from"


GROUPINGS = ["none", "day", "week", "month", "quarter", "touchpoint", "channel", "language"]


def test_rollups_and_raw_answers_give_identical_numbers(personas: Personas) -> None:
    org = personas.org
    rng = random.Random(6)
    shops = [
        Touchpoint.objects.create(organization=org, key=f"t{i}", name=f"T{i}") for i in range(3)
    ]
    surveys = [metrics_survey(org, name="A"), metrics_survey(org, name="B", csat_points=10)]
    start = dt.datetime(2025, 12, 20, tzinfo=dt.UTC)
    for _ in range(160):
        when = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 100))
        choice = rng.choice(["speed", "price", "staff"])
        answer(
            rng.choice(surveys),
            when,
            touchpoint_id=rng.choice([None, *(s.pk for s in shops)]),
            channel=rng.choice(["api", "email", "qr"]),
            language=rng.choice(["en", "ko"]),
            rec=rng.choices(range(11), weights=[1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 9])[0],
            sat=rng.randint(1, 5),
            easy=rng.randint(1, 7),
            stars=rng.randint(1, 5),
            best=choice,
            fix={"choices": [choice]},
        )
    filters = MetricFilters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 15))
    metrics = ["nps", "csat", "ces", "rating", "choice", "completion_rate"]

    def snapshot() -> dict[tuple[str, str], object]:
        out: dict[tuple[str, str], object] = {}
        for metric in metrics:
            for group_by in GROUPINGS:
                result = metric_compute(
                    organization=org, metric=metric, filters=filters, group_by=group_by
                )
                out[(metric, group_by)] = (
                    result.source,
                    [(g.key, g.estimate, g.hidden, g.parts, g.histogram) for g in result.groups],
                    result.total.estimate,
                )
        return out

    patched = snapshot()  # rollups plus dirty days read from the raw answers
    assert RollupDirtyDay.objects.exists()
    rollups_refresh()
    assert not RollupDirtyDay.objects.exists()
    from_rollups = snapshot()
    RollupState.objects.filter(organization=org).delete()
    from_raw = snapshot()
    for key, (source, groups, total) in from_rollups.items():
        assert source == "rollup" and patched[key][0] == "rollup"
        assert from_raw[key][0] == "raw"
        assert (groups, total) == from_raw[key][1:], key
        assert (groups, total) == patched[key][1:], key
