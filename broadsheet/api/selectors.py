"""Reads behind the JSON API, the feeds out and the reader APIs: keyset pages of articles and stories."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Prefetch, Q, QuerySet

from broadsheet.accounts.models import ApiToken
from broadsheet.api.cursor import cursor_decode, cursor_encode, parse_int, parse_when
from broadsheet.api.errors import ApiError
from broadsheet.articles.models import Article
from broadsheet.enrich.models import ArticleTag, Enrichment, Story

M = TypeVar("M", bound=Model)

# What a list shows of an article, its source and its enrichment (not the big columns).
LIST_FIELDS = (
    "id", "title", "url", "published_at", "fetched_at", "updated_at", "language", "summary",
    "lead_image", "word_count", "byline", "source__id", "source__name", "source__host",
    "source__homepage", "enrichment__article", "enrichment__key_points", "enrichment__story",
    "enrichment__duplicate_of",
)  # fmt: skip


@dataclass
class Page(Generic[M]):
    """Page is one page of rows and the cursor of the next one (None on the last page)."""

    items: list[M]
    next_cursor: str | None


def with_panels(
    qs: QuerySet[Article], *, full: bool = False, tags: bool = True
) -> QuerySet[Article]:
    """with_panels adds what an article card shows (source, enrichment, ranked hashtags) in two queries.

    tags=False leaves the hashtags to `tags_attach` on the fetched rows (tuples, no model objects:
    the cheaper path for hot lists).
    """
    qs = qs.select_related("source", "enrichment")
    if tags:
        qs = qs.prefetch_related(
            Prefetch(
                "article_tags",
                queryset=ArticleTag.objects.select_related("tag").order_by("rank"),
                to_attr="ranked_tags",
            )
        )
    return qs if full else qs.only(*LIST_FIELDS)


@dataclass(frozen=True)
class TagRef:
    slug: str
    name: str


def tags_attach(articles: list[Article]) -> list[Article]:
    """tags_attach loads the ranked hashtags of many articles in one query of plain tuples."""
    if not articles:
        return articles
    refs: dict[int, list[TagRef]] = {a.pk: [] for a in articles}
    rows = (
        ArticleTag.objects.filter(article_id__in=list(refs))
        .order_by("article_id", "rank", "id")
        .values_list("article_id", "tag__slug", "tag__name")
    )
    for article_id, slug, name in rows:
        refs[article_id].append(TagRef(slug, name))
    for article in articles:
        article.ranked_tags = refs[article.pk]  # type: ignore[attr-defined]
    return articles


def articles_filtered(
    *,
    source_id: int | None = None,
    tag_slug: str | None = None,
    story_id: int | None = None,
    language: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    base: QuerySet[Article] | None = None,
) -> QuerySet[Article]:
    """articles_filtered narrows articles by source, hashtag, story, language and publication time."""
    qs = base if base is not None else Article.objects.all()
    if source_id is not None:
        qs = qs.filter(source_id=source_id)
    if tag_slug:
        qs = qs.filter(article_tags__tag__slug=tag_slug)
    if story_id is not None:
        qs = qs.filter(enrichment__story_id=story_id)
    if language:
        qs = qs.filter(language=language)
    if since is not None:
        qs = qs.filter(published_at__gte=since)
    if until is not None:
        qs = qs.filter(published_at__lt=until)
    return qs


def keyset_page(
    qs: QuerySet[M], *, kind: str, field: str, cursor: str | None, limit: int
) -> Page[M]:
    """keyset_page returns the rows after a cursor, newest `field` first (rows without one last, by id).

    Two index-friendly queries at most, whatever the depth: dated rows by (field, id) descending,
    then, once those run out, undated rows by id descending.
    """
    when: datetime | None = None
    last_id: int | None = None
    if cursor:
        raw_when, raw_id = cursor_decode(kind, cursor, arity=2)
        when, last_id = parse_when(raw_when), parse_int(raw_id)
    rows: list[M] = []
    if last_id is None or when is not None:
        dated = qs.filter(**{f"{field}__isnull": False})
        if when is not None:
            dated = dated.filter(
                Q(**{f"{field}__lt": when}) | Q(**{field: when, "id__lt": last_id})
            )
        rows = list(dated.order_by(f"-{field}", "-id")[: limit + 1])
    if len(rows) <= limit:
        undated = qs.filter(**{f"{field}__isnull": True})
        if last_id is not None and when is None:
            undated = undated.filter(id__lt=last_id)
        rows += list(undated.order_by("-id")[: limit + 1 - len(rows)])
    more = len(rows) > limit
    rows = rows[:limit]
    last: Any = rows[-1] if rows else None
    next_cursor = cursor_encode(kind, getattr(last, field), last.pk) if more and last else None
    return Page(items=rows, next_cursor=next_cursor)


def articles_page(*, cursor: str | None, limit: int, **filters: Any) -> Page[Article]:
    """articles_page returns one page of articles, newest first, with their panels."""
    qs = with_panels(articles_filtered(**filters), tags=False)
    page = keyset_page(qs, kind="articles", field="published_at", cursor=cursor, limit=limit)
    tags_attach(page.items)
    return page


def stories_page(*, cursor: str | None, limit: int) -> Page[Story]:
    """stories_page returns one page of live stories, most recently updated first."""
    qs = (
        Story.objects.filter(merged_into__isnull=True, article_count__gt=0)
        .select_related("lead_article__source")
        .defer("lead_article__body_html", "lead_article__text")
    )
    return keyset_page(qs, kind="stories", field="last_published_at", cursor=cursor, limit=limit)


def id_page(qs: QuerySet[M], *, kind: str, cursor: str | None, limit: int, order: str) -> Page[M]:
    """id_page pages any list by a unique text or number column (`order`, then id) with a cursor."""
    if cursor:
        value, last_id = cursor_decode(kind, cursor, arity=2)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ApiError(400, "cursor is not valid", code="invalid_cursor")
        qs = qs.filter(
            Q(**{f"{order}__gt": value}) | Q(**{order: value, "id__gt": parse_int(last_id)})
        )
    rows = list(qs.order_by(order, "id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last: Any = rows[-1] if rows else None
    return Page(
        items=rows,
        next_cursor=cursor_encode(kind, getattr(last, order), last.pk) if more and last else None,
    )


def api_token_lookup(*, raw: str) -> ApiToken | None:
    """api_token_lookup returns the live token (with its user) a bearer string stands for, else None."""
    if not raw or len(raw) > 200:
        return None
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    token = ApiToken.objects.select_related("user").filter(digest=digest).first()
    if token is None or not token.user.is_active:
        return None
    return token


def tags_of(article: Article) -> list[Any]:
    """tags_of returns an article's ranked hashtags (each with .slug and .name), loaded once."""
    ranked = getattr(article, "ranked_tags", None)
    if ranked is None:
        tags_attach([article])
        ranked = article.ranked_tags  # type: ignore[attr-defined]
    return [link.tag if isinstance(link, ArticleTag) else link for link in ranked]


def enrichment_of(article: Article) -> Enrichment | None:
    """enrichment_of returns an article's enrichment row, or None before it is enriched."""
    try:
        return article.enrichment
    except ObjectDoesNotExist:
        return None


def key_points_of(article: Article) -> list[str]:
    """key_points_of returns an article's key points, or none when it is not enriched yet."""
    enrichment = enrichment_of(article)
    points = enrichment.key_points if enrichment is not None else []
    return [p for p in points if isinstance(p, str)] if isinstance(points, list) else []
