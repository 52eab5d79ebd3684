"""/api/v1/articles: lists, detail, Ask, read state and comments."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router

from broadsheet.api.errors import ApiError
from broadsheet.api.rest.base import (
    MAX_ID,
    anon_key,
    aware,
    caller,
    rate_limit,
    require_user,
    responses,
)
from broadsheet.api.rest.schemas import (
    ArticleDetail,
    ArticlePage,
    AskIn,
    AskOut,
    StateIn,
    StateOut,
    article_out,
    article_ref,
)
from broadsheet.api.selectors import articles_page, enrichment_of, with_panels
from broadsheet.articles.models import Article
from broadsheet.enrich.models import Enrichment
from broadsheet.reading import selectors as reading_selectors
from broadsheet.reading import services as reading_services

router = Router(tags=["articles"])

PAGE_MAX = 100
COPIES_MAX = 50
ASK_COST = 10


def cards(request: HttpRequest, articles: list[Article]) -> list[dict[str, Any]]:
    """cards shapes a page of articles, with the caller's read state in one query when signed in."""
    user = caller(request).user
    if user is None:
        return [article_out(a) for a in articles]
    states = reading_selectors.states_for(user=user, article_ids=[a.pk for a in articles])
    return [article_out(a, states.get(a.pk, (False, False))) for a in articles]


def article_get(article_id: int, *, full: bool = False) -> Article:
    """article_get returns one article with its panels, or raises a 404 ApiError."""
    article = with_panels(Article.objects.filter(pk=article_id), full=full).first()
    if article is None:
        raise ApiError(404, f"no article {article_id}")
    return article


@router.get("/articles", response=responses(ArticlePage), summary="List articles, newest first")
def article_list(
    request: HttpRequest,
    source: int | None = Query(None, ge=1, le=MAX_ID, description="Source id"),
    tag: str | None = Query(None, min_length=1, max_length=120, description="Hashtag slug"),
    story: int | None = Query(None, ge=1, le=MAX_ID, description="Story id"),
    language: str | None = Query(None, min_length=1, max_length=16),
    since: datetime | None = Query(None, description="Published at or after (ISO 8601)"),
    until: datetime | None = Query(None, description="Published before (ISO 8601)"),
    cursor: str | None = Query(
        None, max_length=300, description="next_cursor of the previous page"
    ),
    limit: int = Query(20, ge=1, le=PAGE_MAX, description="Page size, at most 100"),
) -> HttpResponse:
    def build() -> dict[str, Any]:
        page = articles_page(
            cursor=cursor,
            limit=limit,
            source_id=source,
            tag_slug=tag,
            story_id=story,
            language=language,
            since=aware(since),
            until=aware(until),
        )
        return {"items": cards(request, page.items), "next_cursor": page.next_cursor}

    # The hot path: rendered here rather than re-validated by pydantic (the schema test checks it).
    return shared_json(request, build)


def raw_json(body: dict[str, Any]) -> HttpResponse:
    """raw_json renders a body that already has its schema's shape."""
    return HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )


def shared_json(request: HttpRequest, build: Callable[[], dict[str, Any]]) -> HttpResponse:
    """shared_json answers callers without a reader from a body rendered for anyone recently.

    The body is what any anonymous caller of the same URL gets, kept for
    BROADSHEET_PAGE_CACHE_SECONDS in the page cache's store (the site's pages do the same): a
    stored body costs well under a millisecond, a built one 4-8 ms of ORM work at 1M articles.
    The caller's rate limit has already been counted. A reader's body carries their read state,
    so it is always built.
    """
    lifetime = int(settings.BROADSHEET["BROADSHEET_PAGE_CACHE_SECONDS"])
    if caller(request).user is not None or not lifetime:
        return raw_json(build())
    store = caches["pages"]
    key = (
        "api:"
        + hashlib.sha256(request.get_full_path().encode("utf-8", "surrogatepass")).hexdigest()
    )
    body = store.get(key)
    if body is None:
        body = raw_json(build()).content
        store.set(key, body, lifetime)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@router.get("/articles/{article_id}", response=responses(ArticleDetail), summary="One article")
