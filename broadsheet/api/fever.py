"""The Fever API (api_version 3), as FreshRSS and Miniflux serve it: one endpoint, actions as parameters.

Feeds are the sources a reader follows, groups are their folders (feed categories), item ids are
article ids. Our key points come first in each item's html and hashtags close it (Fever items
have no categories).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from broadsheet.accounts.models import User
from broadsheet.api.errors import (
    body_too_large,
    error_response,
    has_nul,
    nul_response,
    too_large_response,
)
from broadsheet.api.readerauth import fever_user, reader_rate_limit
from broadsheet.api.readerdata import (
    group_id,
    groups_of,
    item_html,
    item_time,
    reader_queryset,
    subscribed_sources,
    subscription_articles,
)
from broadsheet.articles.models import Article
from broadsheet.core.ratelimit import RateLimited
from broadsheet.reading import selectors as reading_selectors
from broadsheet.reading import services as reading_services

PAGE = 50
IDS_MAX = 50_000  # newest unread ids listed; older ones stay unread but unlisted


class FeverError(ValueError):
    """FeverError says a parameter cannot be read (a 400)."""


def _int(raw: str, name: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise FeverError(f"{name} must be a non-negative integer")
    return int(raw)


def _ids(raw: str, name: str, most: int) -> list[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > most:
        raise FeverError(f"at most {most} ids in {name}")
    return [_int(p, name) for p in parts]


def _csv(ids: list[int]) -> str:
    return ",".join(str(i) for i in ids)


@csrf_exempt
def endpoint(request: HttpRequest) -> HttpResponse:
    """endpoint answers every Fever call: auth from api_key (POST, or the query string), actions from the query."""
    if body_too_large(request):
        return too_large_response()
    if request.method not in ("GET", "POST"):
        return error_response(405, "use POST", headers={"Allow": "GET, POST"})
    if has_nul(request):
        return nul_response()
    params = request.GET.copy()
    if request.method == "POST":
        params.update(request.POST)
    body: dict[str, Any] = {"api_version": 3, "auth": 0}
    user = fever_user(api_key=params.get("api_key", ""))
    if user is None:
        return _json(body)
    try:
        reader_rate_limit(user=user)
        body["auth"] = 1
        body["last_refreshed_on_time"] = int(timezone.now().timestamp())
        if "mark" in params:
            _mark(user, params)
        body.update(_reads(user, params, request.build_absolute_uri))
    except FeverError as exc:
        return error_response(400, str(exc))
    except RateLimited as exc:
        return error_response(
            429,
            "too many requests",
            details={"retry_after": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )
    return _json(body)


def _reads(user: User, params: Any, absolute: Callable[[str], str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "groups" in params or "feeds" in params:
        sources = list(subscribed_sources(user=user))
        groups = groups_of(sources)
        feeds_groups = [
            {"group_id": group_id(name), "feed_ids": _csv(ids)}
            for name, ids in sorted(groups.items())
        ]
        if "groups" in params:
            out["groups"] = [{"id": group_id(name), "title": name} for name in sorted(groups)]
        if "feeds" in params:
            out["feeds"] = [
                {
                    "id": s.pk,
                    "favicon_id": 0,
                    "title": s.name,
                    "url": absolute(f"/feeds/source/{s.pk}.rss"),
                    "site_url": s.homepage,
                    "is_spark": 0,
                    "last_updated_on_time": int(s.created_at.timestamp()),
                }
                for s in sources
            ]
        out["feeds_groups"] = feeds_groups
    if "favicons" in params:
        out["favicons"] = []
    if "links" in params:
        out["links"] = []
    if "items" in params:
        out.update(_items(user, params))
    if "unread_item_ids" in params:
        unread = reading_selectors.unread_in(user=user, articles=subscription_articles(user=user))
        out["unread_item_ids"] = _csv(
            list(unread.order_by("-id").values_list("id", flat=True)[:IDS_MAX])
        )
    if "saved_item_ids" in params:
        out["saved_item_ids"] = _csv(reading_selectors.starred_ids(user=user, limit=IDS_MAX))
    return out


def _items(user: User, params: Any) -> dict[str, Any]:
    base = subscription_articles(user=user)
    if params.get("with_ids"):
        ids = _ids(params["with_ids"], "with_ids", PAGE)
        qs = Article.objects.filter(id__in=ids).order_by("id")
    elif params.get("max_id"):
        qs = base.filter(id__lt=_int(params["max_id"], "max_id")).order_by("-id")
    elif params.get("since_id"):
        qs = base.filter(id__gt=_int(params["since_id"], "since_id")).order_by("id")
    else:
        qs = base.order_by("id")
    if params.get("feed_ids"):
        qs = qs.filter(source_id__in=_ids(params["feed_ids"], "feed_ids", 1000))
    articles = list(reader_queryset(qs)[:PAGE])
    states = reading_selectors.states_for(user=user, article_ids=[a.pk for a in articles])
    items = []
    for article in articles:
        read, saved = states.get(article.pk, (False, False))
        items.append(
            {
                "id": article.pk,
                "feed_id": article.source_id or 0,
                "title": article.title,
                "author": article.byline,
                "html": item_html(article, with_hashtags=True),
                "url": article.url,
                "is_saved": int(saved),
                "is_read": int(read),
                "created_on_time": int(item_time(article).timestamp()),
            }
        )
    return {"items": items, "total_items": base.count()}


def _mark(user: User, params: Any) -> None:
    what, state = params.get("mark", ""), params.get("as", "")
    target = _int(params.get("id", ""), "id")
    if what == "item":
        flags = {
            "read": {"read": True},
            "unread": {"read": False},
            "saved": {"starred": True},
            "unsaved": {"starred": False},
        }.get(state)
        if flags is None:
            raise FeverError("as must be read, unread, saved or unsaved")
        if Article.objects.filter(pk=target).exists():
            reading_services.articles_mark(user=user, article_ids=[target], **flags)
        return
    if what not in ("feed", "group") or state != "read":
        raise FeverError("mark must be item, feed or group (feeds and groups: as=read)")
    articles = subscription_articles(user=user)
    if what == "feed":
        articles = articles.filter(source_id=target)
    elif target != 0:  # group 0 is Fever's "Kindling": everything
        groups = {
            group_id(name): ids
            for name, ids in groups_of(list(subscribed_sources(user=user))).items()
        }
        articles = articles.filter(source_id__in=groups.get(target, []))
    before = params.get("before", "")
    if before:
        seconds = _int(before, "before")
        try:
            articles = articles.filter(fetched_at__lt=datetime.fromtimestamp(seconds, tz=UTC))
        except (OverflowError, ValueError, OSError):
            raise FeverError("before out of range") from None
    reading_services.articles_mark_all_read(user=user, articles=articles)


def _json(body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
