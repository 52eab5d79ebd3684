"""Repairs for the task queue that the engine itself does not make."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def tasks_reap_orphans(*, stale_after: int) -> int:
    """tasks_reap_orphans re-queues tasks left RUNNING by a killed worker; returns how many.

    django-tasks-db never retries a task whose worker died (kill -9, OOM, power loss): it stays
    RUNNING forever. Our tasks are idempotent, so running one again is safe. The cutoff must
    exceed the longest task's run time.
    """
    cutoff = timezone.now() - timedelta(seconds=stale_after)
    return DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).update(
        status="READY"
    )
