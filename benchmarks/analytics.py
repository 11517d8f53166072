"""Benchmark of the analytics dashboards: N realistic responses, the daily rollups built from
them, and the main dashboard queries through the metric engine against the same aggregate
written as direct SQL on the raw answer facts.

    python benchmarks/analytics.py [--n 20000] [--repeat 15] [--database-url URL]
    python benchmarks/analytics.py --n 1000000
    python benchmarks/analytics.py --n 10000000

PostgreSQL only (the generator is SQL): a throwaway database named closeloop_bench_analytics
on the server of --database-url (default: $DATABASE_URL, else postgres://postgres@127.0.0.1/),
dropped and created again on every run.

Data: one organization in Asia/Seoul with 5 customer surveys (NPS, CSAT 1-5, CES 1-7, a 5-star
rating, a single and a multiple choice), 8 touchpoints, 5 channels, 3 languages (en, ko, th),
responses over the last 3 years (more recent days busier), skewed NPS that differs by
touchpoint and drifts over time; about 3.4 answer facts per response. Responses and facts are
generated inside PostgreSQL (INSERT ... SELECT generate_series, a million rows per batch).

Then `rollups_rebuild` (what `closeloop analytics rebuild` runs), and each query `--repeat`
times after one warm-up, reporting median and p95 latency and the ratio raw / engine:

1. NPS trend by week over the last year (52-53 groups with n, margin, counts);
2. NPS by touchpoint over the last 90 days;
3. the NPS score distribution (0-10) over the last year;
4. CSAT (top 2 box) by month over the last year.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from _setup import bench_org, percentile, setup_django

BENCH_DB = "closeloop_bench_analytics"
ZONE = "Asia/Seoul"
BATCH = 1_000_000
SURVEYS = 5
TOUCHPOINTS = 8
DAYS = 3 * 365


def definition(index: int) -> dict[str, Any]:
    def en(text: str) -> dict[str, str]:
        return {"en": text, "ko": text, "th": text}

    reasons = [{"key": k, "label": en(k)} for k in ("price", "speed", "staff", "taste")]
    improve = [{"key": k, "label": en(k)} for k in ("app", "menu", "wait", "music", "seats")]
    return {
        "default_language": "en",
        "languages": ["en", "ko", "th"],
        "title": en(f"Survey {index}"),
        "pages": [
            {
                "key": "p1",
                "questions": [
                    {"key": "rec", "type": "nps", "title": en("Recommend?")},
                    {"key": "sat", "type": "csat", "title": en("Satisfied?")},
                    {"key": "easy", "type": "ces", "title": en("Easy?")},
                    {"key": "stars", "type": "rating", "title": en("Stars")},
                    {"key": "why", "type": "single_choice", "title": en("Why?"),
                     "choices": reasons},
                    {"key": "fix", "type": "multiple_choice", "title": en("Fix?"),
                     "choices": improve},
                ],
            }
        ],
        "endings": [{"key": "end", "title": en("Thanks"), "message": en("Bye")}],
    }  # fmt: skip


STAGE = """
CREATE UNLOGGED TABLE bench_stage AS
SELECT
    gen_random_uuid() AS id,
    1 + (g %% {surveys}) AS s,
    (g::bigint * 7919) %% ({touchpoints} + 1) AS tp,  -- 0: no touchpoint
    (ARRAY['link','email','widget','qr','api'])[1 + floor(power(random(), 1.3) * 5)::int] AS ch,
    CASE WHEN random() < 0.5 THEN 'en' WHEN random() < 0.7 THEN 'ko' ELSE 'th' END AS lang,
    %(end)s - make_interval(secs => {days} * 86400 * power(random(), 1.4)) AS at,
    random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5, random() AS u6
FROM generate_series(%(first)s, %(last)s) AS g
"""

RESPONSES = """
INSERT INTO responses_response (id, organization_id, survey_id, version_id, contact_id,
    personal_link_id, channel, touchpoint_id, language, status, current_page, answers, hidden,
    metadata, historical, resume_token_hash, idempotency_key, start_nonce, last_nonce,
    created_at, started_at, updated_at, completed_at)
SELECT st.id, %(org)s, sv.survey_id, sv.version_id, NULL, NULL, st.ch, tp.id, st.lang,
    'complete', 'ending:end', '{{}}'::jsonb, '{{}}'::jsonb, '{{}}'::jsonb, false, '', '', '', '',
    st.at, st.at - interval '90 seconds', st.at, st.at
FROM bench_stage st
JOIN bench_surveys sv ON sv.s = st.s
LEFT JOIN bench_touchpoints tp ON tp.n = st.tp
"""

# score shape: power(u, a) with a < 1 leans high; a depends on the touchpoint and drifts
FACTS = """
INSERT INTO responses_answerfact (organization_id, survey_id, version_number, response_id,
    question_key, question_type, row_key, number, choice, text, answered_at)
