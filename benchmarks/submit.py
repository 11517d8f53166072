"""Benchmark of the public submit path: completed responses per second and latency per POST.

    python benchmarks/submit.py [--n 2000]

Sets up a throwaway database (SQLite in a temporary folder; PostgreSQL when DATABASE_URL points
to a server: a fresh database named closeloop_bench), publishes a five-question survey (one
question per page) and completes N responses the way a browser does, through django.test.Client:
open the page, post it, follow to the next page. Then N responses through
response_create_complete (the API's path) as a baseline in the same process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "closeloop_bench"


def prepare_database() -> str:
    """Point DATABASE_URL at a fresh database; return a label for the report."""
    url = os.environ.get("DATABASE_URL", "")
    os.environ["CLOSELOOP_VAR_DIR"] = tempfile.mkdtemp(prefix="closeloop-bench-")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
        return f"PostgreSQL ({parts.hostname}/{BENCH_DB})"
    path = Path(os.environ["CLOSELOOP_VAR_DIR"]) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return f"SQLite ({path})"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="responses to complete (default 2000)")
    args = parser.parse_args()
    label = prepare_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closeloop.settings")
    # One client posts everything: lift the public rate limits for the run.
    os.environ["SURVEY_RATE_LIMIT_PER_IP"] = str(10**9)
    os.environ["SURVEY_RATE_LIMIT_PER_SURVEY"] = str(10**9)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from closeloop.accounts.models import User
    from closeloop.accounts.services import organization_create
    from closeloop.responses.models import AnswerFact, Response
    from closeloop.responses.services import response_create_complete
    from closeloop.responses.testing import (
        FIVE_ANSWERS,
        five_question_definition,
        form_state,
        publish_survey,
    )

    setup_test_environment()
    call_command("migrate", verbosity=0)
    owner = User.objects.create_user(email="bench@example.com", password="bench-password-1")
    org = organization_create(name="Bench", owner=owner, time_zone="UTC")
    survey = publish_survey(org, five_question_definition(), name="Bench")
    url = f"/s/{survey.public_token}/"

    latencies: list[float] = []
    client = Client()
    started = time.perf_counter()
    for _ in range(args.n):
        client.cookies.clear()
        page = client.get(url)
        for answers in FIVE_ANSWERS:
            key, nonce = form_state(page.content.decode())
            t0 = time.perf_counter()
            posted = client.post(url, {"_page": key, "_nonce": nonce, **answers})
            latencies.append(time.perf_counter() - t0)
            if posted.status_code != 303:
                raise SystemExit(f"unexpected {posted.status_code} on page {key}")
            page = client.get(posted["Location"])
    public_seconds = time.perf_counter() - started
    complete = Response.objects.filter(survey=survey, status="complete").count()
    assert complete == args.n, complete

    api_answers = {"q1": 9, "q2": 4, "q3": "speed", "q4": ["price", "staff"], "q5": "Great."}
    started = time.perf_counter()
    for _ in range(args.n):
        response_create_complete(survey=survey, answers=api_answers)
    api_seconds = time.perf_counter() - started

    public_rate = args.n / public_seconds
    api_rate = args.n / api_seconds
    print(f"database: {label}")
    print(f"responses: {args.n} through the survey page ({len(FIVE_ANSWERS)} POSTs + GETs each)")
    print(f"  completed responses/s: {public_rate:.1f}")
    print(
        f"  POST latency: p50 {statistics.median(latencies) * 1000:.2f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.2f} ms, "
        f"max {max(latencies) * 1000:.2f} ms"
    )
    print(f"baseline: {args.n} through response_create_complete")
    print(f"  completed responses/s: {api_rate:.1f}")
    print(f"  ratio (baseline / survey page): {api_rate / public_rate:.1f}x")
    print(f"answer facts stored: {AnswerFact.objects.count()}")


if __name__ == "__main__":
    main()
