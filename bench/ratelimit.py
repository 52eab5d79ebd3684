"""Rate limits across processes: --procs processes hammer one key; exactly `limit` hits may pass.

For each shared backend (the database cache on SQLite and PostgreSQL, Redis when it answers on
127.0.0.1:6379) it reports hits/s and how many hits were admitted against the limit; the anchor is
Django's stock DatabaseCache, whose read-then-write incr loses hits between processes. Also the
cost of one Argon2 password check, which bounds sign-in throughput.

    .venv/bin/python bench/ratelimit.py [--procs 4] [--hits 400]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, emit, fresh_pg_database, isolated_env  # noqa: E402

WINDOW = 3600


def _setup(env: dict[str, str]) -> None:
    os.environ["BROADSHEET_CACHE_URL"] = env.get("BROADSHEET_CACHE_URL", "")
    django_setup(env)


def _worker(
    env: dict[str, str], stock: bool, hits: int, limit: int, start: float, out: mp.Queue
) -> None:  # type: ignore[type-arg]
    _setup(env)
    from django.conf import settings

    if stock:
        settings.CACHES["default"]["BACKEND"] = "django.core.cache.backends.db.DatabaseCache"
    from broadsheet.core.ratelimit import ratelimit_hit

    while time.time() < start:
        time.sleep(0.001)
    admitted = 0
    began = time.perf_counter()
    for _ in range(hits):
        if ratelimit_hit(key="bench:shared", limit=limit, window=WINDOW) is None:
            admitted += 1
    out.put((admitted, time.perf_counter() - began))


def _run(name: str, env: dict[str, str], *, procs: int, hits: int, stock: bool = False) -> None:
    limit = procs * hits // 2
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    start = time.time() + 8  # every process imported and connected before the first hit
    workers = [
        ctx.Process(target=_worker, args=(env, stock, hits, limit, start, out))
        for _ in range(procs)
    ]
    for w in workers:
        w.start()
    results = [out.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    admitted = sum(r[0] for r in results)
    slowest = max(r[1] for r in results)
    emit(
        f"ratelimit_{name}",
        procs=procs,
        hits=procs * hits,
        limit=limit,
        admitted=admitted,
        over_admitted=max(0, admitted - limit),
        hits_per_s=round(procs * hits / slowest),
        ms_per_hit=round(1000 * slowest / hits, 2),
    )


def _prepare(env: dict[str, str]) -> None:
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=_create_table, args=(env,))
    p.start()
    p.join()


def _create_table(env: dict[str, str]) -> None:
    _setup(env)
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)
    cache.clear()


def _argon2() -> None:
    from argon2 import PasswordHasher

    hasher = PasswordHasher()  # Django's Argon2PasswordHasher uses these same defaults
    encoded = hasher.hash("correct horse battery")
    began = time.perf_counter()
    for _ in range(10):
        hasher.verify(encoded, "correct horse battery")
    emit("argon2_check", ms_per_check=round((time.perf_counter() - began) * 100, 1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--hits", type=int, default=400)
    args = parser.parse_args()
    backends: list[tuple[str, dict[str, str], bool]] = []
    sqlite = isolated_env()
    backends += [("sqlite_dbcache", sqlite, False), ("sqlite_stock_dbcache", sqlite, True)]
    pg_url = fresh_pg_database("bench_ratelimit")
    if pg_url:
        pg = isolated_env(database_url=pg_url)
        backends += [("pg_dbcache", pg, False), ("pg_stock_dbcache", pg, True)]
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        redis_env = isolated_env()
        redis_env["BROADSHEET_CACHE_URL"] = "redis://127.0.0.1:6379/14"
        backends.append(("redis", redis_env, False))
    except OSError:
        print("SKIPPED Redis: nothing on 127.0.0.1:6379", file=sys.stderr)
    for name, env, stock in backends:
        _prepare(env)
        _run(name, env, procs=args.procs, hits=args.hits, stock=stock)
    _argon2()


if __name__ == "__main__":
    main()
