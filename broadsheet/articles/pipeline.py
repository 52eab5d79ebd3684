"""The ingest pipeline, top to bottom: schedule → fetch → parse → dedupe → extract → sanitize → store.

Each step lives in its own module; this file only calls them in order. Enrichment and indexing
hang off `signals.articles_stored`, sent once the article is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from broadsheet.articles import services
from broadsheet.articles.extract import ChallengePage, Extracted, NotAnArticle, extract_article
from broadsheet.articles.models import FeedEntry
from broadsheet.ingest import schedule
from broadsheet.ingest.fetch import FetchRequest, fetch_iter
from broadsheet.ingest.models import Feed
from broadsheet.ingest.services import feed_record_challenge, feeds_poll

log = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
# Failures worth another try later; the rest (404, robots, not an article) are final.
RETRYABLE = {"timeout", "network"}
EnqueueEntries = Callable[[list[int]], None]


def feeds_refresh(*, feed_ids: list[int], enqueue_entries: EnqueueEntries | None = None) -> int:
    """feeds_refresh polls feeds, records their new entries and hands those to page processing.

    With `enqueue_entries` the pages are queued as tasks (worker mode); without it they are
    processed here and now (the `refresh` command). Returns the number of new entries.
    """
    feeds = list(Feed.objects.filter(id__in=feed_ids, active=True).select_related("source"))
    batch = int(settings.BROADSHEET["BROADSHEET_ENTRY_BATCH"])
    new_total = 0
    for poll in feeds_poll(feeds=feeds):
        if poll.parsed is None:
            continue
        entry_ids = services.entries_record(feed=poll.feed, entries=poll.parsed.entries)
        new_total += len(entry_ids)
        for start in range(0, len(entry_ids), batch):
            chunk = entry_ids[start : start + batch]
            if enqueue_entries is None:
                entries_process(entry_ids=chunk)
            else:
                enqueue_entries(chunk)
    return new_total


def entries_process(*, entry_ids: list[int]) -> int:
    """entries_process fetches pending entries' pages, extracts, sanitizes and stores them.

    Returns how many articles were stored. Each entry ends done, failed (with its reason) or
    challenged; one bad page never stops the others.
    """
    entries = list(
        FeedEntry.objects.filter(
            id__in=entry_ids, state__in=[FeedEntry.State.PENDING, FeedEntry.State.FAILED]
        )
        .select_related("feed__source")
        .order_by("id")
    )
    # Pages are extracted as they arrive, while the rest of the batch is still being fetched.
    results = fetch_iter([FetchRequest(e.url, robots=True, accept=PAGE_ACCEPT) for e in entries])
    ready: list[tuple[services.PageOrigin, Extracted]] = []
    for entry, result in zip(entries, results, strict=True):
        if result.error is not None:
            retry = result.error.kind in RETRYABLE or (result.error.status or 0) >= 500
            services.entry_mark(
                entry=entry, state=FeedEntry.State.FAILED, error=result.error.message, retry=retry
            )
            continue
        try:
            extracted = extract_article(
                result.content, url=result.final_url or entry.url, status=result.status or 200
            )
        except ChallengePage as exc:
            services.entry_mark(entry=entry, state=FeedEntry.State.CHALLENGED, error=str(exc))
            feed_record_challenge(feed=entry.feed, url=entry.url, reason=str(exc))
            continue
        except NotAnArticle as exc:
            services.entry_mark(
                entry=entry, state=FeedEntry.State.FAILED, error=f"not an article: {exc}"
            )
            continue
        origin = services.PageOrigin(
            url=entry.url, final_url=result.final_url, feed=entry.feed, entry=entry
        )
        ready.append((origin, extracted))
    return _store(ready)


def _store(ready: list[tuple[services.PageOrigin, Extracted]]) -> int:
    """_store saves a batch in one transaction; if that fails, page by page, so one bad page loses only itself."""
    try:
        outcomes = services.articles_store(pages=ready)
    except Exception:  # noqa: BLE001 - retried one by one below, where the culprit is named
        log.exception("storing a batch of %d articles failed; storing them one by one", len(ready))
        outcomes = []
        for page in ready:
            try:
                outcomes += services.articles_store(pages=[page])
            except Exception as exc:  # noqa: BLE001 - recorded on the entry, retried later
                log.exception("storing %s failed", page[0].url)
                if page[0].entry is not None:
                    services.entry_mark(
                        entry=page[0].entry,
                        state=FeedEntry.State.FAILED,
                        error=f"could not store: {exc}",
                        retry=True,
                    )
                outcomes.append(services.StoreResult(None))
    stored = 0
    for (origin, _), outcome in zip(ready, outcomes, strict=True):
        if outcome.refused and origin.entry is not None:
            services.entry_mark(
                entry=origin.entry, state=FeedEntry.State.SKIPPED, error=outcome.refused
            )
        stored += outcome.article_id is not None
    return stored


def feeds_due(*, limit: int, lease_seconds: int) -> list[list[int]]:
    """feeds_due claims due feeds and returns them in host-grouped batches ready to enqueue."""
    rows = schedule.feeds_claim_due(now=timezone.now(), limit=limit, lease_seconds=lease_seconds)
    return schedule.batch_by_host(rows, size=50)


def entries_retry_due(*, stale_after: int) -> list[int]:
    """entries_retry_due returns entries whose task was lost or whose fetch may succeed now."""
    ids = services.entries_stale(before=timezone.now() - timedelta(seconds=stale_after))
    if ids:
        FeedEntry.objects.filter(id__in=ids).update(updated_at=timezone.now())
    return ids
