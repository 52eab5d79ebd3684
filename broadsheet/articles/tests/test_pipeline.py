"""The whole pipeline against a publisher on loopback: feeds in, stored articles out."""

from __future__ import annotations

import pytest

from broadsheet.articles import services
from broadsheet.articles.models import Article, FeedEntry, Tombstone
from broadsheet.articles.pipeline import feeds_refresh
from broadsheet.articles.services import article_delete
from broadsheet.articles.signals import articles_stored
from broadsheet.articles.tests.pages import article_html, rss, site
from broadsheet.ingest.models import Feed, FetchLog
from broadsheet.ingest.services import feed_create

pytestmark = pytest.mark.django_db(transaction=True)


def subscribe(url: str) -> Feed:
    feed, _ = feed_create(url=url)
    return feed


def test_feed_to_articles_end_to_end(publisher):
    urls = site(publisher, articles=3)
    publisher.add(
        "/feed.xml",
        rss([(f"g{i}", u, f"Harbour story number {i}") for i, u in enumerate(urls)]),
        content_type="application/rss+xml",
        headers={"ETag": '"v1"'},
    )
    stored = []
    articles_stored.connect(
        lambda **kw: stored.extend(kw["created_ids"]), weak=False, dispatch_uid="t1"
    )
    try:
        feed = subscribe(publisher.url("/feed.xml"))
        assert feeds_refresh(feed_ids=[feed.id]) == 3
    finally:
        articles_stored.disconnect(dispatch_uid="t1")
    articles = list(Article.objects.order_by("title"))
    assert [a.title for a in articles] == [f"Harbour story number {i}" for i in range(3)]
    first = articles[0]
    assert "Story 0 paragraph 5" in first.text
    assert first.language == "en"
    assert first.lead_image == publisher.url("/img/0.jpg")
    assert first.source is not None and first.feed_id == feed.id
    assert first.word_count > 100 and len(first.content_hash) == 64
    assert "<script" not in first.body_html
    assert sorted(stored) == sorted(a.id for a in articles)
    feed.refresh_from_db()
    assert feed.last_success_at is not None and feed.consecutive_failures == 0
    assert feed.etag == '"v1"' and feed.entry_count == 3


def test_repoll_is_idempotent_and_uses_conditional_get(publisher):
    urls = site(publisher, articles=2)
    publisher.add(
        "/feed.xml",
        rss([(f"g{i}", u, f"T{i}") for i, u in enumerate(urls)]),
        content_type="application/rss+xml",
        headers={"ETag": '"v1"'},
    )
    feed = subscribe(publisher.url("/feed.xml"))
    feeds_refresh(feed_ids=[feed.id])
    page_hits = len([h for h in publisher.hits if h.startswith("/news")])
    feeds_refresh(feed_ids=[feed.id])  # same document again: nothing new is fetched
    assert len([h for h in publisher.hits if h.startswith("/news")]) == page_hits
    assert Article.objects.count() == 2 and FeedEntry.objects.count() == 2


def test_same_article_in_three_feeds_is_stored_once(publisher):
    [url] = site(publisher, articles=1)
    variants = [url, url + "?utm_source=rss&utm_medium=feed", url + "#comments"]
    feeds = []
    for i, link in enumerate(variants):
        publisher.add(
            f"/f{i}.xml",
            rss([(f"feed{i}-guid", link, "Shared story")]),
            content_type="application/rss+xml",
        )
        feeds.append(subscribe(publisher.url(f"/f{i}.xml")))
    feeds_refresh(feed_ids=[f.id for f in feeds])
    assert Article.objects.count() == 1
    article = Article.objects.get()
    assert FeedEntry.objects.filter(article=article).count() == 3
    assert len([h for h in publisher.hits if h.startswith("/news/0")]) == 1


def test_tombstoned_article_never_returns(publisher):
    urls = site(publisher, articles=1)
    publisher.add("/feed.xml", rss([("g0", urls[0], "Gone")]), content_type="application/rss+xml")
    feed = subscribe(publisher.url("/feed.xml"))
    feeds_refresh(feed_ids=[feed.id])
    article_delete(article=Article.objects.get(), reason="test")
    publisher.add(
        "/feed2.xml", rss([("other-guid", urls[0], "Gone")]), content_type="application/rss+xml"
    )
    other = subscribe(publisher.url("/feed2.xml"))
    feeds_refresh(feed_ids=[other.id])
    assert Article.objects.count() == 0
    assert Tombstone.objects.count() == 1
    assert FeedEntry.objects.get(feed=other).state == FeedEntry.State.SKIPPED


def test_challenge_pages_are_recorded_on_the_feed_not_stored(publisher):
    publisher.add(
        "/cf",
        "<html><head><title>Just a moment...</title></head><body>Checking your browser "
        "before accessing. <script src='/cdn-cgi/challenge-platform/x.js'></script></body></html>",
        status=403,
    )
    publisher.add(
        "/feed.xml",
        rss([("g0", publisher.url("/cf"), "Blocked")]),
        content_type="application/rss+xml",
    )
    feed = subscribe(publisher.url("/feed.xml"))
    feeds_refresh(feed_ids=[feed.id])
    assert Article.objects.count() == 0
    entry = FeedEntry.objects.get()
    feed.refresh_from_db()
    # A 403 challenge is refused at fetch (HTTP status) or recognised at extraction: either way it is
    # visible on the entry and nothing is stored.
    assert entry.state in {FeedEntry.State.CHALLENGED, FeedEntry.State.FAILED}
    assert entry.error


