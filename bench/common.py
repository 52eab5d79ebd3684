"""Shared plumbing for the benchmarks: an isolated instance, worker processes, a loopback publisher.

Every benchmark runs against its own BROADSHEET_HOME (and, for PostgreSQL, its own database), so
it never touches var/ or the test databases. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHARED = ROOT.parent / "shared"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test")


def isolated_env(
    *, database_url: str = "", allow: str = "", home: str | None = None
) -> dict[str, str]:
    """isolated_env returns an environment for a fresh instance under a temporary home."""
    env = dict(os.environ)
    env["BROADSHEET_HOME"] = home or tempfile.mkdtemp(prefix="broadsheet-bench-")
    env["DATABASE_URL"] = database_url
    env["BROADSHEET_FETCH_ALLOW"] = allow
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["PYTHONPATH"] = str(ROOT)
    return env


def django_setup(env: dict[str, str]) -> None:
    """django_setup configures Django in this process for the instance env describes, and migrates it."""
    os.environ.update(
        {
            k: env[k]
            for k in (
                "BROADSHEET_HOME",
                "DATABASE_URL",
                "BROADSHEET_FETCH_ALLOW",
                "DJANGO_SETTINGS_MODULE",
            )
        }
    )
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def fresh_pg_database(name: str) -> str | None:
    """fresh_pg_database (re)creates a PostgreSQL database for a benchmark; None when PostgreSQL is absent."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure: skip the PostgreSQL half
        print(f"SKIPPED PostgreSQL: {exc}", file=sys.stderr)
        return None
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def start_workers(env: dict[str, str], count: int) -> list[subprocess.Popen[bytes]]:
    """start_workers launches `broadsheet worker` processes for the instance."""
    return [
        subprocess.Popen(
            [str(BIN / "broadsheet"), "worker", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def peak_rss_mb(pid: int) -> float:
    """peak_rss_mb reads a live process's high-water resident memory (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def dev_pages(limit: int | None = None) -> list[tuple[str, bytes]]:
    """dev_pages loads the extraction dev set's pages as (id, html bytes); empty when it is absent."""
    folder = SHARED / "data" / "extraction-dev" / "html"
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.html.gz"))[:limit]
    return [(f.name.split(".")[0], gzip.decompress(f.read_bytes())) for f in files]


def emit(name: str, **figures: object) -> dict[str, object]:
    """emit prints one benchmark's figures as a JSON line (collected by run_all.py)."""
    row = {"bench": name, **figures}
    print(json.dumps(row), flush=True)
    return row


def wait_until(predicate, *, timeout: float, interval: float = 0.5) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


class PublisherProcess:
    """PublisherProcess runs a loopback FixtureServer in its own process, so it does not share a GIL with
    the code being measured. `setup(server, *args)` (a top-level function) fills in its routes."""

    def __init__(self, setup, *args) -> None:  # type: ignore[no-untyped-def]
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        self._parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve_publisher, args=(child, setup, args), daemon=True)

    def __enter__(self) -> PublisherProcess:
        self._proc.start()
        self.netloc: str = self._parent.recv()
        return self

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def __exit__(self, *exc: object) -> None:
        self._proc.terminate()
        self._proc.join(5)


def _serve_publisher(conn, setup, args) -> None:  # type: ignore[no-untyped-def]
    import signal as _signal

    from broadsheet.core.testing import FixtureServer

    stop_event = __import__("threading").Event()
    _signal.signal(_signal.SIGTERM, lambda *a: stop_event.set())
    with FixtureServer() as server:
        setup(server, *args)
        conn.send(server.netloc)
        stop_event.wait()
