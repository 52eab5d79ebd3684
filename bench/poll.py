"""Polling throughput: --n feeds that all answer 304 Not Modified, polled through the real pipeline.

Measures fetches/s of `feeds_refresh` (conditional GET, health bookkeeping, fetch log) in one
process, in scheduler-sized batches, against a loopback publisher. Compared to `reader` (the PyPI
feed reader) on the same workload when it is installed.

    .venv/bin/python bench/poll.py [--n 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PublisherProcess, django_setup, emit, isolated_env  # noqa: E402


def not_modified(handler) -> None:  # type: ignore[no-untyped-def]
    from broadsheet.core.testing import Response

    if handler.headers.get("If-None-Match") == '"v1"':
        handler.send_whole(Response(b"", 304, {"ETag": '"v1"'}))
    else:
        body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
        handler.send_whole(
            Response(body, 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'})
        )


def routes(server, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        server.routes[f"/feed/{i}.xml"] = not_modified


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    with PublisherProcess(routes, args.n) as server:
        django_setup(isolated_env(allow=server.netloc))
        from broadsheet.articles.pipeline import feeds_refresh
        from broadsheet.ingest.models import Feed

        Feed.objects.bulk_create(
            [
                Feed(url=server.url(f"/feed/{i}.xml"), host="127.0.0.1", etag='"v1"')
                for i in range(args.n)
            ]
        )
        ids = list(Feed.objects.values_list("id", flat=True))
        start = time.perf_counter()
        for i in range(0, len(ids), args.batch):
            feeds_refresh(feed_ids=ids[i : i + args.batch])
        elapsed = time.perf_counter() - start
        ok = Feed.objects.filter(last_status=304, consecutive_failures=0).count()
        emit(
            "poll_304",
            feeds=args.n,
            not_modified=ok,
            seconds=round(elapsed, 2),
            fetches_per_s=round(args.n / elapsed, 1),
        )
        peer(server, args.n)


def peer(server, n: int) -> float | None:  # type: ignore[no-untyped-def]
    try:
        import reader  # noqa: F401
    except ImportError:
        print("peer `reader` not installed: no ratio (pip install -e '.[bench]')", file=sys.stderr)
        return None
    import tempfile

    from reader import make_reader

    rdr = make_reader(str(Path(tempfile.mkdtemp()) / "reader.sqlite"))
    for i in range(n):
        rdr.add_feed(server.url(f"/feed/{i}.xml"))
    rdr.update_feeds(workers=16)  # first pass: 200 with ETag, stored by reader
    start = time.perf_counter()
    rdr.update_feeds(workers=16, scheduled=False)  # second pass, now: every feed answers 304
    elapsed = time.perf_counter() - start
    emit("poll_304_reader", feeds=n, seconds=round(elapsed, 2), fetches_per_s=round(n / elapsed, 1))
    return n / elapsed


if __name__ == "__main__":
    main()
