"""Reads behind the site's pages that no lower app offers: lists with what their cards show."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Value
from django.db.models.functions import Coalesce

from broadsheet.articles.models import Article
from broadsheet.enrich.models import ArticleTag, Enrichment, Story, Tag
from broadsheet.ingest.models import Source

TOP_STORY_HOURS = 48
BIG_TAG = 2000  # articles; above it a tag page walks the date index instead of sorting


CARD_TAGS = 3  # hashtags a list card shows


def _tags_prefetch(limit: int | None = None) -> Prefetch:
    # A sliced prefetch is one query with ROW_NUMBER() per article: a card reads 3 of ~6 tags.
    tags = ArticleTag.objects.select_related("tag").order_by("rank")
    return Prefetch("article_tags", queryset=tags[:limit] if limit else tags, to_attr="ranked_tags")


# What no card shows and every row would drag in: the body (kilobytes each) and the vector.
CARD_DEFERRED = (
    "text", "body_html", "enrichment__vector", "enrichment__keyphrases", "enrichment__error",
)  # fmt: skip


def article_cards(queryset: QuerySet[Article], *, with_text: bool = False) -> QuerySet[Article]:
    """article_cards adds what a list card shows (source, enrichment, hashtags) in three queries;
    with_text keeps the text (search highlights it)."""
    deferred = [f for f in CARD_DEFERRED if not (with_text and f == "text")]
    return (
        queryset.select_related("source", "enrichment")
        .defer(*deferred)
        .prefetch_related(_tags_prefetch(CARD_TAGS))
    )


def article_get(*, pk: int) -> Article:
    """article_get returns one article with its source, enrichment, story and hashtags (or raises DoesNotExist)."""
    return (
        Article.objects.select_related("source", "enrichment", "enrichment__story")
        .defer("enrichment__vector", "enrichment__keyphrases")
        .prefetch_related(_tags_prefetch())
        .get(pk=pk)
    )


def article_copies(*, article: Article) -> list[Article]:
    """article_copies returns the other members of an article's wire-copy group, oldest first."""
    enrichment = getattr(article, "enrichment", None)
    original_id = getattr(enrichment, "duplicate_of_id", None) or article.pk
    # Two indexed lookups: an OR across the join would make SQLite scan every article.
    copies = Enrichment.objects.filter(duplicate_of_id=original_id).values_list(
        "article_id", flat=True
    )
    ids = {original_id, *copies[:50]} - {article.pk}
    if not ids:
        return []
    return list(
        Article.objects.filter(pk__in=ids).select_related("source").order_by("published_at", "id")
    )


def articles_latest(*, offset: int = 0, limit: int = 30) -> list[Article]:
    """articles_latest returns a page of the newest articles (one more than limit, to tell a next page)."""
    qs = Article.objects.order_by("-published_at", "-id")
    return list(article_cards(qs)[offset : offset + limit + 1])


def articles_for_tag(*, tag: Tag, offset: int = 0, limit: int = 30) -> list[Article]:
    """articles_for_tag returns a page of a hashtag's articles, newest first (limit + 1 rows).

    A big tag's newest articles are found by walking the date index and probing each article's
    tags (a few hundred probes); a small tag's by its own rows, sorted. The join alone makes
    SQLite sort every article of a big tag (measured in docs/BENCHMARKS.md).
    """
    if tag.article_count >= BIG_TAG:
        tagged = ArticleTag.objects.filter(article_id=OuterRef("pk"), tag_id=tag.pk)
        qs = Article.objects.filter(Exists(tagged))
    else:
        qs = Article.objects.filter(article_tags__tag=tag)
    qs = qs.order_by("-published_at", "-id")
    return list(article_cards(qs)[offset : offset + limit + 1])


def articles_for_source(*, source: Source, offset: int = 0, limit: int = 30) -> list[Article]:
    """articles_for_source returns a page of a source's articles, newest first (limit + 1 rows)."""
    qs = Article.objects.filter(source=source).order_by("-published_at", "-id")
    return list(article_cards(qs)[offset : offset + limit + 1])


def stories_top(*, now: datetime, limit: int = 6) -> list[Story]:
    """stories_top returns the stories of the last two days with the widest coverage, then the newest."""
    # Coalesce keeps SQLite off the merged_into index (nearly every story matches IS NULL) and on
    # the last_published_at range: two days of stories, sorted.
    return list(
        Story.objects.alias(merged=Coalesce("merged_into_id", Value(0)))
        .filter(
            merged=0,
            last_published_at__gte=now - timedelta(hours=TOP_STORY_HOURS),
            article_count__gt=0,
        )
        .select_related("lead_article__source")
        .defer("lead_article__text", "lead_article__body_html")
        .order_by("-source_count", "-last_published_at", "-id")[:limit]
    )


def story_get(*, pk: int) -> Story:
    """story_get returns a live story (raises DoesNotExist), following merges to the survivor."""
    story = Story.objects.get(pk=pk)
    for _ in range(10):  # merge chains are short; the bound keeps a cycle from looping forever
        if story.merged_into_id is None:
            break
        story = Story.objects.get(pk=story.merged_into_id)
    return story
