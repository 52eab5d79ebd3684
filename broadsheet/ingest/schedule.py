"""When each feed is polled next: adaptive intervals, capped back-off, Retry-After, due-feed claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from broadsheet.ingest.models import Feed

WEEK = 7 * 24 * 3600


def _opt(name: str) -> int:
    return int(settings.BROADSHEET[name])


def adaptive_interval(*, entry_times: Sequence[datetime | None], now: datetime) -> int:
    """adaptive_interval polls about twice per expected new entry, from last week's entry rate, clamped."""
    low, high = _opt("BROADSHEET_MIN_INTERVAL"), _opt("BROADSHEET_MAX_INTERVAL")
    recent = [
        t
        for t in entry_times
        if t is not None and timedelta(0) <= now - t <= timedelta(seconds=WEEK)
    ]
    if not recent:
        return high
    # A feed with n entries a week gets a new one every WEEK/n seconds on average; polling at half
    # that gap finds most entries within one gap without hammering quiet feeds.
    return max(low, min(high, WEEK // (2 * len(recent))))


def backoff_delay(*, failures: int) -> int:
    """backoff_delay doubles from the minimum interval with each consecutive failure, up to the cap."""
    if failures <= 0:
        return 0
    base = _opt("BROADSHEET_MIN_INTERVAL")
    return min(_opt("BROADSHEET_MAX_BACKOFF"), base * 2 ** min(failures - 1, 20))


def next_check_after_failure(
    *, now: datetime, failures: int, retry_after: float | None
) -> datetime:
    """next_check_after_failure waits the back-off, or longer when the server asked (Retry-After)."""
    delay = float(backoff_delay(failures=failures))
    if retry_after is not None:
        # Honour the publisher's wish, but never wait beyond the back-off cap: a hostile
        # Retry-After of ten years must not silence a feed forever.
        delay = max(delay, min(retry_after, float(_opt("BROADSHEET_MAX_BACKOFF"))))
    return now + timedelta(seconds=delay)


def batch_by_host(rows: Sequence[tuple[int, str]], *, size: int) -> list[list[int]]:
    """batch_by_host groups feed ids into batches of at most size, keeping each host's feeds together.

    A batch runs in one task, whose fetcher holds a per-host semaphore: keeping a host's feeds in
    the same batch is what makes that limit bite, while different hosts spread across workers.
    """
    by_host: dict[str, list[int]] = {}
    for feed_id, host in rows:
        by_host.setdefault(host, []).append(feed_id)
    batches: list[list[int]] = []
    current: list[int] = []
    for ids in by_host.values():
        for feed_id in ids:
            current.append(feed_id)
            if len(current) >= size:
                batches.append(current)
                current = []
    if current:
        batches.append(current)
    return batches


def feeds_claim_due(*, now: datetime, limit: int, lease_seconds: int) -> list[tuple[int, str]]:
    """feeds_claim_due picks up to limit due feeds and pushes their next check out by a lease.

    The lease keeps another scheduler pass (or another scheduler host) from enqueuing the same feed
    while its task waits in the queue; the refresh itself then sets the real next check.
    """
    with transaction.atomic():
        due = Feed.objects.filter(active=True, next_check_at__lte=now).order_by(
            "next_check_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due.values_list("id", "host")[:limit])
        if rows:
            Feed.objects.filter(id__in=[r[0] for r in rows]).update(
                next_check_at=now + timedelta(seconds=lease_seconds)
            )
    return rows