SELECT %(org)s, sv.survey_id, 1, st.id, q.key, q.type, '', q.number, q.choice, '', st.at
FROM bench_stage st
JOIN bench_surveys sv ON sv.s = st.s
CROSS JOIN LATERAL (
    SELECT 'rec', 'nps', least(10, floor(11 * power(st.u1,
        0.25 + 0.04 * (st.tp %% 5) + 0.05 * sin(extract(epoch FROM st.at) / 5184000.0))))::float,
        ''
    UNION ALL
    SELECT 'sat', 'csat', (1 + least(4, floor(5 * power(st.u2, 0.55))))::float, ''
    WHERE st.u6 < 0.6
    UNION ALL
    SELECT 'easy', 'ces', (1 + least(6, floor(7 * power(st.u3, 0.7))))::float, ''
    WHERE st.u6 < 0.4
    UNION ALL
    SELECT 'stars', 'rating', (1 + least(4, floor(5 * power(st.u4, 0.6))))::float, ''
    WHERE st.u6 >= 0.7
    UNION ALL
    SELECT 'why', 'single_choice', NULL,
        (ARRAY['price','speed','staff','taste'])[1 + least(3, floor(4 * power(st.u5, 1.5)))::int]
    WHERE st.u5 < 0.5
    UNION ALL
    SELECT 'fix', 'multiple_choice', NULL, c
    FROM unnest(ARRAY['app','menu','wait','music','seats']) WITH ORDINALITY AS m(c, i)
    WHERE st.u4 < 0.3 AND (i = 1 + (floor(st.u3 * 5))::int OR (i = 1 + (floor(st.u2 * 5))::int
        AND st.u1 < 0.4))
) AS q(key, type, number, choice)
"""


def generate(n: int, org: Any) -> float:
    """Responses and answer facts in bulk SQL; returns the seconds it took."""
    from django.db import connection

    from closeloop.distribution.models import Touchpoint
    from closeloop.responses.testing import publish_survey

    surveys = [publish_survey(org, definition(i), name=f"Survey {i}") for i in range(1, 6)]
    touchpoints = [
        Touchpoint.objects.create(organization=org, key=f"tp{i}", name=f"Touchpoint {i}")
        for i in range(1, TOUCHPOINTS + 1)
    ]
    started = time.monotonic()
    end = dt.datetime.now(dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_surveys (s int, survey_id uuid, version_id uuid)")
        for index, survey in enumerate(surveys, start=1):
            cursor.execute(
                "INSERT INTO bench_surveys VALUES (%s, %s, %s)",
                [index, survey.pk, survey.current_version_id],
            )
        cursor.execute("CREATE TEMP TABLE bench_touchpoints (n int, id uuid)")
        for index, touchpoint in enumerate(touchpoints, start=1):
            cursor.execute("INSERT INTO bench_touchpoints VALUES (%s, %s)", [index, touchpoint.pk])
        stage = STAGE.format(surveys=SURVEYS, touchpoints=TOUCHPOINTS, days=DAYS)
        for first in range(1, n + 1, BATCH):
            last = min(n, first + BATCH - 1)
            cursor.execute("DROP TABLE IF EXISTS bench_stage")
            cursor.execute(stage, {"first": first, "last": last, "end": end})
            cursor.execute(RESPONSES.format(), {"org": org.pk})
            cursor.execute(FACTS, {"org": org.pk})
            print(f"  {last:,}/{n:,} responses ({time.monotonic() - started:.0f}s)", flush=True)
        cursor.execute("DROP TABLE IF EXISTS bench_stage")
        cursor.execute("ANALYZE responses_response")
        cursor.execute("ANALYZE responses_answerfact")
    return time.monotonic() - started


def reuse_database(url: str, name: str) -> str:
    """The previous run's database, migrated to the current code."""
    import tempfile
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["CLOSELOOP_VAR_DIR"] = tempfile.mkdtemp(prefix="closeloop-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closeloop.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return f"PostgreSQL ({parts.hostname}/{name}, reused)"


def timed(run: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    result = run()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def sql(query: str, params: list[Any]) -> Callable[[], list[tuple[Any, ...]]]:
    from django.db import connection

    def run() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return list(cursor.fetchall())

    return run


RAW_NPS_WEEKLY = """
SELECT date_trunc('week', answered_at AT TIME ZONE %s) AS week, count(*),
    count(*) FILTER (WHERE number >= 9), count(*) FILTER (WHERE number <= 6)
FROM responses_answerfact
WHERE organization_id = %s AND question_type = 'nps' AND number IS NOT NULL
    AND answered_at >= %s AND answered_at < %s
GROUP BY 1 ORDER BY 1
"""
RAW_NPS_TOUCHPOINT = """
SELECT r.touchpoint_id, count(*), count(*) FILTER (WHERE f.number >= 9),
    count(*) FILTER (WHERE f.number <= 6)
FROM responses_answerfact f JOIN responses_response r ON r.id = f.response_id
WHERE f.organization_id = %s AND f.question_type = 'nps' AND f.number IS NOT NULL
    AND f.answered_at >= %s AND f.answered_at < %s
GROUP BY 1
"""
RAW_NPS_DISTRIBUTION = """
SELECT number, count(*) FROM responses_answerfact
WHERE organization_id = %s AND question_type = 'nps' AND number IS NOT NULL
    AND answered_at >= %s AND answered_at < %s
GROUP BY 1 ORDER BY 1
"""
RAW_CSAT_MONTHLY = """
SELECT date_trunc('month', answered_at AT TIME ZONE %s) AS month, count(*),
    count(*) FILTER (WHERE number >= 4)
FROM responses_answerfact
WHERE organization_id = %s AND question_type = 'csat' AND number IS NOT NULL
    AND answered_at >= %s AND answered_at < %s
GROUP BY 1 ORDER BY 1
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="responses (default 20000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per query (15)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server (the benchmark makes its own database there)",
    )
    parser.add_argument(
        "--db-name",
        default=BENCH_DB,
        help=f"the throwaway database's name ({BENCH_DB}); another name keeps a long run safe "
        "from a smoke run started meanwhile",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data of the previous run (skip generating; rebuild and time again)",
    )
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the generator needs PostgreSQL: --database-url postgres://...")
    if args.reuse:
        label = reuse_database(args.database_url, args.db_name)
    else:
        os.environ["DATABASE_URL"] = args.database_url
        label = setup_django(args.db_name)

    from zoneinfo import ZoneInfo

    from closeloop.analytics.metrics import MetricFilters, metric_compute
    from closeloop.analytics.models.rollups import (
        ChoiceRollup,
        ResponseRollup,
        ScoreDayRollup,
        ScoreRollup,
    )
    from closeloop.analytics.services import rollups_rebuild
    from closeloop.responses.models import AnswerFact

    print(f"Database: {label}")
    if args.reuse:
        from closeloop.accounts.models import Organization
        from closeloop.responses.models import Response

        org = Organization.objects.get(name="Analytics bench")
        args.n = Response.objects.filter(organization_id=org.pk).count()
    else:
        _owner, org = bench_org("Analytics bench", time_zone=ZONE)
        print(f"Generating {args.n:,} responses ...", flush=True)
        generation = generate(args.n, org)
        print(f"Generated {args.n:,} responses in {generation:.0f}s")
    facts = AnswerFact.objects.filter(organization_id=org.pk).count()
    print(f"{args.n:,} responses, {facts:,} answer facts")

    print("Building the rollups ...", flush=True)
    started = time.monotonic()
    rollups_rebuild(organization=org)
    build = time.monotonic() - started
    rows = sum(
        m.objects.count() for m in (ScoreRollup, ScoreDayRollup, ChoiceRollup, ResponseRollup)
    )
    print(f"Built {rows:,} rollup rows in {build:.0f}s")

    zone = ZoneInfo(ZONE)
    today = dt.datetime.now(zone).date()
    year_from, days90_from = today - dt.timedelta(days=364), today - dt.timedelta(days=89)

    def bounds(first: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return start, end

    year, days90 = bounds(year_from), bounds(days90_from)
    year_filters = MetricFilters(date_from=year_from, date_to=today)

    def engine(metric: str, filters: MetricFilters, group_by: str) -> Callable[[], Any]:
        return lambda: metric_compute(
            organization=org, metric=metric, filters=filters, group_by=group_by
        )

    queries = [
        (
            "NPS trend by week, last year",
            engine("nps", year_filters, "week"),
            sql(RAW_NPS_WEEKLY, [ZONE, org.pk, *year]),
        ),
        (
            "NPS by touchpoint, last 90 days",
            engine("nps", MetricFilters(date_from=days90_from, date_to=today), "touchpoint"),
            sql(RAW_NPS_TOUCHPOINT, [org.pk, *days90]),
        ),
        (
            "NPS score distribution, last year",
            engine("nps", year_filters, "none"),
            sql(RAW_NPS_DISTRIBUTION, [org.pk, *year]),
        ),
        (
            "CSAT by month, last year",
            engine("csat", year_filters, "month"),
            sql(RAW_CSAT_MONTHLY, [ZONE, org.pk, *year]),
        ),
    ]
    print()
    print(f"{args.n:,} responses, {facts:,} facts; {args.repeat} runs each (ms):")
    print(f"{'query':36} {'engine med':>10} {'p95':>8} {'raw SQL med':>12} {'p95':>8} {'ratio':>7}")
    for name, run_engine, run_raw in queries:
        engine_times, result = timed(run_engine, args.repeat)
        raw_times, raw_rows = timed(run_raw, args.repeat)
        assert result.source == "rollup", result.source
        # the same answers: the engine's n equals the raw count
        raw_n = sum(row[1] for row in raw_rows)
        assert result.total.estimate.n == raw_n, (name, result.total.estimate.n, raw_n)
        e_med, r_med = statistics.median(engine_times), statistics.median(raw_times)
        print(
            f"{name:36} {e_med:10.1f} {percentile(engine_times, 0.95):8.1f} "
            f"{r_med:12.1f} {percentile(raw_times, 0.95):8.1f} {r_med / e_med:6.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