def test_dead_feed_is_visible_and_others_in_the_run_complete(publisher):
    urls = site(publisher, articles=1)
    publisher.add("/good.xml", rss([("g0", urls[0], "Fine")]), content_type="application/rss+xml")
    publisher.add("/garbage.xml", b"\x00\xff not a feed at all", content_type="application/rss+xml")
    good = subscribe(publisher.url("/good.xml"))
    dead = subscribe(publisher.url("/missing.xml"))
    garbage = subscribe(publisher.url("/garbage.xml"))
    refused = subscribe(
        "http://127.0.0.1:9/feed.xml"
    )  # loopback, not allowlisted: refused before connecting
    feeds_refresh(feed_ids=[dead.id, garbage.id, refused.id, good.id])
    assert Article.objects.count() == 1
    for feed, kind in ((dead, "http_status"), (garbage, "parse"), (refused, "refused")):
        feed.refresh_from_db()
        assert feed.consecutive_failures == 1, feed.url
        assert feed.last_error_kind == kind, (feed.url, feed.last_error)
        assert feed.last_error, feed.url
        assert feed.last_checked_at is not None and feed.next_check_at > feed.last_checked_at
    assert FetchLog.objects.filter(outcome="error").count() == 3


def test_retry_after_pushes_next_check(publisher):
    publisher.add("/busy.xml", "slow down", status=429, headers={"Retry-After": "7200"})
    feed = subscribe(publisher.url("/busy.xml"))
    feeds_refresh(feed_ids=[feed.id])
    feed.refresh_from_db()
    assert feed.last_checked_at is not None
    assert (feed.next_check_at - feed.last_checked_at).total_seconds() == pytest.approx(7200, abs=1)


def test_hostile_page_does_not_stop_the_batch(publisher):
    urls = site(publisher, articles=2)
    publisher.add("/deep", "<div>" * 100_000 + "deep" + "</div>" * 100_000)
    publisher.add("/empty", "")
    items = [
        ("g0", urls[0], "A"),
        ("g1", publisher.url("/deep"), "Deep"),
        ("g2", publisher.url("/empty"), "E"),
        ("g3", urls[1], "B"),
    ]
    publisher.add("/feed.xml", rss(items), content_type="application/rss+xml")
    feed = subscribe(publisher.url("/feed.xml"))
    feeds_refresh(feed_ids=[feed.id])
    assert Article.objects.count() == 2
    failed = FeedEntry.objects.exclude(state=FeedEntry.State.DONE)
    assert {e.url for e in failed} == {publisher.url("/deep"), publisher.url("/empty")}
    assert all(e.error for e in failed)


def test_a_batch_is_stored_together_and_one_unstorable_page_loses_only_itself(
    publisher, monkeypatch
):
    urls = site(publisher, articles=4)
    publisher.add(
        "/feed.xml",
        rss([(f"g{i}", u, f"Harbour story number {i}") for i, u in enumerate(urls)]),
        content_type="application/rss+xml",
    )
    real = services.sanitize_html

    def fragile(html, *, base_url):
        if base_url.endswith("/news/2"):
            raise ValueError("sanitizer choked")
        return real(html, base_url=base_url)

    monkeypatch.setattr(services, "sanitize_html", fragile)
    feed = subscribe(publisher.url("/feed.xml"))
    assert feeds_refresh(feed_ids=[feed.id]) == 4
    assert sorted(a.url for a in Article.objects.all()) == sorted(
        u for u in urls if not u.endswith("/news/2")
    )
    bad = FeedEntry.objects.get(url=urls[2])
    assert bad.state == FeedEntry.State.FAILED and "sanitizer choked" in bad.error
    assert bad.attempts < services.MAX_ATTEMPTS  # retried later
    assert FeedEntry.objects.filter(state=FeedEntry.State.DONE).count() == 3


def test_one_batch_one_signal_with_created_and_linked_ids(publisher):
    urls = site(publisher, articles=3)
    publisher.add(
        "/a.xml",
        rss([(f"a{i}", u, f"T{i}") for i, u in enumerate(urls[:2])]),
        content_type="application/rss+xml",
    )
    publisher.add(
        "/b.xml",
        rss([(f"b{i}", u, f"T{i}") for i, u in enumerate(urls)]),
        content_type="application/rss+xml",
    )
    sent = []
    articles_stored.connect(lambda **kw: sent.append(kw), weak=False, dispatch_uid="t2")
    try:
        feeds_refresh(feed_ids=[subscribe(publisher.url("/a.xml")).id])
        feeds_refresh(feed_ids=[subscribe(publisher.url("/b.xml")).id])
    finally:
        articles_stored.disconnect(dispatch_uid="t2")
    ids = {a.url: a.id for a in Article.objects.all()}
    first = sorted(ids[u] for u in urls[:2])
    # The second feed's copies of the first two are linked before any fetch; only the third is new.
    assert [(s["article_ids"], s["created_ids"]) for s in sent] == [
        (first, first),
        ([ids[urls[2]]], [ids[urls[2]]]),
    ]


def test_robots_txt_is_respected_for_pages(publisher):
    publisher.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    publisher.add("/private/1", article_html("Secret", 1))
    publisher.add(
        "/feed.xml",
        rss([("g", publisher.url("/private/1"), "Secret")]),
        content_type="application/rss+xml",
    )
    feed = subscribe(publisher.url("/feed.xml"))
    feeds_refresh(feed_ids=[feed.id])
    assert Article.objects.count() == 0
    assert "/private/1" not in publisher.hits
    assert "robots" in FeedEntry.objects.get().error.lower()
