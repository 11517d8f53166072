"""Benchmark of automation rules: rule evaluations and case creations per second with 1,000
rules in one organization.

    python benchmarks/rules.py [--responses 200 | --n 200] [--rules 1000] [--matching 10]

Sets up a throwaway database (SQLite in a temporary folder; PostgreSQL when DATABASE_URL points
to a server: a fresh database named closeloop_bench_rules), publishes a survey (NPS, CSAT, a
choice, a comment), turns the organization's default rules off, adds 1,000 active rules on
response.completed, of which 10 match detractors and create a case for Support, and the rest
do not match (score ranges, words, languages, answers, contact attributes), and completes N
responses (1 in 5 a detractor). Then:

1. conditions only: for each response, build the event's context and evaluate every rule's
   conditions (what the builder's preview does; no writes);
2. the engine: `event_run` for each response, as the background task does: the same
   evaluation, a run-log row per rule (bulk-inserted for rules that did not match) and, for the
   matching rules, the case (case_create: number, assignment, SLA due times, timeline) in a
   transaction with its run row;
2b. the same on other responses with AUTOMATION_LOG_UNMATCHED = False: only matching rules
   are logged;
3. case_create alone, as a baseline for the cost of a case.
"""

from __future__ import annotations

import argparse
import time

from _setup import bench_org, setup_django

BENCH_DB = "closeloop_bench_rules"


