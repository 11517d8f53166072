"""The daily rollups as the worker and the operator keep them: dirty days after new, late and
imported answers, local days in the org's time zone, the periodic job, and the rebuild command."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum

from closeloop import cli
from closeloop.analytics.metrics import MetricFilters, metric_compute
from closeloop.analytics.models.rollups import (
    ChoiceRollup,
    ResponseRollup,
    RollupDirtyDay,
    RollupState,
    ScoreDayRollup,
    ScoreRollup,
)
from closeloop.analytics.tasks import rollups_refresh_task
from closeloop.analytics.tests.metrics_data import answer, at, metrics_survey, nps_answers
from closeloop.api.testing import ApiClient
from closeloop.core.periodic import run_due_jobs
from closeloop.responses.models import AnswerFact
from conftest import Personas

pytestmark = pytest.mark.django_db


_clock = [dt.datetime.now(dt.UTC)]


def run_worker() -> None:
    """The scheduler's pass a while later, then the job it enqueued, as the worker runs it
    (the worker process itself is exercised in test_the_worker_process_runs_the_job)."""
    _clock[0] += dt.timedelta(hours=1)
    assert "analytics.rollups_refresh" in run_due_jobs(now=_clock[0])
    rollups_refresh_task.call()


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_runs_the_job(personas: Personas) -> None:
    survey = metrics_survey(personas.org)
    nps_answers(survey, "2026-03-02", [10, 9])
    assert RollupDirtyDay.objects.count() == 1
    assert "analytics.rollups_refresh" in run_due_jobs()
    call_command("closeloop_worker", "--batch", "--no-scheduler", stdout=io.StringIO())
    assert not RollupDirtyDay.objects.exists()
    assert rollup_scores(survey.pk)[(dt.date(2026, 3, 2), "rec")] == (2, 2, 19.0)


def rollup_scores(survey_id: Any) -> dict[tuple[dt.date, str], tuple[int, int, float]]:
    """(day, question) -> (n, promoters, sum) from the rollups."""
    rows = (
        ScoreRollup.objects.filter(survey_id=survey_id)
        .values("day", "question_key")
        .annotate(n=Sum("n"), top=Sum("score_9") + Sum("score_10"), total=Sum("total"))
    )
    return {(r["day"], r["question_key"]): (r["n"], r["top"], r["total"]) for r in rows}


def raw_scores(survey_id: Any, zone: str) -> dict[tuple[dt.date, str], tuple[int, int, float]]:
    """The same straight from the answer facts, cutting days in Python."""
    from zoneinfo import ZoneInfo

    out: dict[tuple[dt.date, str], list[float]] = {}
    for fact in AnswerFact.objects.filter(
        survey_id=survey_id,
        number__isnull=False,
        question_type__in=["nps", "csat", "ces", "rating"],
    ):
        key = (fact.answered_at.astimezone(ZoneInfo(zone)).date(), fact.question_key)
        entry = out.setdefault(key, [0, 0, 0.0])
        entry[0] += 1
        entry[1] += fact.number in (9, 10)
        entry[2] += fact.number
    return {k: (int(v[0]), int(v[1]), v[2]) for k, v in out.items()}


def test_the_worker_recomputes_a_day_when_a_late_answer_arrives(
    personas: Personas, writer: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    survey = metrics_survey(personas.org)
    nps_answers(survey, "2026-03-02", [10, 9, 8, 3, 10, 9])
    nps_answers(survey, "2026-03-05", [0, 1])
    assert RollupDirtyDay.objects.count() == 2
    run_worker()
    assert not RollupDirtyDay.objects.exists()
    day = dt.date(2026, 3, 2)
    assert rollup_scores(survey.pk)[(day, "rec")] == (6, 4, 49.0)

    # an answer given now, dated that day (an offline kiosk syncing, say)
    with django_capture_on_commit_callbacks(execute=True):
        created = writer.post(
            f"/surveys/{survey.pk}/responses",
            {"answers": {"rec": 10, "sat": 5}, "completed_at": "2026-03-02T05:00:00Z"},
        )
    assert created.status_code == 201, created.content
    assert list(RollupDirtyDay.objects.values_list("day", flat=True)) == [day]
    # until the worker runs, the engine reads the dirty day from the answers
    nps = metric_compute(
        organization=personas.org,
        metric="nps",
        filters=MetricFilters(date_from=day, date_to=day),
    )
    assert nps.source == "rollup" and nps.total.estimate.n == 7
    run_worker()
    assert rollup_scores(survey.pk) == raw_scores(survey.pk, personas.org.time_zone)
    assert rollup_scores(survey.pk)[(day, "rec")] == (7, 5, 59.0)
    assert (
        ResponseRollup.objects.filter(survey=survey, day=day).aggregate(c=Sum("completed"))["c"]
        == 7
    )


def test_days_are_cut_in_the_org_time_zone(personas: Personas) -> None:
    # Acme Coffee is in Asia/Seoul: 23:30 UTC on 2 March is 08:30 on 3 March there.
    survey = metrics_survey(personas.org)
    answer(survey, at("2026-03-02", 23, 30), rec=9)
    answer(survey, at("2026-03-02", 14, 59), rec=9)  # 23:59 in Seoul, still the 2nd
    run_worker()
    days = dict(
        ScoreRollup.objects.filter(question_key="rec").values_list("day").annotate(n=Sum("n"))
    )
    assert days == {dt.date(2026, 3, 3): 1, dt.date(2026, 3, 2): 1}
    other = metrics_survey(personas.other_org)  # Other Shop keeps UTC
    answer(other, at("2026-03-02", 23, 30), rec=9)
    run_worker()
    assert list(ScoreRollup.objects.filter(survey=other).values_list("day", flat=True)) == [
        dt.date(2026, 3, 2)
    ]


def test_imported_history_counts(
    personas: Personas, writer: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    survey = metrics_survey(personas.org)
    with django_capture_on_commit_callbacks(execute=True):
        for score in (10, 10, 10, 9, 0):
            reply = writer.post(
                f"/surveys/{survey.pk}/responses",
                {
                    "answers": {"rec": score, "fix": ["price"]},
                    "historical": True,
                    "completed_at": "2024-06-01T10:00:00Z",
                },
            )
            assert reply.status_code == 201
    run_worker()
    assert rollup_scores(survey.pk)[(dt.date(2024, 6, 1), "rec")] == (5, 4, 39.0)
    assert ChoiceRollup.objects.get(survey=survey, choice="price").count == 5
    assert ChoiceRollup.objects.get(survey=survey, choice="").count == 5  # answered
    row = ResponseRollup.objects.get(survey=survey)
    assert (row.started, row.completed) == (0, 5)  # imports never count as started
    result = metric_compute(organization=personas.org, metric="nps")
    assert result.total.estimate.value == pytest.approx(60.0)


def test_the_rebuild_command_shows_progress_and_matches_the_answers(
    personas: Personas, capsys: pytest.CaptureFixture[str]
) -> None:
    survey = metrics_survey(personas.org)
    nps_answers(survey, "2026-01-31", [10, 9, 9, 2, 7])
    nps_answers(survey, "2026-03-02", [10, 0, 0])
    ScoreRollup.objects.create(  # a stray row the rebuild must remove
        organization=personas.org,
        survey=survey,
        day=dt.date(2025, 1, 1),
        channel="api",
        language="en",
        question_key="rec",
        question_type="nps",
        version_number=1,
        n=1,
        total=1,
        total_squares=1,
        score_1=1,
    )
    RollupState.objects.filter(organization=personas.org).delete()
    assert metric_compute(organization=personas.org, metric="nps").source == "raw"

    assert cli.main(["analytics", "rebuild", "--org", personas.org.slug]) == 0
    out = capsys.readouterr().out
    assert f"Rebuilding the analytics rollups of {personas.org.slug} (Asia/Seoul)" in out
    assert "3/3 (100%) Visit 2026-03" in out  # January, February, March
    assert "done in" in out
    assert rollup_scores(survey.pk) == raw_scores(survey.pk, "Asia/Seoul")
    assert not RollupDirtyDay.objects.exists()
    assert metric_compute(organization=personas.org, metric="nps").source == "rollup"
    assert cli.main(["analytics", "rebuild", "--org", "nope"]) == 1
    assert "no organization with the slug 'nope'" in capsys.readouterr().err


def test_a_new_time_zone_rebuilds_the_rollups(personas: Personas) -> None:
    org = personas.org
    survey = metrics_survey(org)
    answer(survey, at("2026-03-02", 20, 0), rec=10)  # 3 March in Seoul, 2 March in New York
    run_worker()
    assert ScoreRollup.objects.get(survey=survey, question_key="rec").day == dt.date(2026, 3, 3)
    org.time_zone = "America/New_York"
    org.save(update_fields=["time_zone"])
    result = metric_compute(organization=org, metric="nps", group_by="day", min_group_size=0)
    assert result.source == "raw"  # the rollups were cut in Seoul time
    assert [g.key for g in result.groups] == ["2026-03-02"]
    run_worker()
    assert ScoreRollup.objects.get(survey=survey, question_key="rec").day == dt.date(2026, 3, 2)
    state = RollupState.objects.get(organization=org)
    assert state.time_zone == "America/New_York" and state.built_at is not None
    assert metric_compute(organization=org, metric="nps").source == "rollup"


def test_completion_counts_follow_the_start_day(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    from closeloop.responses.services import response_complete, response_start

    survey = metrics_survey(personas.org)
    with django_capture_on_commit_callbacks(execute=True):
        started = [
            response_start(survey=survey, channel="link", language="en", hidden={}, metadata={})[0]
            for _ in range(3)
        ]
    run_worker()
    row = ResponseRollup.objects.get(survey=survey)
    assert (row.started, row.completed, row.started_completed) == (3, 0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        response_complete(response=started[0])
    run_worker()
    totals = ResponseRollup.objects.filter(survey=survey).aggregate(
        started=Sum("started"), completed=Sum("completed"), done=Sum("started_completed")
    )
    assert totals == {"started": 3, "completed": 1, "done": 1}


def test_rollup_rows_are_few(personas: Personas) -> None:
    survey = metrics_survey(personas.org)
    nps_answers(survey, "2026-03-02", [10] * 20, channel="qr")
    nps_answers(survey, "2026-03-02", [5] * 20, channel="email")
    run_worker()
    counts = ScoreRollup.objects.filter(question_key="rec").aggregate(
        rows=Count("id"), answers=Sum("n"), qr=Sum("n", filter=Q(channel="qr"))
    )
    assert counts == {"rows": 2, "answers": 40, "qr": 20}
    # the whole day in one row, for queries that do not split by touchpoint, channel, language
    whole = ScoreDayRollup.objects.get(survey=survey, question_key="rec")
    assert (whole.n, whole.score_10, whole.score_5) == (40, 20, 20)
