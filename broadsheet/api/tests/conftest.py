"""A small newsroom for the API tests: sources, feeds, enriched articles, a story, readers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from broadsheet.accounts.models import User
from broadsheet.accounts.services import reader_password_set
from broadsheet.articles.models import Article
from broadsheet.enrich.models import ArticleTag, Enrichment, RelatedArticle, Story, Tag
from broadsheet.ingest.models import Feed, Source

BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NASTY = 'Fish & chips <b>bold</b> "quoted" 🐟 북한 미사일 \x01\x07\x1b end'


@dataclass
class Newsroom:
    sources: list[Source]
    feeds: list[Feed]
    articles: list[Article]
    tags: list[Tag]
    story: Story
    reader: User
    other: User
    password: str = "reader-app-pass"
    extra: dict[str, object] = field(default_factory=dict)


def make_article(
    i: int, source: Source, feed: Feed, *, title: str | None = None, **kw: Any
) -> Article:
    return Article.objects.create(
        source=source,
        feed=feed,
        url=f"https://{source.host}/news/{i}",
        canonical_url=f"https://{source.host}/news/{i}",
        title=title or f"Article {i} from {source.name}",
        byline=f"Reporter {i}",
        published_at=kw.pop("published_at", BASE - timedelta(hours=i)),
        fetched_at=kw.pop("fetched_at", BASE - timedelta(hours=i) + timedelta(minutes=5)),
        language=str(kw.pop("language", "en")),
        body_html=f"<p>Body of article {i} &amp; more.</p>",
        text=f"Body of article {i}. The missile flew 800 km before falling into the sea.",
        summary=f"Summary {i}",
        word_count=100 + i,
        content_hash=f"{i:064x}",
        **kw,
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The rate limits live in the database cache: its table must exist in the test database."""
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _fast_hashes(settings: Any) -> None:
    # Argon2 as configured costs ~1 s a hash on a busy 2-core machine; these tests hash a few.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_limits(db: None) -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def newsroom(db: None) -> Newsroom:
    sources = [
        Source.objects.create(
            name="Korea Herald", host="koreaherald.example", homepage="https://koreaherald.example/"
        ),
        Source.objects.create(
            name="Yonhap & Co <wire>", host="yonhap.example", homepage="https://yonhap.example/"
        ),
        Source.objects.create(
            name="Empty Times", host="empty.example", homepage="https://empty.example/"
        ),
    ]
    feeds = [
        Feed.objects.create(
            source=s, url=f"https://{s.host}/rss", host=s.host, title=s.name, category=cat
        )
        for s, cat in zip(sources, ["Korea", "Korea", ""], strict=True)
    ]
    tags = [
        Tag.objects.create(slug="north-korea", name="NorthKorea", kind="place", article_count=0),
        Tag.objects.create(slug="미사일", name="미사일", kind="topic", article_count=0),
    ]
    story = Story.objects.create(title="Missile test & reactions", article_count=0, source_count=2)
    articles = []
    for i in range(30):
        source, feed = (sources[0], feeds[0]) if i % 2 == 0 else (sources[1], feeds[1])
        title = NASTY if i == 3 else None
        article = make_article(i, source, feed, title=title, language="ko" if i % 5 == 0 else "en")
        Enrichment.objects.create(
            article=article,
            state="done",
            key_points=[f"Point one of {i} & <stuff>", f"Point two of {i}"],
            story=story if i < 6 else None,
        )
        ArticleTag.objects.create(article=article, tag=tags[0], rank=0)
        if i % 3 == 0:
            ArticleTag.objects.create(article=article, tag=tags[1], rank=1)
        articles.append(article)
    # An undated article sorts after every dated one.
    undated = make_article(99, sources[0], feeds[0], published_at=None)
    articles.append(undated)
    # A wire copy and related links.
    copy_of = Enrichment.objects.get(article=articles[5])
    copy_of.duplicate_of = articles[4]
    copy_of.save()
    RelatedArticle.objects.create(article=articles[0], related=articles[1], rank=0, score=0.9)
    story.lead_article = articles[0]
    story.article_count = 6
    story.first_published_at = articles[5].published_at
    story.last_published_at = articles[0].published_at
    story.summary = [["Both outlets report the launch.", [1, 2]]]
    story.save()
    Tag.objects.filter(pk=tags[0].pk).update(article_count=30)
    reader = User.objects.create_user("reader", "reader@example.com", "site-password-1")
    other = User.objects.create_user("other", "other@example.com", "site-password-2")
    room = Newsroom(sources, feeds, articles, tags, story, reader, other)
    reader_password_set(user=reader, password=room.password)
    return room


@pytest.fixture
def limits() -> Iterator[dict[str, object]]:
    """limits lets a test lower the API rate limits; they are restored afterwards."""
    saved = dict(settings.BROADSHEET)
    yield settings.BROADSHEET
    settings.BROADSHEET.clear()
    settings.BROADSHEET.update(saved)
