"""SQLite contention: --writers writer and --readers reader processes for --seconds seconds.

Writers insert articles and update feeds in short transactions; readers run the home page's query.
Counts "database is locked" errors (target: zero) and reports operations/s.

    .venv/bin/python bench/contention.py [--writers 4] [--readers 16] [--seconds 60]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, emit, isolated_env  # noqa: E402


def _worker(role: str, index: int, env: dict[str, str], seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    django_setup(env)
    from django.db import OperationalError, transaction
    from django.utils import timezone

    from broadsheet.articles.models import Article
    from broadsheet.articles.selectors import article_list_latest
    from broadsheet.ingest.models import Feed

    ops = locked = other = 0
    feed = Feed.objects.get(url="http://bench.invalid/feed")
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        try:
            if role == "writer":
                with transaction.atomic():
                    Article.objects.create(
                        canonical_url=f"http://bench.invalid/{index}/{n}",
                        url="http://bench.invalid/",
                        title=f"w{index} {n}",
                        text="x " * 200,
                        content_hash=f"{index}-{n}",
                    )
                    Feed.objects.filter(pk=feed.pk).update(last_checked_at=timezone.now())
                n += 1
            else:
                list(article_list_latest(limit=50))
            ops += 1
        except OperationalError as exc:
            if "locked" in str(exc):
                locked += 1
            else:
                other += 1
    out.put((role, ops, locked, other))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    env = isolated_env()
    django_setup(env)
    from broadsheet.ingest.models import Feed

    Feed.objects.create(url="http://bench.invalid/feed", host="bench.invalid")
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_worker, args=("writer", i, env, args.seconds, out))
        for i in range(args.writers)
    ]
    procs += [
        ctx.Process(target=_worker, args=("reader", i, env, args.seconds, out))
        for i in range(args.readers)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=args.seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    writes = sum(r[1] for r in results if r[0] == "writer")
    reads = sum(r[1] for r in results if r[0] == "reader")
    emit(
        "sqlite_contention",
        writers=args.writers,
        readers=args.readers,
        seconds=args.seconds,
        writes_per_s=round(writes / args.seconds, 1),
        reads_per_s=round(reads / args.seconds, 1),
        database_is_locked=sum(r[2] for r in results),
        other_errors=sum(r[3] for r in results),
    )


if __name__ == "__main__":
    main()
