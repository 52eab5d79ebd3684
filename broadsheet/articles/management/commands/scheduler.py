from __future__ import annotations

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from broadsheet.articles import pipeline, tasks
from broadsheet.articles.signals import scheduler_tick
from broadsheet.core.tasks_maintenance import tasks_reap_orphans
from broadsheet.ingest.services import fetch_logs_prune

log = logging.getLogger("broadsheet.scheduler")


class Command(BaseCommand):
    help = "Enqueue due feeds, re-queue lost work and reap orphaned tasks, every tick."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one pass, then exit.")

    def handle(self, *args: object, once: bool, **options: object) -> None:
        opts = settings.BROADSHEET
        tick = float(opts["BROADSHEET_SCHEDULER_TICK"])
        stale = int(opts["BROADSHEET_TASK_STALE_AFTER"])
        running = True

        def stop(signum: int, frame: object) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        passes = 0
        while running:
            scheduler_pass(limit=int(opts["BROADSHEET_SCHEDULER_BATCH"]), stale_after=stale)
            passes += 1
            if passes % 360 == 1:
                fetch_logs_prune()
            if once:
                return
            deadline = time.monotonic() + tick
            while running and time.monotonic() < deadline:
                time.sleep(0.2)


def scheduler_pass(*, limit: int, stale_after: int) -> tuple[int, int, int]:
    """scheduler_pass runs one round of the scheduler and returns (feeds queued, entries re-queued, tasks reaped)."""
    reaped = tasks_reap_orphans(stale_after=stale_after)
    batches = pipeline.feeds_due(limit=limit, lease_seconds=stale_after)
    for batch in batches:
        tasks.feeds_refresh_task.enqueue(batch)
    retry = pipeline.entries_retry_due(stale_after=stale_after)
    for start in range(0, len(retry), 20):
        tasks.entries_process_task.enqueue(retry[start : start + 20])
    scheduler_tick.send(sender=None, stale_after=stale_after)
    queued = sum(len(b) for b in batches)
    if queued or retry or reaped:
        log.info(
            "queued %d feeds, re-queued %d entries, reaped %d orphaned tasks",
            queued,
            len(retry),
            reaped,
        )
    return queued, len(retry), reaped