def non_matching(n: int, survey_id: str) -> list[dict[str, object]]:
    """Conditions no benchmark response meets, varied over the condition types."""
    kind = n % 6
    if kind == 0:
        return [
            {"type": "score", "metric": "nps", "min": 11 - 1, "max": 10},
            {"type": "language", "value": ["th"]},
        ]
    if kind == 1:
        return [{"type": "text_contains", "value": [f"never-{n}", "จัดส่งล่าช้า"]}]
    if kind == 2:
        return [{"type": "answer", "key": "topic", "op": "eq", "value": f"none{n}"}]
    if kind == 3:
        return [{"type": "contact_attribute", "key": "plan", "op": "eq", "value": "platinum"}]
    if kind == 4:
        return [
            {"type": "nps_category", "value": ["detractor"]},
            {"type": "channel", "value": ["qr"]},
        ]
    return [{"type": "csat", "value": "unsatisfied"}, {"type": "survey", "value": [survey_id]},
            {"type": "score", "metric": "nps", "max": -1 + 1}]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", "--n", type=int, default=200, help="default 200")
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--matching", type=int, default=10, help="rules that create a case")
    args = parser.parse_args()
    label = setup_django(BENCH_DB)

    from django.conf import settings
    from django.db import transaction

    from closeloop.accounts.models import Team
    from closeloop.automation.conditions import evaluate_conditions
    from closeloop.automation.context import context_for_response
    from closeloop.automation.engine import compiled_rules, event_run
    from closeloop.automation.models import Rule, RuleRun
    from closeloop.automation.services import rule_create
    from closeloop.automation.tests.factories import loop_definition
    from closeloop.cases.models import Case
    from closeloop.cases.services import case_create
    from closeloop.responses.models import Response
    from closeloop.responses.services import response_create_complete
    from closeloop.responses.testing import publish_survey

    _owner, org = bench_org()
    # Only the benchmark's rules run: the organization's default rules are turned off.
    Rule.objects.filter(organization=org).update(is_active=False)
    support = Team.objects.get(organization=org, slug="support")
    survey = publish_survey(org, loop_definition(), name="Bench")

    with transaction.atomic():
        for n in range(args.rules - args.matching):
            rule_create(
                organization=org, name=f"quiet {n}", trigger="response.completed",
                conditions={"match": "all", "rules": non_matching(n, str(survey.pk))},
                actions=[{"type": "add_tags", "params": {"tags": ["never"]}}],
            )  # fmt: skip
        for n in range(args.matching):
            rule_create(
                organization=org, name=f"case {n}", trigger="response.completed",
                conditions={"match": "all", "rules": [
                    {"type": "score", "metric": "nps", "min": 0, "max": 6},
                    {"type": "language", "value": ["en", "ko"]},
                ]},
                actions=[{"type": "create_case", "params": {
                    "team": str(support.pk), "priority": "high",
                    "title": "NPS {{nps}} from {{contact.name}}: {{first_comment}}",
                }}],
            )  # fmt: skip
    comments = ["배송이 늦었어요", "Great coffee", "The app keeps crashing", ""]
    responses: list[Response] = []
    with transaction.atomic():
        for n in range(args.responses * 2):
            score = 3 if n % 5 == 0 else 8 + n % 3
            answers = {"nps": score, "csat": 2 if score < 7 else 5, "topic": "price"}
            if comments[n % 4]:
                answers["comment"] = comments[n % 4]
            responses.append(
                response_create_complete(
                    survey=survey, answers=answers, language=["en", "ko"][n % 2]
                )
            )
    detractors = sum(1 for n in range(args.responses) if n % 5 == 0)
    ids = [r.pk for r in responses[: args.responses]]
    other_ids = [r.pk for r in responses[args.responses :]]

    def load(pk: object) -> Response:
        return Response.objects.select_related("survey", "version", "organization").get(pk=pk)

    # 1. conditions only
    started = time.perf_counter()
    matched_conditions = 0
    for pk in ids:
        ctx = context_for_response(load(pk), trigger="response.completed", event_key=str(pk))
        for rule in compiled_rules(organization_id=org.pk, trigger="response.completed"):
            matched_conditions += evaluate_conditions(ctx, rule.conditions, full=False)[0]
    conditions_seconds = time.perf_counter() - started

    # 2. the engine, as the task runs it
    started = time.perf_counter()
    for pk in ids:
        event_run(trigger="response.completed", subject_type="response", subject_id=str(pk),
                  event_key=str(pk), organization_id=str(org.pk))  # fmt: skip
    engine_seconds = time.perf_counter() - started
    cases = Case.objects.filter(organization=org).count()
    runs = RuleRun.objects.filter(organization=org).count()

    # 2b. the engine without the log of rules that did not match (AUTOMATION_LOG_UNMATCHED=False)
    settings.AUTOMATION_LOG_UNMATCHED = False
    started = time.perf_counter()
    for pk in other_ids:
        event_run(trigger="response.completed", subject_type="response", subject_id=str(pk),
                  event_key=str(pk), organization_id=str(org.pk))  # fmt: skip
    lean_seconds = time.perf_counter() - started
    lean_cases = Case.objects.filter(organization=org).count() - cases

    # 3. case_create alone
    baseline_n = max(1, cases)
    started = time.perf_counter()
    for n in range(baseline_n):
        with transaction.atomic():
            case_create(organization=org, title=f"Baseline {n}", team=support, priority="high",
                        response=responses[n % len(responses)])  # fmt: skip
    case_seconds = time.perf_counter() - started

    evaluations = args.responses * Rule.objects.filter(organization=org, is_active=True).count()
    cond_rate = evaluations / conditions_seconds
    engine_rate = evaluations / engine_seconds
    print(f"database: {label}")
    print(
        f"setup: {args.rules} active rules ({args.matching} create a case for detractors), "
        f"{args.responses} responses ({detractors} detractors)"
    )
    print(f"1. conditions only: {evaluations} rule evaluations in {conditions_seconds:.2f} s")
    cond_events = args.responses / conditions_seconds
    print(f"   rule evaluations/s: {cond_rate:,.0f}; events/s: {cond_events:.1f}")
    print(f"2. engine (event_run): {engine_seconds:.2f} s, {runs} run-log rows, {cases} cases")
    engine_events = args.responses / engine_seconds
    print(f"   rule evaluations/s: {engine_rate:,.0f}; events/s: {engine_events:.1f}")
    print(f"   cases/s: {cases / engine_seconds:.1f}")
    print(f"   ratio (conditions only / engine): {cond_rate / engine_rate:.2f}x")
    lean_rate = evaluations / lean_seconds
    print(f"2b. engine without logging the rules that did not match: {lean_seconds:.2f} s")
    print(
        f"   rule evaluations/s: {lean_rate:,.0f}; events/s: {args.responses / lean_seconds:.1f}; "
        f"cases/s: {lean_cases / lean_seconds:.1f}"
    )
    print(f"   ratio (conditions only / engine): {cond_rate / lean_rate:.2f}x")
    print(f"3. case_create alone: {baseline_n / case_seconds:.1f} cases/s")
    if matched_conditions != detractors * args.matching:
        raise SystemExit(f"expected {detractors * args.matching} matches, got {matched_conditions}")


if __name__ == "__main__":
    main()
