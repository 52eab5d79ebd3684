"""Writes for articles: exact dedupe of feed entries, then storing extracted, sanitized articles."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import BinaryIO
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from broadsheet.articles.dedupe import canonical_url, content_hash
from broadsheet.articles.extract import ChallengePage, Extracted, NotAnArticle, extract_article
from broadsheet.articles.models import Article, FeedEntry, Tombstone
from broadsheet.articles.sanitize import sanitize_html
from broadsheet.articles.signals import articles_stored
from broadsheet.core.db import commit_without_flush_wait
from broadsheet.ingest.models import Feed, Source
from broadsheet.ingest.parse import ParsedEntry
from broadsheet.ingest.services import host_of, source_for_host
from broadsheet.ingest.warc import warc_pages

log = logging.getLogger(__name__)

# SQLite caps the variables of one statement; IN-lists are chunked below it.
CHUNK = 500


def _chunks(items: list[str], size: int = CHUNK) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def entries_record(*, feed: Feed, entries: list[ParsedEntry]) -> list[int]:
    """entries_record stores a feed's new entries and returns the ids of those whose page must be fetched.

    Exact duplicates are settled here, before any page fetch: an entry key already seen in this
    feed is skipped; a canonical URL already stored (from any feed) links to that article; a
    tombstoned URL is skipped for good.
    """
    fresh = _first_per_key(entries)
    keys = list(fresh)
    seen: set[str] = set()
    for part in _chunks(keys):
        seen.update(FeedEntry.objects.filter(feed=feed, key__in=part).values_list("key", flat=True))
    new = [fresh[k] for k in keys if k not in seen]
    if not new:
        return []
    canon = {e.key: canonical_url(e.url) if e.url else "" for e in new}
    urls = sorted({u for u in canon.values() if u})
    known: dict[str, int] = {}
    dead: set[str] = set()
    for part in _chunks(urls):
        known.update(
            Article.objects.filter(canonical_url__in=part).values_list("canonical_url", "id")
        )
        known.update(
            FeedEntry.objects.filter(canonical_url__in=part, article__isnull=False)
            .values_list("canonical_url", "article_id")
            .distinct()
        )
        dead.update(
            Tombstone.objects.filter(canonical_url__in=part).values_list("canonical_url", flat=True)
        )
    now = timezone.now()
    rows = []
    for entry in new:
        url = canon[entry.key]
        row = FeedEntry(
            feed=feed,
            key=entry.key,
            guid=entry.guid[:2000],
            url=entry.url[:2000],
            canonical_url=url[:2000],
            title=entry.title[:1000],
            summary=entry.summary,
            published_at=entry.published,
            created_at=now,
            updated_at=now,
        )
        if not url:
            row.state, row.error = FeedEntry.State.SKIPPED, "entry has no link"
        elif url in dead:
            row.state, row.error = FeedEntry.State.SKIPPED, "tombstoned"
        elif url in known:
            row.state, row.article_id = FeedEntry.State.DONE, known[url]
        rows.append(row)
    # ignore_conflicts: a concurrent poll of the same feed may insert the same keys; the unique
    # (feed, key) constraint keeps one and this stays idempotent.
    FeedEntry.objects.bulk_create(rows, ignore_conflicts=True)
    pending: list[int] = []
    for part in _chunks([r.key for r in rows if r.state == FeedEntry.State.PENDING]):
        pending.extend(
            FeedEntry.objects.filter(
                feed=feed, key__in=part, state=FeedEntry.State.PENDING
            ).values_list("id", flat=True)
        )
    return sorted(pending)


def _first_per_key(entries: list[ParsedEntry]) -> dict[str, ParsedEntry]:
    fresh: dict[str, ParsedEntry] = {}
    for entry in entries:
        fresh.setdefault(entry.key, entry)
    return fresh


@dataclass
class PageOrigin:
    """Where an article's page came from: the URL asked for, the URL answered, and the feed context."""

    url: str
    final_url: str
    feed: Feed | None = None
    entry: FeedEntry | None = None


