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
import statistics
import time

from _setup import bench_org, percentile, setup_django

BENCH_DB = "closeloop_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="responses to complete (default 2000)")
    args = parser.parse_args()
    # One client posts everything: lift the public rate limits for the run.
    unlimited = str(10**9)
    label = setup_django(
        BENCH_DB,
        env={"SURVEY_RATE_LIMIT_PER_IP": unlimited, "SURVEY_RATE_LIMIT_PER_SURVEY": unlimited},
        test_client=True,
    )

    from django.test import Client

    from closeloop.responses.models import AnswerFact, Response
    from closeloop.responses.services import response_create_complete
    from closeloop.responses.testing import (
        FIVE_ANSWERS,
        five_question_definition,
        form_state,
        publish_survey,
    )

    _owner, org = bench_org()
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
