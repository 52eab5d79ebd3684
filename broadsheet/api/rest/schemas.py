"""Shapes of the /api/v1/ answers, and the functions that turn rows into them (no queries here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from broadsheet.api.selectors import enrichment_of, key_points_of, tags_of
from broadsheet.articles.models import Article
from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest.models import Source


class ErrorBody(Schema):
    code: str
    message: str
    details: Any = None


class ErrorOut(Schema):
    error: ErrorBody


class SourceRef(Schema):
    id: int
    name: str
    host: str


class SourceOut(SourceRef):
    homepage: str


class TagRef(Schema):
    slug: str
    name: str


class TagOut(TagRef):
    kind: str
    article_count: int


class ArticleRef(Schema):
    id: int
    title: str
    url: str
    source: SourceRef | None
    published_at: datetime | None


class ArticleOut(ArticleRef):
    language: str
    summary: str
    lead_image: str
    word_count: int
    hashtags: list[TagRef]
    key_points: list[str]
    story_id: int | None
    duplicate_of: int | None
    read: bool | None = Field(None, description="Only for a signed-in caller")
    starred: bool | None = Field(None, description="Only for a signed-in caller")


class StoryRef(Schema):
    id: int
    title: str


class ArticleDetail(ArticleOut):
    byline: str
    body_html: str
    story: StoryRef | None
    related: list[ArticleRef]
    wire_copies: list[ArticleRef]


class ArticlePage(Schema):
    items: list[ArticleOut]
    next_cursor: str | None


class SummarySentence(Schema):
    text: str
    citations: list[int]


class StoryOut(Schema):
    id: int
    title: str
    first_published_at: datetime | None
    last_published_at: datetime | None
    article_count: int
    source_count: int
    lead_article: ArticleRef | None


class StoryDetail(StoryOut):
    summary: list[SummarySentence]
    timeline: list[ArticleRef]


class StoryPage(Schema):
    items: list[StoryOut]
    next_cursor: str | None


class TagPage(Schema):
    items: list[TagOut]
    next_cursor: str | None


class SourcePage(Schema):
    items: list[SourceOut]
    next_cursor: str | None


class SearchPage(Schema):
    items: list[ArticleOut]
    next_cursor: str | None
    query_tokens: list[str]


class AskIn(Schema):
    question: str = Field(..., min_length=1, max_length=500)


class Citation(Schema):
    marker: int
    article: ArticleRef


class AskOut(Schema):
    answer: str
    supported: bool
    citations: list[Citation]


class StateIn(Schema):
    read: bool | None = None
    starred: bool | None = None


class StateOut(Schema):
    article_id: int
    read: bool
    starred: bool


class CommentOut(Schema):
    id: int
    parent_id: int | None
    author: str | None
    text: str
    created_at: datetime
    edited_at: datetime | None
    state: str = Field(..., description="approved, or held for moderation (then only you see it)")


class CommentPage(Schema):
    items: list[CommentOut]
    next_cursor: str | None


class CommentIn(Schema):
    text: str = Field(..., min_length=1, max_length=10000)
    parent_id: int | None = Field(None, ge=1, le=2**63 - 1)


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(..., description="Shown once; only its hash is kept")


class MeOut(Schema):
    id: int
    username: str


def source_ref(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {"id": source.pk, "name": source.name, "host": source.host}


def source_out(source: Source) -> dict[str, Any]:
    return {"id": source.pk, "name": source.name, "host": source.host, "homepage": source.homepage}


def tag_out(tag: Tag) -> dict[str, Any]:
    return {
        "slug": tag.slug,
        "name": tag.name,
        "kind": tag.kind,
        "article_count": tag.article_count,
    }


def article_ref(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "url": article.url,
        "source": source_ref(article.source),
        "published_at": article.published_at,
    }


def article_out(article: Article, state: tuple[bool, bool] | None = None) -> dict[str, Any]:
    """article_out shapes an article card; state is (read, starred) for a signed-in caller."""
    enrichment = enrichment_of(article)
    return {
        **article_ref(article),
        "language": article.language,
        "summary": article.summary[:1000],
        "lead_image": article.lead_image,
        "word_count": article.word_count,
        "hashtags": [{"slug": t.slug, "name": t.name} for t in tags_of(article)],
        "key_points": key_points_of(article),
        "story_id": enrichment.story_id if enrichment else None,
        "duplicate_of": enrichment.duplicate_of_id if enrichment else None,
        "read": state[0] if state else None,
        "starred": state[1] if state else None,
    }


def story_out(story: Story) -> dict[str, Any]:
    return {
        "id": story.pk,
        "title": story.title,
        "first_published_at": story.first_published_at,
        "last_published_at": story.last_published_at,
        "article_count": story.article_count,
        "source_count": story.source_count,
        "lead_article": article_ref(story.lead_article) if story.lead_article else None,
    }


def summary_out(raw: Any) -> list[dict[str, Any]]:
    """summary_out reads a story's stored [[sentence, [citations]], ...] defensively."""
    out = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            cites = item[1] if len(item) > 1 and isinstance(item[1], list) else []
            out.append({"text": item[0], "citations": [c for c in cites if isinstance(c, int)]})
    return out
