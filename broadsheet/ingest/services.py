"""Writes for feeds and sources: polling a batch of feeds and recording each outcome as feed health."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.utils import timezone

from broadsheet.ingest import schedule
from broadsheet.ingest.fetch import FetchRequest, FetchResult, fetch_many
from broadsheet.ingest.models import Feed, FetchLog, Source
from broadsheet.ingest.opml import parse_opml
from broadsheet.ingest.parse import ParsedFeed, ParseError, parse_feed

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)


# The fields a poll changes, written back in bulk.
POLL_FIELDS = [
    "last_checked_at",
    "last_status",
    "consecutive_failures",
    "last_error_at",
    "last_error_kind",
    "last_error",
    "last_success_at",
    "etag",
    "last_modified",
    "title",
    "site_url",
    "entry_count",
    "interval",
    "next_check_at",
]


@dataclass
class FeedPoll:
    """The outcome of polling one feed: a parsed document, or why there is none."""

    feed: Feed
    parsed: ParsedFeed | None = None
    not_modified: bool = False
    error_kind: str = ""
    error: str = ""


def host_of(url: str) -> str:
    """host_of returns the lower-case host of a URL without a leading www."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def source_for_host(*, host: str, name: str = "", homepage: str = "") -> Source:
    """source_for_host returns the publisher for a host, creating it on first sight."""
    source, _ = Source.objects.get_or_create(
        host=host, defaults={"name": name or host, "homepage": homepage or f"https://{host}/"}
    )
    return source


def feed_create(
    *, url: str, title: str = "", site_url: str = "", category: str = ""
) -> tuple[Feed, bool]:
    """feed_create adds a feed (and its publisher) unless the URL is already known."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http(s) feed URL: {url!r}")
    host = host_of(site_url or url)
    with transaction.atomic():
        source = source_for_host(host=host, name=title, homepage=site_url)
        return Feed.objects.get_or_create(
            url=url,
            defaults={
                "source": source,
                "host": host_of(url),
                "title": title,
                "site_url": site_url,
                "category": category,
            },
        )


def feeds_poll(*, feeds: list[Feed], now: datetime | None = None) -> list[FeedPoll]:
    """feeds_poll fetches and parses a batch of feeds concurrently and records each one's health."""
    now = now or timezone.now()
    requests = [
        FetchRequest(f.url, etag=f.etag, last_modified=f.last_modified, accept=FEED_ACCEPT)
        for f in feeds
    ]
    results = fetch_many(requests)
    polls = [_poll_from_result(feed, result) for feed, result in zip(feeds, results, strict=True)]
    for poll, result in zip(polls, results, strict=True):
        _record(poll, result, now=now)
    with transaction.atomic():
        _save_polled(feeds)
        # A 304 only touches the feed's health fields: logging every one would write a row per feed
        # per poll (millions a week) to say "nothing happened".
        FetchLog.objects.bulk_create(
            [_log_row(p, r, now) for p, r in zip(polls, results, strict=True) if not p.not_modified]
        )
    return polls


def _save_polled(feeds: list[Feed]) -> None:
    # Polling is mostly bookkeeping: one prepared UPDATE run for every feed (executemany) costs a
    # fraction of a Model.save() per feed, and far less than bulk_update's CASE expressions.
    fields = [Feed._meta.get_field(name) for name in POLL_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(Feed._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"
    rows = [
        [f.get_db_prep_save(getattr(feed, f.attname), connection) for f in fields] + [feed.pk]  # type: ignore[union-attr]
        for feed in feeds
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _poll_from_result(feed: Feed, result: FetchResult) -> FeedPoll:
    if result.error is not None:
        return FeedPoll(feed, error_kind=result.error.kind, error=result.error.message)
    if result.not_modified:
        return FeedPoll(feed, not_modified=True)
    try:
        parsed = parse_feed(
            result.content, url=result.final_url or feed.url, content_type=result.content_type
        )
    except ParseError as exc:
        return FeedPoll(feed, error_kind="parse", error=str(exc))
    return FeedPoll(feed, parsed=parsed)


def _record(poll: FeedPoll, result: FetchResult, *, now: datetime) -> None:
    # Sets the feed's health fields in memory; feeds_poll writes them all in one go.
    feed = poll.feed
    feed.last_checked_at = now
    feed.last_status = result.status
    if poll.error_kind:
        feed.consecutive_failures += 1
        feed.last_error_at = now
        feed.last_error_kind = poll.error_kind
        feed.last_error = poll.error
        feed.next_check_at = schedule.next_check_after_failure(
            now=now, failures=feed.consecutive_failures, retry_after=result.retry_after
        )
        log.info("feed %s failed (%s): %s", feed.id, poll.error_kind, poll.error)
    else:
        feed.consecutive_failures = 0
        feed.last_success_at = now
        feed.last_error_kind = ""
        feed.last_error = ""
        feed.etag = result.etag or feed.etag
        feed.last_modified = result.last_modified or feed.last_modified
        if poll.parsed is not None:
            parsed = poll.parsed
            feed.title = feed.title or parsed.title[:500]
            feed.site_url = feed.site_url or parsed.site_url[:2000]
            feed.entry_count = len(parsed.entries)
            feed.interval = schedule.adaptive_interval(
                entry_times=[e.published for e in parsed.entries], now=now
            )
        feed.next_check_at = now + timedelta(seconds=feed.interval)


def feed_record_challenge(*, feed: Feed, url: str, reason: str) -> None:
    """feed_record_challenge makes a bot-challenged article page visible on its feed's health."""
    now = timezone.now()
    Feed.objects.filter(pk=feed.pk).update(
        last_error_at=now,
        last_error_kind="challenge",
        last_error=f"bot challenge at {url}: {reason}"[:2000],
    )
    FetchLog.objects.create(
        feed=feed,
        url=url[:2000],
        started_at=now,
        outcome=FetchLog.Outcome.CHALLENGE,
        error_kind="challenge",
        error=reason[:2000],
    )


def _log_row(poll: FeedPoll, result: FetchResult, now: datetime) -> FetchLog:
    if poll.error_kind:
        outcome = FetchLog.Outcome.ERROR
    elif poll.not_modified:
        outcome = FetchLog.Outcome.NOT_MODIFIED
    else:
        outcome = FetchLog.Outcome.OK
    return FetchLog(
        feed=poll.feed,
        url=poll.feed.url,
        started_at=now,
        duration_ms=int(result.elapsed * 1000),
        status=result.status,
        outcome=outcome,
        error_kind=poll.error_kind,
        error=poll.error[:2000],
        size=len(result.content),
    )


def fetch_logs_prune(*, older_than: timedelta = timedelta(days=7)) -> int:
    """fetch_logs_prune deletes fetch log rows older than the given age and returns how many."""
    deleted, _ = FetchLog.objects.filter(started_at__lt=timezone.now() - older_than).delete()
    return deleted


def feeds_import_opml(*, content: bytes) -> tuple[int, int]:
    """feeds_import_opml subscribes to every feed of an OPML document; returns (added, already known)."""
    added = known = 0
    for outline in parse_opml(content):
        try:
            _, created = feed_create(
                url=outline.xml_url,
                title=outline.title,
                site_url=outline.html_url,
                category=outline.category,
            )
        except ValueError:
            log.warning("skipping OPML outline with a bad URL: %r", outline.xml_url)
            continue
        added += created
        known += not created
    return added, known
