"""What the feed-reader APIs (Google Reader, Fever) share: a reader's subscriptions and item bodies.

A reader's subscriptions are the sources they follow on the site (`community.Follow(source=…)`):
subscribing in an app follows the source, unsubscribing unfollows it, and the site's "For you"
page sees the same list. Read and starred state are the site's own `reading.ArticleState` rows.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from datetime import datetime

from django.db.models import QuerySet

from broadsheet.accounts.models import User
from broadsheet.api.feeds.build import hashtags_html, key_points_html
from broadsheet.api.selectors import key_points_of, tags_of
from broadsheet.articles.models import Article
from broadsheet.ingest.models import Feed, Source

UNCATEGORIZED = "Uncategorized"


def subscribed_sources(*, user: User) -> QuerySet[Source]:
    """subscribed_sources returns the sources a reader follows, by name."""
    return Source.objects.filter(followers__user=user).order_by("name", "id")


def subscription_articles(*, user: User) -> QuerySet[Article]:
    """subscription_articles returns every article of the sources a reader follows."""
    return Article.objects.filter(source__followers__user=user)


def reader_queryset(qs: QuerySet[Article]) -> QuerySet[Article]:
    """reader_queryset adds what an item needs (source, enrichment, hashtags) without the plain text."""
    from broadsheet.api.selectors import with_panels

    return with_panels(qs, full=True).defer("text", "enrichment__vector", "enrichment__keyphrases")


def item_html(article: Article, *, with_hashtags: bool = False) -> str:
    """item_html is an item's body for reader apps: our key points first, then the article."""
    body = article.body_html or (f"<p>{article.summary}</p>" if article.summary else "")
    tags = hashtags_html([t.name for t in tags_of(article)]) if with_hashtags else ""
    return key_points_html(key_points_of(article)) + body + tags


def item_time(article: Article) -> datetime:
    """item_time is when an item was published, or fetched when the publisher gave no date."""
    return article.published_at or article.fetched_at


def source_categories(sources: list[Source]) -> dict[int, str]:
    """source_categories names each source's folder: the category of its first categorised feed."""
    found: dict[int, str] = {}
    feeds = Feed.objects.filter(source__in=sources).exclude(category="").order_by("id")
    for source_id, category in feeds.values_list("source_id", "category"):
        if source_id is not None:
            found.setdefault(source_id, category)
    return {s.pk: found.get(s.pk, UNCATEGORIZED) for s in sources}


def group_id(category: str) -> int:
    """group_id is a stable positive number for a folder name (Fever wants integer group ids)."""
    return (zlib.crc32(category.encode("utf-8")) & 0x7FFFFFFF) or 1


def groups_of(sources: list[Source]) -> dict[str, list[int]]:
    """groups_of maps each folder name to the ids of its sources."""
    groups: dict[str, list[int]] = defaultdict(list)
    for source_id, category in source_categories(sources).items():
        groups[category].append(source_id)
    return dict(groups)
