"""What the article and search pages put in their templates, built from selectors' rows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.core.urls import reverse_cached
from broadsheet.enrich import selectors as enrich_selectors
from broadsheet.enrich.models import Enrichment
from broadsheet.images.signing import image_url
from broadsheet.web import selectors

MAX_QUERY = 200
SORTS = ("relevance", "new")
SEARCH_LANGUAGES = ("en", "ko", "ja", "zh", "fr", "de", "es")


def article_context(request: HttpRequest, article: Article) -> dict[str, Any]:
    """article_context gathers an article page: enrichment panel, copies, related, and its meta data."""
    enrichment: Enrichment | None = getattr(article, "enrichment", None)
    done = enrichment is not None and enrichment.state == Enrichment.State.DONE
    url = request.build_absolute_uri(reverse_cached("web:article", args=[article.pk]))
    image = image_url(article.lead_image, 1280) if article.lead_image else ""
    return {
        "article": article,
        "enrichment": enrichment,
        "enriched": done,
        "key_points": list(enrichment.key_points) if done and enrichment else [],
        "story": enrichment.story if enrichment and enrichment.story_id else None,
        "tags": [row.tag for row in getattr(article, "ranked_tags", [])],
        "copies": selectors.article_copies(article=article),
        "related": list(
            enrich_selectors.related_for(article=article)
            .select_related("related__enrichment")
            .defer(*(f"related__{field}" for field in selectors.CARD_DEFERRED))[:6]
        ),
        "page_url": url,
        "og_image": request.build_absolute_uri(image) if image else "",
        "jsonld": _news_article(article, url, request.build_absolute_uri(image) if image else ""),
    }


def _news_article(article: Article, url: str, image: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "url": url,
    }
    if article.canonical_url.lower().startswith(("http://", "https://")):
        data["mainEntityOfPage"] = data["isBasedOn"] = article.canonical_url
    if article.published_at:
        data["datePublished"] = article.published_at.isoformat()
    if article.updated_at:
        data["dateModified"] = article.updated_at.isoformat()
    if article.byline:
        data["author"] = [{"@type": "Person", "name": article.byline}]
    if article.source:
        data["publisher"] = {"@type": "Organization", "name": article.source.name}
    if article.language:
        data["inLanguage"] = article.language
    if image:
        data["image"] = [image]
    return data


def parse_day(raw: str, name: str) -> date | None:
    """parse_day reads a YYYY-MM-DD parameter (years 1970-2999), None when empty; else a 400."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be YYYY-MM-DD") from exc
    if not 1970 <= day.year <= 2999:
        raise BadRequest(f"{name} is out of range")
    return day


def search_params(query: QueryDict) -> dict[str, Any]:
    """search_params reads and checks the search form; anything malformed is a 400."""
    q = query.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise BadRequest("query too long")
    source_raw = query.get("source", "")
    if source_raw and not source_raw.isdigit():
        raise BadRequest("source must be a number")
    tag = query.get("tag", "").strip().lstrip("#")
    language = query.get("language", "")
    sort = query.get("sort", "relevance") or "relevance"
    page_raw = query.get("page", "1")
    if len(tag) > 120 or len(language) > 16 or sort not in SORTS:
        raise BadRequest("bad filter")
    if not page_raw.isdigit() or not 1 <= int(page_raw) <= 1000:
        raise BadRequest("page must be a number from 1 to 1000")
    since = parse_day(query.get("since", ""), "since")
    until = parse_day(query.get("until", ""), "until")
    return {
        "q": q,
        "source": int(source_raw) if source_raw else None,
        "tag": tag,
        "language": language,
        "sort": sort,
        "page": int(page_raw),
        "since": since,
        "until": until,
        "since_dt": _start(since),
        "until_dt": _start(until + timedelta(days=1)) if until else None,
        "languages": SEARCH_LANGUAGES,
        "sorts": SORTS,
    }


def _start(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None
