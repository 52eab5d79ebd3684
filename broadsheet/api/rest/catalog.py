"""/api/v1/ stories, tags, sources, search and the caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from broadsheet.api.cursor import cursor_decode, cursor_encode, parse_int
from broadsheet.api.errors import ApiError
from broadsheet.api.rest.articles import PAGE_MAX, cards
from broadsheet.api.rest.base import MAX_ID, aware, require_user, responses
from broadsheet.api.rest.schemas import (
    MeOut,
    SearchPage,
    SourceOut,
    SourcePage,
    StoryDetail,
    StoryPage,
    TagOut,
    TagPage,
    article_ref,
    source_out,
    story_out,
    summary_out,
    tag_out,
)
from broadsheet.api.selectors import id_page, stories_page, with_panels
from broadsheet.articles.models import Article
from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest.models import Source

router = Router()

TIMELINE_MAX = 200
SEARCH_DEPTH = 1000  # results reachable by paging a search; deeper pages are refused
SEARCH_PAGE_MAX = 50  # the search engine's own page cap


@router.get("/stories", response=responses(StoryPage), tags=["stories"], summary="List stories")
def story_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=300),
    limit: int = Query(20, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    page = stories_page(cursor=cursor, limit=limit)
    return {"items": [story_out(s) for s in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/stories/{story_id}", response=responses(StoryDetail), tags=["stories"], summary="One story"
)
def story_detail(
    request: HttpRequest, story_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    story = Story.objects.select_related("lead_article__source").filter(pk=story_id).first()
    if story is None:
        raise ApiError(404, f"no story {story_id}")
    hops = 0
    while story.merged_into_id is not None and hops < 10:  # follow merges to the live story
        story = Story.objects.select_related("lead_article__source").get(pk=story.merged_into_id)
        hops += 1
    timeline = (
        Article.objects.filter(enrichment__story=story)
        .select_related("source")
        .only("id", "title", "url", "published_at", "source__id", "source__name", "source__host")
        .order_by("published_at", "id")[:TIMELINE_MAX]
    )
    return {
        **story_out(story),
        "summary": summary_out(story.summary),
        "timeline": [article_ref(a) for a in timeline],
    }


@router.get("/tags", response=responses(TagPage), tags=["tags"], summary="List hashtags by slug")
def tag_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=300),
    limit: int = Query(20, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    page = id_page(Tag.objects.all(), kind="tags", cursor=cursor, limit=limit, order="slug")
    return {"items": [tag_out(t) for t in page.items], "next_cursor": page.next_cursor}


@router.get("/tags/{slug}", response=responses(TagOut), tags=["tags"], summary="One hashtag")
def tag_detail(
    request: HttpRequest, slug: str = Path(..., min_length=1, max_length=120)
) -> dict[str, Any]:
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        raise ApiError(404, "no such hashtag")
    return tag_out(tag)


@router.get(
    "/sources", response=responses(SourcePage), tags=["sources"], summary="List sources by host"
)
def source_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=300),
    limit: int = Query(20, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    page = id_page(Source.objects.all(), kind="sources", cursor=cursor, limit=limit, order="host")
    return {"items": [source_out(s) for s in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/sources/{source_id}", response=responses(SourceOut), tags=["sources"], summary="One source"
)
def source_detail(
    request: HttpRequest, source_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        raise ApiError(404, f"no source {source_id}")
    return source_out(source)


@router.get("/search", response=responses(SearchPage), tags=["search"], summary="Full-text search")
def search(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=500),
    source: int | None = Query(None, ge=1, le=MAX_ID),
    tag: str | None = Query(None, min_length=1, max_length=120),
    language: str | None = Query(None, min_length=1, max_length=16),
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
    sort: str = Query(
        "relevance", pattern="^(relevance|new)$", description="relevance, or new (newest first)"
    ),
    cursor: str | None = Query(None, max_length=300),
    limit: int = Query(20, ge=1, le=SEARCH_PAGE_MAX, description="Page size, at most 50"),
) -> dict[str, Any]:
    from broadsheet.search.selectors import search_articles

    offset = 0
    if cursor:
        (raw,) = cursor_decode("search", cursor, arity=1)
        offset = parse_int(raw)
    if offset + limit > SEARCH_DEPTH:
        raise ApiError(
            400, f"search results are reachable to depth {SEARCH_DEPTH}", code="too_deep"
        )
    try:
        found = search_articles(
            query=q,
            source_id=source,
            tag_slug=tag,
            since=aware(since),
            until=aware(until),
            language=language,
            sort=sort,
            limit=limit,
            offset=offset,
            load=with_panels(Article.objects.all()),
        )
    except ValueError as exc:  # the search engine's own refusal of a query
        raise ApiError(400, str(exc), code="bad_query") from None
    articles = found.articles
    more = found.has_next and offset + limit < SEARCH_DEPTH
    return {
        "items": cards(request, articles),
        "next_cursor": cursor_encode("search", offset + limit) if more else None,
        "query_tokens": [str(t) for t in found.query_tokens],
    }


@router.get("/me", response=responses(MeOut), tags=["me"], summary="Who the token belongs to")
def me(request: HttpRequest) -> dict[str, Any]:
    user = require_user(request)
    return {"id": user.pk, "username": user.get_username()}