@dataclass
class _Prepared:
    origin: PageOrigin
    canon: str
    fields: dict[str, object]
    lead_image: str


def _prepare(origin: PageOrigin, extracted: Extracted) -> _Prepared:
    # Everything that needs no database happens before the transaction opens.
    final = origin.final_url or origin.url
    entry = origin.entry
    title = (extracted.title or (entry.title if entry else "") or final)[:1000]
    published = (entry.published_at if entry else None) or extracted.published
    fields: dict[str, object] = {
        "source": _source_for(origin, final),
        "feed": origin.feed,
        "url": final[:2000],
        "title": title,
        "byline": extracted.byline[:500],
        "published_at": published,
        "updated_at": extracted.published
        if extracted.published and published and extracted.published > published
        else None,
        "fetched_at": timezone.now(),
        "language": extracted.lang[:16],
        "body_html": sanitize_html(extracted.html, base_url=final),
        "text": extracted.text,
        "summary": entry.summary if entry else "",
        "lead_image": extracted.lead_image[:2000],
        "word_count": len(extracted.text.split()),
        "content_hash": content_hash(extracted.text),
    }
    return _Prepared(origin, canonical_url(final)[:2000], fields, extracted.lead_image)


@dataclass
class StoreResult:
    """What storing one page did: the article it is (None when refused), and whether it is new."""

    article_id: int | None
    created: bool = False
    refused: str = ""


def articles_store(*, pages: Sequence[tuple[PageOrigin, Extracted]]) -> list[StoreResult]:
    """articles_store sanitizes and saves extracted pages once per canonical URL, in one transaction.

    Idempotent: a URL already stored keeps its article (the entry is linked to it), a tombstoned
    URL is refused. One commit and a handful of statements per batch rather than per article:
    on PostgreSQL each statement is a round trip (bench/ingest.py). `articles_stored` is sent
    once the batch is committed. Results come back in the order of `pages`.
    """
    prepared = [_prepare(origin, extracted) for origin, extracted in pages]
    canons = sorted({p.canon for p in prepared})
    with transaction.atomic():
        commit_without_flush_wait()
        dead: set[str] = set()
        known: dict[str, int] = {}
        for part in _chunks(canons):
            dead.update(
                Tombstone.objects.filter(canonical_url__in=part).values_list(
                    "canonical_url", flat=True
                )
            )
            known.update(
                Article.objects.filter(canonical_url__in=part).values_list("canonical_url", "id")
            )
        new: dict[str, _Prepared] = {}
        for p in prepared:
            if p.canon not in dead and p.canon not in known:
                new.setdefault(p.canon, p)
        # ignore_conflicts: a concurrent worker may store the same URL; the unique key keeps one.
        Article.objects.bulk_create(
            [Article(canonical_url=canon, **p.fields) for canon, p in new.items()],
            ignore_conflicts=True,
        )
        created: dict[str, int] = {}
        for part in _chunks(list(new)):
            created.update(
                Article.objects.filter(canonical_url__in=part).values_list("canonical_url", "id")
            )
        ids = {**created, **known}
        results: list[StoreResult] = []
        linked: list[FeedEntry] = []
        now = timezone.now()
        for p in prepared:
            if p.canon in dead:
                results.append(StoreResult(None, refused=f"{p.canon} is tombstoned"))
                continue
            results.append(StoreResult(ids[p.canon], created=p.canon in created))
            entry = p.origin.entry
            if entry is not None:
                entry.article_id, entry.state = ids[p.canon], FeedEntry.State.DONE
                entry.error, entry.updated_at = "", now
                linked.append(entry)
        FeedEntry.objects.bulk_update(linked, ["article", "state", "error", "updated_at"])
        for p in new.values():
            source = p.fields["source"]
            if p.lead_image and isinstance(source, Source):
                _remember_image_host(source, p.lead_image)
        article_ids = sorted({r.article_id for r in results if r.article_id is not None})
        created_ids = sorted(created.values())
        if article_ids:
            transaction.on_commit(
                partial(
                    articles_stored.send,
                    sender=Article,
                    article_ids=article_ids,
                    created_ids=created_ids,
                )
            )
    return results


