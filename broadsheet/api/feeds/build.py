"""What each feed we serve holds: its title, links and items, independent of the format written."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from broadsheet.accounts.models import User
from broadsheet.api.selectors import key_points_of, tags_of, with_panels
from broadsheet.articles.models import Article
from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest.models import Source

KINDS = ("tag", "source", "story", "wrapup", "foryou")
FORMATS = ("rss", "atom", "json")


class FeedNotFound(Exception):
    """FeedNotFound says no feed answers to that kind and key."""


@dataclass
class FeedItem:
    id: str
    title: str
    link: str
    content_html: str
    summary: str
    published: datetime
    updated: datetime
    author: str = ""
    categories: list[str] = field(default_factory=list)


@dataclass
class FeedDoc:
    title: str
    link: str
    description: str
    items: list[FeedItem]
    updated: datetime
    private: bool = False  # a reader's own feed: never cached by shared caches


Absolute = Callable[[str], str]


def site_url(absolute: Absolute, name: str, *args: Any) -> str:
    """site_url is the absolute URL of one of the site's pages, or of the home page if it has none."""
    try:
        return absolute(reverse(name, args=args))
    except NoReverseMatch:
        return absolute("/")


def key_points_html(points: list[str]) -> str:
    """key_points_html renders key points as an escaped list to put before an item's content."""
    if not points:
        return ""
    rows = "".join(f"<li>{html.escape(p)}</li>" for p in points)
    return f'<p><strong>Key points</strong></p><ul class="key-points">{rows}</ul>'


def hashtags_html(names: list[str]) -> str:
    """hashtags_html renders hashtags as one escaped line (for formats without categories)."""
    return f"<p>{' '.join('#' + html.escape(n) for n in names)}</p>" if names else ""


def article_item(article: Article, absolute: Absolute) -> FeedItem:
    """article_item turns an article into a feed item: key points first, then the article's body."""
    tags = [t.name for t in tags_of(article)]
    body = article.body_html or (
        f"<p>{html.escape(article.summary)}</p>" if article.summary else ""
    )
    when = article.published_at or article.fetched_at
    return FeedItem(
        id=site_url(absolute, "web:article", article.pk),
        title=article.title,
        link=article.url,
        content_html=key_points_html(key_points_of(article)) + body,
        summary=" ".join(key_points_of(article)) or article.summary[:500],
        published=when,
        updated=max(when, article.updated_at or when),
        author=article.byline or (article.source.name if article.source else ""),
        categories=tags,
    )


def _limit() -> int:
    return int(settings.BROADSHEET["BROADSHEET_FEED_ITEMS"])


def _articles(qs: QuerySet[Article], absolute: Absolute) -> list[FeedItem]:
    rows = with_panels(qs, full=True).defer("text", "enrichment__vector", "enrichment__keyphrases")
    return [
        article_item(a, absolute)
        for a in rows.order_by(F("published_at").desc(nulls_last=True), "-id")[: _limit()]
    ]


def _doc(title: str, link: str, description: str, items: list[FeedItem], **kw: Any) -> FeedDoc:
    updated = max((i.updated for i in items), default=timezone.now())
    return FeedDoc(
        title=title, link=link, description=description, items=items, updated=updated, **kw
    )


def _int(key: str) -> int:
    if not key.isdigit() or len(key) > 18:
        raise FeedNotFound(key)
    return int(key)


def feed_build(*, kind: str, key: str, absolute: Absolute) -> FeedDoc:
    """feed_build gathers one feed's contents, or raises FeedNotFound."""
    if kind == "tag":
        tag = Tag.objects.filter(slug=key).first()
        if tag is None:
            raise FeedNotFound(key)
        items = _articles(Article.objects.filter(article_tags__tag=tag), absolute)
        return _doc(
            f"#{tag.name} — Broadsheet",
            site_url(absolute, "web:tag", tag.slug),
            f"Articles tagged #{tag.name}",
            items,
        )
    if kind == "source":
        source = Source.objects.filter(pk=_int(key)).first()
        if source is None:
            raise FeedNotFound(key)
        items = _articles(Article.objects.filter(source=source), absolute)
        return _doc(
            f"{source.name} — Broadsheet",
            site_url(absolute, "web:source", source.pk),
            f"Articles from {source.name} ({source.host})",
            items,
        )
    if kind == "story":
        story = Story.objects.filter(pk=_int(key)).first()
        if story is None:
            raise FeedNotFound(key)
        items = _articles(Article.objects.filter(enrichment__story=story), absolute)
        title = story.title or f"Story {story.pk}"
        return _doc(
            f"{title} — Broadsheet",
            site_url(absolute, "web:story", story.pk),
            f"Every outlet's coverage of: {title}",
            items,
        )
    if kind == "wrapup":
        return _wrapup(key, absolute)
    if kind == "foryou":
        from broadsheet.api.feeds.keys import foryou_user

        user = foryou_user(key=key)
        if user is None:
            raise FeedNotFound(key)
        return _foryou(user, absolute)
    raise FeedNotFound(kind)


def _foryou(user: User, absolute: Absolute) -> FeedDoc:
    from broadsheet.community.selectors import for_you_articles

    ids = list(for_you_articles(user=user).values_list("id", flat=True)[: _limit()])
    items = _articles(Article.objects.filter(id__in=ids), absolute)
    return _doc(
        f"For you ({user.get_username()}) — Broadsheet",
        absolute("/"),
        "The hashtags, sources and stories you follow",
        items,
        private=True,
    )


def _wrapup(key: str, absolute: Absolute) -> FeedDoc:
    from broadsheet.enrich.selectors import wrapup

    if key in ("latest", "today"):
        day = timezone.localdate()
    else:
        try:
            day = date.fromisoformat(key)
        except ValueError:
            raise FeedNotFound(key) from None
    items = []
    for story in wrapup(day=day, limit=20):
        sentences = [
            s[0] for s in story.summary if isinstance(s, list) and s and isinstance(s[0], str)
        ]
        lead = story.lead_article
        link = site_url(absolute, "web:story", story.pk)
        when = story.last_published_at or story.updated_at
        items.append(
            FeedItem(
                id=link,
                title=story.title or (lead.title if lead else f"Story {story.pk}"),
                link=link,
                content_html=key_points_html(sentences)
                + f"<p>{story.article_count} articles from {story.source_count} sources.</p>",
                summary=" ".join(sentences)[:1000],
                published=story.first_published_at or when,
                updated=when,
                author=lead.source.name if lead and lead.source else "",
            )
        )
    return _doc(
        f"Daily wrap-up {day.isoformat()} — Broadsheet",
        site_url(absolute, "web:wrapup"),
        f"The day's top stories, {day.isoformat()}",
        items,
    )
