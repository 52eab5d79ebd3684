"""Worker processes drain the real queue: two `broadsheet worker` processes on the test database.

Runs on SQLite (the default) and, under `make test-postgres`, on PostgreSQL: the cluster mode.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from broadsheet.articles.models import Article, FeedEntry
from broadsheet.articles.tasks import feeds_refresh_task
from broadsheet.articles.tests.pages import rss, site
from broadsheet.core.tasks_maintenance import tasks_reap_orphans
from broadsheet.ingest.services import feed_create

pytestmark = pytest.mark.django_db(transaction=True)
BIN = Path(sys.executable).parent


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(extra_allow: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        BROADSHEET_HOME=str(settings.HOME),
        BROADSHEET_FETCH_ALLOW=extra_allow,
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def test_two_workers_drain_feeds_exactly_once(publisher):
    feeds = []
    for f in range(6):
        urls = site(publisher, articles=5, prefix=f"/s{f}")
        # Every feed also carries one shared wire story: it must be stored once.
        items = [(f"f{f}-{i}", u, f"Story {f}.{i}") for i, u in enumerate(urls)]
        items.append((f"f{f}-wire", publisher.url("/s0/0"), "Wire story"))
        publisher.add(f"/feed{f}.xml", rss(items), content_type="application/rss+xml")
        feeds.append(feed_create(url=publisher.url(f"/feed{f}.xml"))[0])
    for feed in feeds:
        feeds_refresh_task.enqueue([feed.id])
    env = worker_env(publisher.netloc)
    procs = [
        subprocess.Popen(
            [str(BIN / "broadsheet"), "worker", "--batch"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert Article.objects.count() == 30
    assert FeedEntry.objects.count() == 36
    assert not FeedEntry.objects.exclude(state=FeedEntry.State.DONE).exists()
    failed = [
        (r.task_path, r.exception_class_path, r.traceback)
        for r in DBTaskResult.objects.exclude(status="SUCCESSFUL")
    ]
    assert not failed, failed


def test_orphaned_running_task_is_requeued_and_runs_once_more(publisher):
    urls = site(publisher, articles=2)
    publisher.add(
        "/feed.xml",
        rss([(f"g{i}", u, f"T{i}") for i, u in enumerate(urls)]),
        content_type="application/rss+xml",
    )
    feed = feed_create(url=publisher.url("/feed.xml"))[0]
    result = feeds_refresh_task.enqueue([feed.id])
    # What a worker killed with -9 leaves behind: RUNNING, owned by a dead worker, never retried.
    DBTaskResult.objects.filter(id=result.id).update(
        status="RUNNING", started_at="2000-01-01T00:00:00Z"
    )
    assert tasks_reap_orphans(stale_after=900) == 1
    proc = subprocess.run(
        [str(BIN / "broadsheet"), "worker", "--batch"],
        env=worker_env(publisher.netloc),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
    assert Article.objects.count() == 2
