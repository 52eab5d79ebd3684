"""Peak memory of the web processes under load: gunicorn serving the home and feed-health pages.

(The worker's peak RSS is reported by bench/ingest.py, measured while it ingests.)

    .venv/bin/python bench/rss.py [--articles 2000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import BIN, django_setup, emit, isolated_env, peak_rss_mb, stop, wait_until  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    env = isolated_env()
    django_setup(env)
    import httpx

    from broadsheet.articles.models import Article

    Article.objects.bulk_create(
        [
            Article(
                canonical_url=f"http://bench.invalid/{i}",
                url=f"http://bench.invalid/{i}",
                title=f"Article {i}",
                text="word " * 600,
                body_html="<p>" + "word " * 600 + "</p>",
                content_hash=str(i),
            )
            for i in range(args.articles)
        ]
    )
    port = free_port()
    web = subprocess.Popen(
        [str(BIN / "broadsheet"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(base), timeout=30, interval=0.2)
        start = time.perf_counter()
        with httpx.Client() as client:
            for i in range(args.requests):
                client.get(base + ("/" if i % 2 else "/health/feeds/")).raise_for_status()
        elapsed = time.perf_counter() - start
        children = subprocess.run(
            ["pgrep", "-P", str(web.pid)], capture_output=True, text=True
        ).stdout.split()
        workers = [peak_rss_mb(int(pid)) for pid in children]
        emit(
            "web_rss",
            requests=args.requests,
            requests_per_s=round(args.requests / elapsed, 1),
            master_peak_rss_mb=round(peak_rss_mb(web.pid), 1),
            worker_peak_rss_mb=round(max(workers, default=0.0), 1),
            web_workers=len(workers),
        )
    finally:
        stop([web])


def _up(base: str) -> bool:
    import httpx

    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