def article_store(*, origin: PageOrigin, extracted: Extracted) -> tuple[Article, bool]:
    """article_store stores one extracted page (see articles_store); raises ArticleRefused when tombstoned."""
    (result,) = articles_store(pages=[(origin, extracted)])
    if result.article_id is None:
        raise ArticleRefused(result.refused)
    return Article.objects.get(pk=result.article_id), result.created


class ArticleRefused(Exception):
    """The article may not be stored (tombstoned)."""


def _source_for(origin: PageOrigin, final_url: str) -> Source | None:
    if origin.feed is not None and origin.feed.source_id is not None:
        return origin.feed.source
    host = host_of(final_url)
    return source_for_host(host=host) if host else None


def _remember_image_host(source: Source, image_url: str) -> None:
    # The image resizer only fetches from hosts our sources use; learn them as articles arrive.
    host = (urlsplit(image_url).hostname or "").lower()
    if host and host not in source.image_hosts:
        source.image_hosts = [*source.image_hosts, host]
        Source.objects.filter(pk=source.pk).update(image_hosts=source.image_hosts)


MAX_ATTEMPTS = 3


def entry_mark(*, entry: FeedEntry, state: str, error: str = "", retry: bool = False) -> None:
    """entry_mark records an entry's failure or skip; only a retryable failure leaves attempts to spare."""
    attempts = entry.attempts + 1 if retry else MAX_ATTEMPTS
    FeedEntry.objects.filter(pk=entry.pk).update(
        state=state, error=error[:2000], attempts=attempts, updated_at=timezone.now()
    )


def entries_stale(*, before: datetime, max_attempts: int = MAX_ATTEMPTS) -> list[int]:
    """entries_stale returns pending entries untouched since before (their task was lost), to re-queue."""
    return list(
        FeedEntry.objects.filter(
            Q(state=FeedEntry.State.PENDING)
            | Q(state=FeedEntry.State.FAILED, attempts__lt=max_attempts),
            updated_at__lt=before,
        )
        .order_by("id")
        .values_list("id", flat=True)[:5000]
    )


def article_delete(*, article: Article, reason: str = "") -> None:
    """article_delete removes an article and tombstones its URL so no feed brings it back."""
    with transaction.atomic():
        Tombstone.objects.get_or_create(
            canonical_url=article.canonical_url, defaults={"reason": reason[:200]}
        )
        article.delete()


@dataclass
class WarcReport:
    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0


def warc_import(
    *, stream: BinaryIO, on_progress: Callable[[int], None] | None = None
) -> WarcReport:
    """warc_import extracts and stores every archived HTML page of a WARC stream, once per canonical URL."""
    report = WarcReport()
    max_bytes = int(settings.BROADSHEET["BROADSHEET_FETCH_MAX_BYTES"])
    for page in warc_pages(stream, max_bytes=max_bytes):
        report.pages += 1
        canon = canonical_url(page.url) if page.url else ""
        if not canon or page.status != 200:
            report.rejected += 1
        elif Article.objects.filter(canonical_url=canon).exists():
            report.duplicates += 1
        else:
            try:
                extracted = extract_article(page.content, url=page.url, status=page.status)
                _, created = article_store(
                    origin=PageOrigin(url=page.url, final_url=page.url), extracted=extracted
                )
                report.stored += created
                report.duplicates += not created
            except (ChallengePage, NotAnArticle, ArticleRefused):
                report.rejected += 1
        if on_progress is not None:
            on_progress(report.stored)
    return report
