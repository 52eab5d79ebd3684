from datetime import UTC, datetime, timedelta

import pytest

from broadsheet.ingest import schedule
from broadsheet.ingest.models import Feed

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def hours_ago(*hours):
    return [NOW - timedelta(hours=h) for h in hours]


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([], 86400),  # nothing recent: poll daily
        ([None, None], 86400),  # undated entries count as nothing
        (hours_ago(24 * 30), 86400),  # only old entries
        (hours_ago(*range(0, 168, 1)), 1800),  # one an hour for a week: every 30 min
        (hours_ago(*[i / 10 for i in range(1680)]), 300),  # ten an hour: clamped to the minimum
        (hours_ago(1, 50, 100), 86400),  # three a week: 7 d / 6 is over the cap
    ],
)
def test_adaptive_interval(times, expected):
    assert schedule.adaptive_interval(entry_times=times, now=NOW) == expected


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(0, 0), (1, 300), (2, 600), (3, 1200), (9, 76800), (10, 86400), (60, 86400)],
)
def test_backoff_doubles_and_caps(failures, expected):
    assert schedule.backoff_delay(failures=failures) == expected


@pytest.mark.parametrize(
    ("failures", "retry_after", "delay"),
    [(1, None, 300), (1, 3600.0, 3600), (5, 10.0, 4800), (1, 1e9, 86400)],
)
def test_retry_after_is_honoured_but_capped(failures, retry_after, delay):
    got = schedule.next_check_after_failure(now=NOW, failures=failures, retry_after=retry_after)
    assert got == NOW + timedelta(seconds=delay)


def test_batch_by_host_keeps_hosts_together():
    rows = [(1, "a"), (2, "b"), (3, "a"), (4, "c"), (5, "a")]
    assert schedule.batch_by_host(rows, size=2) == [[1, 3], [5, 2], [4]]


@pytest.mark.django_db
def test_claim_due_leases_feeds_so_a_second_pass_skips_them():
    due = Feed.objects.create(
        url="http://a.example/feed", host="a.example", next_check_at=NOW - timedelta(minutes=1)
    )
    Feed.objects.create(
        url="http://b.example/feed", host="b.example", next_check_at=NOW + timedelta(hours=1)
    )
    Feed.objects.create(
        url="http://c.example/feed", host="c.example", next_check_at=NOW, active=False
    )
    assert schedule.feeds_claim_due(now=NOW, limit=10, lease_seconds=900) == [(due.id, "a.example")]
    assert schedule.feeds_claim_due(now=NOW, limit=10, lease_seconds=900) == []
    due.refresh_from_db()
    assert due.next_check_at == NOW + timedelta(seconds=900)
