"""Speed of the text engine: start-up time, comments enriched per second, peak memory.

    python benchmarks/text_speed.py [--n 2000]

Start-up is measured in fresh interpreters: importing the engine and loading everything the
first comment needs (lingua, kiwipiepy, pythainlp, the starting sentiment models), once with
an empty model cache (the models are trained from the seed corpus) and once with the cache a
previous process wrote (the usual case: every worker after the first).

Then a mixed stream of N comments (English, Korean and Thai in equal parts, the texts of the
evaluation set repeated with a counter so no two are alike) is enriched after start-up, twice:
by the engine alone (language, tokens, sentiment, themes) and through the worker's service
(comments_enrich: the same plus reading and writing the rows, in batches of 200 as the tasks
do) on a throwaway database (SQLite, or PostgreSQL when DATABASE_URL points to one). Peak
memory is the process's maximum resident set size. One process, one core: a worker enriches
on one core, and a machine with two cores runs two workers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DB = "closeloop_bench_text"
BATCH = 200


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def startup_child() -> None:
    """In a fresh interpreter: time the import and the warm-up, print them as JSON."""
    started = time.perf_counter()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closeloop.settings")
    import django

    django.setup()
    from closeloop.text import engine

    imported = time.perf_counter()
    engine.warm_up()
    ready = time.perf_counter()
    print(json.dumps({
        "import_s": round(imported - started, 2),
        "warm_up_s": round(ready - imported, 2),
        "total_s": round(ready - started, 2),
        "maxrss_mb": round(_maxrss_mb(), 1),
    }))  # fmt: skip


def _startup(var_dir: str) -> dict[str, float]:
    env = {**os.environ, "CLOSELOOP_VAR_DIR": var_dir}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, __file__, "--startup-only"], env=env, capture_output=True, text=True,
        check=True, timeout=900,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def stream(n: int) -> list[tuple[str, str]]:
    """(text, language hint) for n comments, English, Korean and Thai interleaved."""
    by_language = {}
    for language in ("en", "ko", "th"):
        path = ROOT / "closeloop" / "text" / "evaluation" / f"comments_{language}.jsonl"
        by_language[language] = [json.loads(line)["text"] for line in path.open(encoding="utf-8")]
    out = []
    for i in range(n):
        language = ("en", "ko", "th")[i % 3]
        texts = by_language[language]
        text = texts[(i // 3) % len(texts)]
        out.append((f"{text} #{i}" if i >= 3 * len(texts) else text, language))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="comments to enrich (default 2000)")
    parser.add_argument("--startup-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.startup_only:
        startup_child()
        return

    cache_dir = tempfile.mkdtemp(prefix="closeloop-textspeed-")
    cold = _startup(cache_dir)  # trains the starting models and caches them
    warm = _startup(cache_dir)  # loads them from the cache

    from _setup import bench_org, setup_django

    label = setup_django(BENCH_DB, env={"CLOSELOOP_VAR_DIR": cache_dir})
    from django.utils import timezone

    from closeloop.text import engine
    from closeloop.text.enrichment import comments_enrich, org_models
    from closeloop.text.models import Comment

    _owner, org = bench_org()
    t0 = time.perf_counter()
    engine.warm_up()
    models = org_models(org.pk)
    in_process_startup = time.perf_counter() - t0
    rss_ready = _maxrss_mb()

    comments = stream(args.n)
    t0 = time.perf_counter()
    for start in range(0, len(comments), BATCH):
        chunk = comments[start : start + BATCH]
        engine.enrich(
            [t for t, _l in chunk], [lang for _t, lang in chunk],
            model_for=models.model_for, matcher=models.matcher,
        )  # fmt: skip
    engine_seconds = time.perf_counter() - t0

    now = timezone.now()
    rows = Comment.objects.bulk_create(
        [
            Comment(organization=org, text=t, language_hint=lang, source="import", answered_at=now)
            for t, lang in comments
        ],
        batch_size=500,
    )
    ids = [c.pk for c in rows]
    t0 = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        comments_enrich(comment_ids=ids[start : start + BATCH])
    service_seconds = time.perf_counter() - t0
    enriched = Comment.objects.filter(organization=org, model_version__gt=0).count()

    print(f"Text enrichment speed ({label}; {os.cpu_count()} cores on this machine, one used)")
    print(f"  start-up, fresh process, empty model cache (trains the starting models): "
          f"{cold['total_s']:.1f}s (import {cold['import_s']:.1f}s, load and train "
          f"{cold['warm_up_s']:.1f}s)")  # fmt: skip
    print(f"  start-up, fresh process, models cached on disk: {warm['total_s']:.1f}s "
          f"(import {warm['import_s']:.1f}s, load {warm['warm_up_s']:.1f}s); "
          f"memory after start-up {warm['maxrss_mb']:.0f} MB")  # fmt: skip
    print(f"  (in this process, models cached: {in_process_startup:.1f}s)")
    print(f"  engine alone: {args.n} comments in {engine_seconds:.1f}s = "
          f"{args.n / engine_seconds:.0f} comments/s")  # fmt: skip
    print(f"  worker service (read, enrich, write; batches of {BATCH}): {enriched} comments in "
          f"{service_seconds:.1f}s = {enriched / service_seconds:.0f} comments/s")  # fmt: skip
    print(f"  peak memory (max RSS): {_maxrss_mb():.0f} MB (after start-up {rss_ready:.0f} MB)")


if __name__ == "__main__":
    main()
