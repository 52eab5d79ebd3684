"""Comments under load: 50 readers posting through the real form (CSRF and all) to gunicorn.

Starts `broadsheet serve` on a fresh instance (SQLite, then PostgreSQL when it answers), creates
50 readers with signed-in sessions, and runs 50 concurrent commenters for --seconds. Each one GETs
the article page (as a browser does, for the CSRF cookie and token) and then POSTs the comment
form again and again; then one reader posts alone for 10 s (the service time without a queue). Counted: every 2xx/3xx post must be in the database afterwards (0 lost),
0 answers 5xx, and the latency of posts (p50, p99). Rate limits are raised by environment for the
run (they are tested elsewhere); the moderation policy runs as usual.

    .venv/bin/python bench/comments.py [--seconds 60] [--db sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    BIN,
    django_setup,
    emit,
    fresh_pg_database,
    isolated_env,
    stop,
    wait_until,
)

READERS = 50
SOLO_SECONDS = 10
RAISED = {
    "BROADSHEET_COMMENT_PER_MINUTE": "1000000",
    "BROADSHEET_COMMENT_PER_HOUR": "1000000",
    "BROADSHEET_COMMENT_IP_PER_HOUR": "1000000",
    "BROADSHEET_COMMENT_NEW_ACCOUNT_PER_HOUR": "1000000",
}
TOPICS = ["the budget", "the vote", "rail fares", "the new bridge", "school meals", "the election"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(base: str) -> bool:
    import httpx

    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def commenter(
    base: str,
    article_path: str,
    post_path: str,
    session: str,
    index: int,
    ready: threading.Barrier,
    clock: dict,
    out: dict,
) -> None:
    """commenter is one reader: load the page for the CSRF token, then (all together) post until the
    deadline."""
    import httpx

    latencies: list[float] = []
    ok_ids: list[int] = []  # every accepted post, warm-up included, must be stored
    codes: dict[int, int] = {}
    errors = 0
    with httpx.Client(base_url=base, timeout=60, cookies={"sessionid": session}) as client:
        page = client.get(article_path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        token = match.group(1) if match else ""
        warm = None
        if token:
            # One post each before the clock starts: every web worker loads the abuse model once.
            warm = client.post(
                post_path,
                data={
                    "csrfmiddlewaretoken": token,
                    "text": f"Reader {index} warming up.",
                    "next": article_path,
                },
                headers={"Referer": base + article_path},
            )
        ready.wait()
        if page.status_code != 200 or not match:
            out[index] = {"error": f"page {page.status_code}, token {bool(match)}"}
            return
        if warm is not None and 200 <= warm.status_code < 400:
            found = re.search(r"#comment-(\d+)$", warm.headers.get("location", ""))
            ok_ids.append(int(found.group(1)) if found else -1)
        n = 0
        while time.monotonic() < clock["deadline"]:
            n += 1
            text = f"Reader {index}, comment {n}: my view on {TOPICS[(index + n) % len(TOPICS)]} is mixed."
            start = time.perf_counter()
            try:
                response = client.post(
                    post_path,
                    data={"csrfmiddlewaretoken": token, "text": text, "next": article_path},
                    headers={"Referer": base + article_path},
                )
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - start)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1
            if 200 <= response.status_code < 400:
                found = re.search(r"#comment-(\d+)$", response.headers.get("location", ""))
                ok_ids.append(int(found.group(1)) if found else -1)
    out[index] = {"latencies": latencies, "ok_ids": ok_ids, "codes": codes, "errors": errors}


def run(db_name: str, db_url: str, seconds: float) -> dict[str, object]:
    env = isolated_env(database_url=db_url)
    env.update(RAISED)
    import os

    os.environ.update(RAISED)
    django_setup(env)
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from broadsheet.accounts.models import User
    from broadsheet.articles.models import Article
    from broadsheet.community.models import Comment

    call_command("createcachetable", verbosity=0)
    article = Article.objects.create(
        canonical_url="https://bench.invalid/a",
        url="https://bench.invalid/a",
        title="The article everyone comments on",
        text="word " * 300,
        body_html="<p>" + "word " * 300 + "</p>",
        content_hash="a",
    )
    sessions = []
    for i in range(READERS):
        user = User(username=f"bench{i}", date_joined=timezone.now() - timedelta(days=30))
        user.set_unusable_password()
        user.save()
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    connections.close_all()

    port = free_port()
    web = subprocess.Popen(
        [str(BIN / "broadsheet"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    out: dict[int, dict] = {}
    try:
        if not wait_until(lambda: _up(base), timeout=60, interval=0.2):
            raise SystemExit("the web server did not start")
        from django.urls import reverse

        article_path = reverse("web:article", args=[article.pk])
        post_path = reverse("community:thread", args=[article.pk])
        clock: dict[str, float] = {}

        def go() -> None:
            clock["deadline"] = time.monotonic() + seconds
            clock["started"] = time.perf_counter()

        ready = threading.Barrier(READERS, action=go)
        threads = [
            threading.Thread(
                target=commenter,
                args=(base, article_path, post_path, sessions[i], i, ready, clock, out),
            )
            for i in range(READERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - clock["started"]
        # Then one reader alone: the service time of a post without the queue in front of it.
        solo_ready = threading.Barrier(
            1, action=lambda: clock.update(deadline=time.monotonic() + SOLO_SECONDS)
        )
        commenter(base, article_path, post_path, sessions[0], READERS, solo_ready, clock, out)
    finally:
        stop([web])
    solo_run = out.pop(READERS, {})
    solo = sorted(solo_run.get("latencies", []))
    solo_ids = solo_run.get("ok_ids", [])
    failed_setup = [v["error"] for v in out.values() if "error" in v]
    latencies = sorted(x for v in out.values() for x in v.get("latencies", []))
    ok_ids = [x for v in out.values() for x in v.get("ok_ids", [])]
    codes: dict[str, int] = {}
    for v in out.values():
        for code, n in v.get("codes", {}).items():
            codes[str(code)] = codes.get(str(code), 0) + n
    stored_ids = set(Comment.objects.values_list("id", flat=True))
    ok_ids += solo_ids
    lost = sum(1 for i in ok_ids if i not in stored_ids)
    states = dict(
        Comment.objects.values_list("state").annotate(n=__import__("django").db.models.Count("id"))
    )

    def pct(p: float, values: list[float] | None = None) -> float | None:
        values = latencies if values is None else values
        if not values:
            return None
        return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 1)

    return {
        "db": db_name,
        "readers": READERS,
        "seconds": round(elapsed, 1),
        "posts": len(latencies),
        "accepted": len(ok_ids),
        "stored": len(stored_ids),
        "lost": lost,
        "status_5xx": sum(n for c, n in codes.items() if c.startswith("5")),
        "status_codes": codes,
        "client_errors": sum(v.get("errors", 0) for v in out.values()),
        "setup_failures": len(failed_setup),
        "states": states,
        "posts_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "solo_posts": len(solo),
        "solo_p50_ms": pct(0.50, solo),
        "solo_p99_ms": pct(0.99, solo),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    targets = []
    if args.db in {"sqlite", "both"}:
        targets.append(("sqlite", ""))
    if args.db in {"postgres", "both"}:
        url = fresh_pg_database("broadsheet_bench_comments")
        if url:
            targets.append(("postgres", url))
    failed = False
    for name, url in targets:
        # Each run in its own process: Django configures itself once per process.
        proc = subprocess.run(
            [sys.executable, __file__, "--child", name, url, str(args.seconds)],
            capture_output=True,
            text=True,
        )
        sys.stderr.write(proc.stderr[-2000:])
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                print(line, flush=True)
                failed = failed or row.get("lost") != 0 or row.get("status_5xx") != 0
        failed = failed or proc.returncode != 0
    if failed:
        sys.exit("comments under load: lost comments, 5xx answers or a failed run (see above)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, db_name, db_url, secs = sys.argv
        emit(f"comments_load_{db_name}", **run(db_name, db_url, float(secs)))
    else:
        main()
