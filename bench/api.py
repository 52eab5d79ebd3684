"""JSON API and feeds under load: gunicorn (2 workers) over a synthetic database.

For each endpoint (article list, filtered lists, article detail, a tag's RSS feed) and database:
  (a) open loop at each of --rates requests/s (200 and 50) for --seconds, each request sent at its scheduled time and
      timed from then (no coordinated omission): p50/p90/p99/max, errors;
  (b) wrk -t2 -c16: the most requests/s, with its percentiles.
The rate limits stay on (their counters are part of each request's cost) with budgets raised so
the load generator is never refused. The client, wrk runner and server handling are
bench/site_load.py's; the database is bench/synth.py's, generated once into var/bench/site/ (shared with site_load).

    .venv/bin/python bench/api.py                       # quick: 100k articles, 10 s per endpoint
    BENCH_FULL=1 .venv/bin/python bench/api.py          # 1M articles, 20 s per endpoint
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import BIN, PG_ADMIN_URL, ROOT, emit, isolated_env, stop, wait_until  # noqa: E402
from bench.site_load import free_port, open_loop, probe, workers_cpu_s, wrk  # noqa: E402

FULL = os.environ.get("BENCH_FULL") == "1"
PG_NAME = "bench_site"  # the same synthetic database as bench/site_load.py, generated once
ENDPOINTS = ["list", "list_tag", "list_source", "list_deep", "detail", "feed_rss"]


def ensure_filled(db: str, n: int) -> dict[str, str]:
    """ensure_filled returns the env of a database of n synthetic articles, generating it once."""
    home = ROOT / "var" / "bench" / "site" / f"{db}-{n}"
    home.mkdir(parents=True, exist_ok=True)
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{PG_NAME}" if db == "postgres" else ""
    marker = home / "synth.json"
    argv = [
        sys.executable,
        "bench/synth.py",
        "--n",
        str(n),
        "--home",
        str(home),
        "--database-url",
        url,
    ]
    if marker.exists() and json.loads(marker.read_text()).get("n") == n:
        subprocess.run(
            [*argv, "--update", "--no-search"], cwd=ROOT, check=True, capture_output=True
        )
    else:
        out = subprocess.run(
            [*argv, "--reset", "--no-search"], cwd=ROOT, capture_output=True, text=True
        )
        if out.returncode != 0:
            sys.stderr.write(out.stderr[-3000:])
            raise SystemExit(f"synth failed for {db}")
        print(
            "\n".join(line for line in out.stdout.splitlines() if line.startswith("{")), flush=True
        )
    return isolated_env(database_url=url, home=str(home))


def _rows(db: str, env: dict[str, str], sql: str) -> list[Any]:
    if db == "postgres":
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], connect_timeout=5) as conn:
            return [r[0] for r in conn.execute(sql).fetchall()]
    conn = sqlite3.connect(
        f"file:{Path(env['BROADSHEET_HOME']) / 'broadsheet.sqlite3'}?mode=ro", uri=True
    )
    try:
        return [r[0] for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def endpoint_paths(db: str, env: dict[str, str], n: int, base: str) -> dict[str, list[str]]:
    """endpoint_paths picks the URLs each endpoint rotates over, from the database itself."""
    import httpx

    rng = random.Random(11)
    tags = _rows(
        db,
        env,
        "SELECT slug FROM enrich_tag WHERE article_count BETWEEN 20 AND 2000 ORDER BY id LIMIT 300",
    )
    sources = _rows(db, env, "SELECT id FROM ingest_source ORDER BY id")
    ids = _rows(db, env, "SELECT max(id) FROM articles_article")
    top = int(ids[0] or n)
    # Deep pages: follow next_cursor 50 pages down from the start, then rotate over those cursors.
    cursors: list[str] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        cursor = None
        for _ in range(50):
            params: dict[str, Any] = {"limit": 20, **({"cursor": cursor} if cursor else {})}
            cursor = client.get("/api/v1/articles", params=params).json().get("next_cursor")
            if not cursor:
                break
            cursors.append(cursor)
    return {
        "list": ["/api/v1/articles?limit=20"],
        "list_tag": [
            f"/api/v1/articles?limit=20&tag={t}" for t in rng.sample(tags, min(50, len(tags)))
        ],
        "list_source": [
            f"/api/v1/articles?limit=20&source={s}"
            for s in rng.sample(sources, min(50, len(sources)))
        ],
        "list_deep": [f"/api/v1/articles?limit=20&cursor={c}" for c in cursors[-20:]],
        "detail": [f"/api/v1/articles/{rng.randint(1, top)}" for _ in range(300)],
        "feed_rss": [f"/feeds/tag/{t}.rss" for t in rng.sample(tags, min(50, len(tags)))],
    }


def _up(base: str) -> bool:
    import httpx

    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - any failure: skip
        return False


def measure(db: str, args: argparse.Namespace) -> None:
    if db == "postgres" and not _pg_available():
        print("SKIPPED PostgreSQL: it does not answer at 127.0.0.1:5432", file=sys.stderr)
        return
    env = ensure_filled(db, args.n)
    env.update(
        DEBUG="false",
        BROADSHEET_API_RATE_ANON="1000000000",
        BROADSHEET_API_RATE_TOKEN="1000000000",
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    port = free_port()
    log = open(Path(env["BROADSHEET_HOME"]) / "gunicorn.log", "ab")  # noqa: SIM115 - closed below
    web = subprocess.Popen(
        [str(BIN / "broadsheet"), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: _up(base), timeout=90, interval=0.3):
            raise SystemExit(f"the server did not start; see {log.name}")
        paths = endpoint_paths(db, env, args.n, base)
        for name in args.endpoints:
            row: dict[str, Any] = {
                "db": db,
                "n": args.n,
                "endpoint": name,
                "example": paths[name][0] if paths[name] else "",
            }
            if not paths[name]:
                emit("api_load", **row, status="no data")
                continue
            final, statuses, times = probe(base, paths[name], budget_s=60)
            row["probe_statuses"] = statuses
            cpu = workers_cpu_s(web.pid)
            warm, _, times = probe(base, (final * 5)[:20], budget_s=20)
            row["warm_p50_ms"] = times[len(times) // 2]
            row["cpu_ms_per_req"] = round((workers_cpu_s(web.pid) - cpu) * 1000 / len(warm), 1)
            row["loadavg_1m"] = round(os.getloadavg()[0], 2)
            # wrk first (closed loop: no backlog), then each open-loop rate, draining in between.
            row["wrk"] = wrk(port, final, args.wrk_seconds)
            for rate in args.rates:
                wait_until(lambda: _up(base), timeout=120, interval=0.5)
                row[f"open_loop_{int(rate)}"] = asyncio.run(
                    open_loop(port, final, rate, args.seconds)
                )
            wait_until(lambda: _up(base), timeout=120, interval=0.5)
            emit("api_load", **row)
    finally:
        stop([web])
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000 if FULL else 100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rates", default="200,50", help="open-loop requests/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=20 if FULL else 10)
    parser.add_argument("--wrk-seconds", type=int, default=10 if FULL else 5)
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    args = parser.parse_args()
    args.endpoints = [e for e in args.endpoints.split(",") if e]
    args.rates = [float(r) for r in args.rates.split(",") if r]
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        measure(db, args)


if __name__ == "__main__":
    main()
