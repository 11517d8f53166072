"""Benchmark of event ingestion: events per second through POST /api/v1/events, and latency.

    python benchmarks/events.py [--n 2000]

Sets up a throwaway database (SQLite in a temporary folder; PostgreSQL when DATABASE_URL points
to a server: a fresh database named closeloop_bench_events), publishes a survey, adds three
trigger rules on the "purchase" event (one with a condition, one sampled at 50%, delays of an
hour to two days) and sends N purchase events from 500 customers through django.test.Client
with a bearer API key: each finds or creates its contact, runs the three rules (conditions,
sampling, frequency rules, invitation + outbox row). Then N events through event_ingest directly
(same rules, other customers) as a baseline in the same process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter

from _setup import bench_org, percentile, setup_django

BENCH_DB = "closeloop_bench_events"
CUSTOMERS = 500


def event(n: int, domain: str) -> dict[str, object]:
    return {
        "id": f"{domain}-{n}",
        "type": "purchase",
        "contact": {
            "email": f"customer{n % CUSTOMERS}@{domain}.example",
            "attributes": {"plan": ["basic", "gold"][n % 2]},
        },
        "properties": {"order_id": f"O-{n}", "total": 10000 + (n * 7919) % 60000},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="events to send (default 2000)")
    args = parser.parse_args()
    label = setup_django(BENCH_DB, test_client=True)

    from django.test import Client

    from closeloop.accounts.choices import ApiKeyScope
    from closeloop.accounts.services import api_key_create
    from closeloop.distribution.events_services import event_ingest, trigger_rule_create
    from closeloop.distribution.models import Event, Invitation
    from closeloop.responses.testing import five_question_definition, publish_survey

    owner, org = bench_org()
    survey = publish_survey(org, five_question_definition(), name="Bench")
    rules = [
        {"name": "Every purchase", "delay_minutes": 2 * 24 * 60},
        {
            "name": "Big orders",
            "delay_minutes": 24 * 60,
            "conditions": [{"field": "properties.total", "op": "gt", "value": 30000}],
        },
        {
            "name": "Gold, half of them",
            "delay_minutes": 60,
            "sample_percent": 50,
            "conditions": [{"field": "attribute.plan", "op": "eq", "value": "gold"}],
        },
    ]
    for rule in rules:
        trigger_rule_create(
            organization=org,
            actor=None,
            data={"event_type": "purchase", "survey": survey, **rule},
        )
    _key, secret = api_key_create(
        organization=org, name="bench", scope=ApiKeyScope.WRITE, created_by=owner
    )
    client = Client(headers={"Authorization": f"Bearer {secret}"})

    latencies: list[float] = []
    started = time.perf_counter()
    for n in range(args.n):
        body = json.dumps(event(n, "api"))
        t0 = time.perf_counter()
        response = client.post("/api/v1/events", data=body, content_type="application/json")
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 202:
            raise SystemExit(f"unexpected {response.status_code}: {response.content[:300]!r}")
    api_seconds = time.perf_counter() - started

    direct: list[float] = []
    started = time.perf_counter()
    for n in range(args.n):
        item = event(n, "direct")
        t0 = time.perf_counter()
        event_ingest(
            organization=org,
            contact=item["contact"],
            event_type=item["type"],
            properties=item["properties"],
            event_id=item["id"],
        )
        direct.append(time.perf_counter() - t0)
    direct_seconds = time.perf_counter() - started

    api_rate = args.n / api_seconds
    direct_rate = args.n / direct_seconds
    outcomes = Counter(Event.objects.values_list("outcome", flat=True))
    statuses = Counter(Invitation.objects.values_list("status", flat=True))
    print(f"database: {label}")
    print(f"events: {args.n} through POST /api/v1/events (bearer key, 3 trigger rules)")
    print(f"  events/s: {api_rate:.1f}")
    print(
        f"  latency: p50 {statistics.median(latencies) * 1000:.2f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.2f} ms, "
        f"max {max(latencies) * 1000:.2f} ms"
    )
    print(f"baseline: {args.n} through event_ingest")
    print(f"  events/s: {direct_rate:.1f}")
    print(
        f"  latency: p50 {statistics.median(direct) * 1000:.2f} ms, "
        f"p95 {percentile(direct, 0.95) * 1000:.2f} ms"
    )
    print(f"  ratio (baseline / API): {direct_rate / api_rate:.2f}x")
    print(f"outcomes: {dict(outcomes)}; invitations: {dict(statuses)}")


if __name__ == "__main__":
    main()
