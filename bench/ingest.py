"""End-to-end ingest rate vs extraction alone, on SQLite and PostgreSQL, with two worker processes.

A loopback publisher serves the extraction dev pages under --n distinct URLs, listed in feeds of
100 entries. Extraction alone runs the same pages through `extract_article` in two processes (the
same parallelism as the two workers), in the same run, so the ratio survives a noisy machine.

    .venv/bin/python bench/ingest.py [--n 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    dev_pages,
    django_setup,
    emit,
    fresh_pg_database,
    isolated_env,
    peak_rss_mb,
    start_workers,
    stop,
    wait_until,
)

PER_FEED = 100


def _extract_chunk(chunk: list[tuple[bytes, str]]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from broadsheet.articles.extract import ChallengePage, NotAnArticle, extract_article

    done = 0
    for html, url in chunk:
        try:
            extract_article(html, url=url)
            done += 1
        except (ChallengePage, NotAnArticle):
            pass
    return done


def extraction_alone(pages: list[tuple[str, bytes]], n: int, workers: int) -> tuple[float, float]:
    """extraction_alone returns pages/s and CPU ms per page (the pool's processes, start-up included)."""
    work = [(pages[i % len(pages)][1], f"http://127.0.0.1/page/{i}") for i in range(n)]
    chunks = [work[i : i + 50] for i in range(0, n, 50)]
    before = _children_cpu()
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        sum(pool.map(_extract_chunk, chunks))
    rate = n / (time.perf_counter() - start)
    return rate, 1000 * (_children_cpu() - before) / n


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_seconds(pid: int) -> float:
    """_cpu_seconds reads a live process's user + system CPU time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest(
    pages: list[tuple[str, bytes]], n: int, workers: int, database_url: str, enrich: bool
) -> dict[str, float]:
    from broadsheet.articles.tests.pages import rss
    from broadsheet.core.testing import FixtureServer

    with FixtureServer() as server:
        for i in range(n):
            server.add(f"/page/{i}", pages[i % len(pages)][1])
        feeds = (n + PER_FEED - 1) // PER_FEED
        for f in range(feeds):
            items = [
                (f"p{i}", server.url(f"/page/{i}"), f"Page {i}")
                for i in range(f * PER_FEED, min(n, (f + 1) * PER_FEED))
            ]
            server.add(f"/feed/{f}.xml", rss(items), content_type="application/rss+xml")
        env = isolated_env(database_url=database_url, allow=server.netloc)
        env["BROADSHEET_ENRICH"] = "true" if enrich else "false"
        env["BROADSHEET_MAX_ENTRIES_PER_FEED"] = str(PER_FEED)
        django_setup(env)
        from django.db import connections
        from django_tasks_db.models import DBTaskResult

        from broadsheet.articles.models import Article, FeedEntry
        from broadsheet.articles.pipeline import feeds_due
        from broadsheet.articles.tasks import feeds_refresh_task
        from broadsheet.ingest.services import feed_create

        if enrich:
            from django.conf import settings

            from broadsheet.enrich.modelbuild import models_build

            models_build(settings.HOME)  # the install step, before the clock starts
        for f in range(feeds):
            feed_create(url=server.url(f"/feed/{f}.xml"))
        start = time.perf_counter()
        for batch in feeds_due(limit=feeds, lease_seconds=3600):
            feeds_refresh_task.enqueue(batch)
        procs = start_workers(env, workers)

        def drained() -> bool:
            busy = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
            return not busy and FeedEntry.objects.count() >= n

        finished = wait_until(drained, timeout=3600, interval=0.5)
        elapsed = time.perf_counter() - start
        rss = max(peak_rss_mb(p.pid) for p in procs)
        cpu = sum(_cpu_seconds(p.pid) for p in procs)
        stop(procs)
        stored = Article.objects.count()
        failed = FeedEntry.objects.exclude(state="done").count()
        connections.close_all()
    return {
        "articles": stored,
        "failed_entries": failed,
        "seconds": round(elapsed, 1),
        "finished": finished,
        "articles_per_s": round(stored / elapsed, 1),
        "worker_peak_rss_mb": round(rss, 1),
        # Load-independent: the workers' CPU per stored article (fetch, extract, store, enrich).
        "worker_cpu_ms_per_article": round(1000 * cpu / max(1, stored), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--enrich", action="store_true", help="also run with enrichment on (issue 3's figure)"
    )
    args = parser.parse_args()
    pages = dev_pages()
    if not pages:
        print("SKIPPED: ../shared/data/extraction-dev is absent", file=sys.stderr)
        return
    alone, alone_cpu_ms = extraction_alone(pages, args.n, args.workers)
    emit(
        "extraction_alone",
        n=args.n,
        workers=args.workers,
        pages_per_s=round(alone, 1),
        cpu_ms_per_page=round(alone_cpu_ms, 1),
    )
    targets = []
    if args.db in {"sqlite", "both"}:
        targets.append(("sqlite", ""))
    if args.db in {"postgres", "both"}:
        url = fresh_pg_database("broadsheet_bench_ingest")
        if url:
            targets.append(("postgres", url))
    runs = [(name, url, "plain") for name, url in targets]
    if args.enrich:
        runs += [(name, url, "enrich") for name, url in targets]
    failed = False
    for name, url, mode in runs:
        # Each run in its own process (Django configures itself once per process) and database.
        import subprocess

        if url:
            url = fresh_pg_database("broadsheet_bench_ingest") or url
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, url, str(args.n), str(args.workers), mode],
            capture_output=True,
            text=True,
        )
        failed = failed or out.returncode != 0
        sys.stderr.write(out.stderr[-2000:])
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                import json

                row = json.loads(line)
                row["ratio_to_extraction_alone"] = round(row["articles_per_s"] / alone, 2)
                # The same ratio in CPU time, which a busy shared machine moves much less.
                row["cpu_ratio_to_extraction_alone"] = round(
                    alone_cpu_ms / row["worker_cpu_ms_per_article"], 2
                )
                emit(row["bench"], **{k: v for k, v in row.items() if k != "bench"})
    if failed:
        sys.exit("an ingest run failed (see above)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, db_name, db_url, n, workers, enrich = sys.argv
        result = ingest(dev_pages(), int(n), int(workers), db_url, enrich == "enrich")
        emit(f"ingest_{db_name}{'_enriched' if enrich == 'enrich' else ''}", **result)
    else:
        main()