def article_detail(
    request: HttpRequest, article_id: int = Path(..., ge=1, le=MAX_ID)
) -> HttpResponse:
    return shared_json(request, lambda: _detail(request, article_id))


def _detail(request: HttpRequest, article_id: int) -> dict[str, Any]:
    from broadsheet.enrich.selectors import related_for

    article = article_get(article_id, full=True)
    card = cards(request, [article])[0]
    enrichment = enrichment_of(article)
    story = enrichment.story if enrichment and enrichment.story_id else None
    related = [link.related for link in related_for(article=article)[:10]]
    return {
        **card,
        "byline": article.byline,
        "body_html": article.body_html,
        "story": {"id": story.pk, "title": story.title} if story else None,
        "related": [article_ref(a) for a in related],
        "wire_copies": [article_ref(a) for a in wire_copies(article, enrichment)],
    }


def wire_copies(article: Article, enrichment: Enrichment | None) -> list[Article]:
    """wire_copies returns the other members of an article's syndicated-copy group."""
    canonical_id = (enrichment.duplicate_of_id if enrichment else None) or article.pk
    # Two indexed lookups: an OR across the join would scan every article.
    members = list(
        Enrichment.objects.filter(duplicate_of_id=canonical_id).values_list(
            "article_id", flat=True
        )[: COPIES_MAX + 1]
    )
    ids = [i for i in [canonical_id, *members] if i != article.pk]
    if not ids:
        return []
    return list(
        Article.objects.filter(pk__in=ids)
        .select_related("source")
        .only("id", "title", "url", "published_at", "source__id", "source__name", "source__host")
        .order_by("published_at", "id")[:COPIES_MAX]
    )


@router.post(
    "/articles/{article_id}/ask", response=responses(AskOut), summary="Ask the coverage a question"
)
def article_ask(
    request: HttpRequest, payload: AskIn, article_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    from broadsheet.enrich.selectors import article_ask as ask

    who = caller(request)
    key = f"api:ask:token:{who.token.pk}" if who.token else f"api:ask:{anon_key(request)}"
    rate_limit(request, key=key, limit=60, cost=ASK_COST)
    article = article_get(article_id, full=True)
    answer = ask(article=article, question=payload.question)
    cited = {
        a.pk: a
        for a in Article.objects.filter(pk__in=list(answer.citations.values())).select_related(
            "source"
        )
    }
    citations = [
        {"marker": marker, "article": article_ref(cited[aid])}
        for marker, aid in sorted(answer.citations.items())
        if aid in cited
    ]
    return {"answer": answer.text, "supported": answer.supported, "citations": citations}


@router.get("/articles/{article_id}/state", response=responses(StateOut), summary="Your read state")
def article_state(
    request: HttpRequest, article_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = require_user(request)
    if not Article.objects.filter(pk=article_id).exists():
        raise ApiError(404, f"no article {article_id}")
    read, starred = reading_selectors.states_for(user=user, article_ids=[article_id]).get(
        article_id, (False, False)
    )
    return {"article_id": article_id, "read": read, "starred": starred}


@router.put(
    "/articles/{article_id}/state", response=responses(StateOut), summary="Mark read or starred"
)
def article_state_set(
    request: HttpRequest, payload: StateIn, article_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = require_user(request, write=True)
    if not Article.objects.filter(pk=article_id).exists():
        raise ApiError(404, f"no article {article_id}")
    reading_services.articles_mark(
        user=user, article_ids=[article_id], read=payload.read, starred=payload.starred
    )
    read, starred = reading_selectors.states_for(user=user, article_ids=[article_id]).get(
        article_id, (False, False)
    )
    return {"article_id": article_id, "read": read, "starred": starred}
