"""Reads of enrichment results: an article's panel, a story's coverage, perspectives, the daily wrap-up."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.enrich.ask import Answer, answer
from broadsheet.enrich.models import RelatedArticle, Story
from broadsheet.enrich.perspectives import Perspective, perspectives

ASK_SOURCES = 8
TEXT_CHARS = 60_000
PERSPECTIVE_PER_SOURCE = 3
PERSPECTIVE_ARTICLES = 60


def story_articles(*, story: Story) -> QuerySet[Article]:
    """story_articles returns a story's articles in time order (its timeline), with their sources.

    The bodies and vectors stay in the database: a timeline shows titles and what changed, and a
    big story has thousands of articles.
    """
    return (
        Article.objects.filter(enrichment__story=story)
        .select_related("source", "enrichment")
        .defer(
            "text",
            "body_html",
            "enrichment__vector",
            "enrichment__keyphrases",
            "enrichment__key_points",
        )
        .order_by("published_at", "id")
    )


def story_perspectives(*, story: Story) -> list[Perspective]:
    """story_perspectives returns each source's angle on a story (empty for a single-source story).

    Each source is represented by its latest PERSPECTIVE_PER_SOURCE articles, at most
    PERSPECTIVE_ARTICLES in all: a source's angle shows in a few articles, and a story of
    thousands must not be read whole on a page view.
    """
    picked: list[int] = []
    per_source: dict[int | None, int] = {}
    for pk, source_id in (
        Article.objects.filter(enrichment__story=story)
        .order_by("-published_at", "-id")
        .values_list("id", "source_id")
    ):
        if per_source.get(source_id, 0) < PERSPECTIVE_PER_SOURCE:
            per_source[source_id] = per_source.get(source_id, 0) + 1
            picked.append(pk)
            if len(picked) >= PERSPECTIVE_ARTICLES:
                break
    rows = [
        (a.id, a.source.name if a.source else a.url, a.title, a.text[:TEXT_CHARS])
        for a in Article.objects.filter(id__in=picked)
        .select_related("source")
        .order_by("published_at", "id")
    ]
    return perspectives(rows)


def related_for(*, article: Article) -> QuerySet[RelatedArticle]:
    """related_for returns an article's related coverage, best first, with sources."""
    return (
        RelatedArticle.objects.filter(article=article)
        .select_related("related__source")
        .order_by("rank")
    )


def article_ask(*, article: Article, question: str) -> Answer:
    """article_ask answers a question from an article and the rest of its story, with citations."""
    sources = [(article.id, article.title, article.text[:TEXT_CHARS])]
    story_id = getattr(getattr(article, "enrichment", None), "story_id", None)
    if story_id is not None:
        others = (
            Article.objects.filter(enrichment__story_id=story_id)
            .exclude(pk=article.pk)
            .order_by("-published_at")[: ASK_SOURCES - 1]
        )
        sources += [(a.id, a.title, a.text[:TEXT_CHARS]) for a in others]
    return answer(question[:500], sources=sources)


def wrapup(*, day: date | None = None, limit: int = 10) -> list[Story]:
    """wrapup returns the day's top stories by number of sources, then recency, each with its summary."""
    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = start + timedelta(days=1)
    return list(
        Story.objects.filter(
            merged_into__isnull=True,
            last_published_at__gte=start,
            last_published_at__lt=end,
            article_count__gt=0,
        )
        .select_related("lead_article__source")
        .order_by("-source_count", "-last_published_at")[:limit]
    )
