"""Crash safety: kill -9 a worker mid-batch --kills times, then let the queue repair itself.

Afterwards the database must hold exactly the rows a clean run would (one article and one entry per
page, none left pending), no duplicates, and SQLite's integrity_check must say ok.

    .venv/bin/python bench/crash.py [--kills 20] [--feeds 20] [--per-feed 20]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, emit, isolated_env, start_workers, stop, wait_until  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--per-feed", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    from broadsheet.articles.tests.pages import rss, site
    from broadsheet.core.testing import FixtureServer

    with FixtureServer() as server:
        for f in range(args.feeds):
            urls = site(server, articles=args.per_feed, prefix=f"/s{f}")
            server.add(
                f"/feed{f}.xml",
                rss([(f"{f}-{i}", u, f"T{f}.{i}") for i, u in enumerate(urls)]),
                content_type="application/rss+xml",
            )
        env = isolated_env(allow=server.netloc)
        env["BROADSHEET_ENTRY_BATCH"] = "5"
        django_setup(env)
        from django.db import connection
        from django_tasks_db.models import DBTaskResult

        from broadsheet.articles.models import Article, FeedEntry
        from broadsheet.articles.pipeline import entries_retry_due
        from broadsheet.articles.tasks import entries_process_task, feeds_refresh_task
        from broadsheet.core.tasks_maintenance import tasks_reap_orphans
        from broadsheet.ingest.services import feed_create

        feeds = [feed_create(url=server.url(f"/feed{f}.xml"))[0] for f in range(args.feeds)]
        for feed in feeds:
            feeds_refresh_task.enqueue([feed.id])
        expected = args.feeds * args.per_feed
        for _ in range(args.kills):
            [worker] = start_workers(env, 1)
            time.sleep(rng.uniform(0.8, 2.0))  # django start-up is ~0.6 s: the kill lands mid-batch
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
        # Each kill that landed mid-task left exactly one task RUNNING forever (the engine's gap).
        orphans = DBTaskResult.objects.filter(status="RUNNING").count()
        # Repair as the scheduler does, with a zero cutoff since we know every worker is dead.
        reaped = tasks_reap_orphans(stale_after=0)
        for ids in [entries_retry_due(stale_after=0)]:
            for i in range(0, len(ids), 5):
                entries_process_task.enqueue(ids[i : i + 5])
        workers = start_workers(env, 2)

        def done() -> bool:
            return (
                not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
                and FeedEntry.objects.count() >= expected
                and not FeedEntry.objects.filter(state="pending").exists()
            )

        finished = wait_until(done, timeout=600)
        stop(workers)
        articles = Article.objects.count()
        entries = FeedEntry.objects.count()
        not_done = FeedEntry.objects.exclude(state="done").count()
        distinct = Article.objects.values("canonical_url").distinct().count()
        with connection.cursor() as cur:
            cur.execute("PRAGMA integrity_check")
            integrity = cur.fetchone()[0]
        ok = (
            finished
            and articles == expected
            and entries == expected
            and not_done == 0
            and distinct == articles
            and integrity == "ok"
        )
        emit(
            "crash_safety",
            kills=args.kills,
            kills_mid_task=orphans,
            reaped=reaped,
            expected=expected,
            articles=articles,
            entries=entries,
            entries_not_done=not_done,
            duplicate_articles=articles - distinct,
            integrity=integrity,
            ok=ok,
        )
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
