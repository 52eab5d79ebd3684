"""GET /feeds/<kind>/<key>.<fmt>: a tag's, source's, story's, the wrap-up's or a reader's feed."""

from __future__ import annotations

import hashlib
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.utils.http import http_date

from broadsheet.api.feeds.build import FeedDoc, FeedNotFound, feed_build
from broadsheet.api.feeds.render import MEDIA_TYPES, RENDERERS
from broadsheet.api.rest.base import anon_key, rate_limit
from broadsheet.core.ratelimit import RateLimited


def _etag(doc: FeedDoc, fmt: str) -> str:
    state = "|".join(f"{i.id}@{i.updated.timestamp()}" for i in doc.items)
    return '"' + hashlib.sha256(f"{fmt}|{doc.title}|{state}".encode()).hexdigest()[:32] + '"'


def _not_modified(request: HttpRequest, etag: str, doc: FeedDoc) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return (
            etag in [m.strip().removeprefix("W/") for m in match.split(",")] or match.strip() == "*"
        )
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return doc.updated.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def feed(request: HttpRequest, kind: str, key: str, fmt: str) -> HttpResponse:
    """feed serves one feed in one format, with ETag and Last-Modified for conditional GET."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        rate_limit(
            request,
            key="feeds:" + anon_key(request),
            limit=settings.BROADSHEET["BROADSHEET_API_RATE_ANON"],
        )
    except RateLimited as exc:
        limited = HttpResponse(
            "too many requests", status=429, content_type="text/plain; charset=utf-8"
        )
        limited["Retry-After"] = str(exc.retry_after)
        return limited
    if "\x00" in key:
        return HttpResponseNotFound("no such feed", content_type="text/plain; charset=utf-8")
    try:
        doc = feed_build(kind=kind, key=key, absolute=request.build_absolute_uri)
    except FeedNotFound:
        return HttpResponseNotFound("no such feed", content_type="text/plain; charset=utf-8")
    etag = _etag(doc, fmt)
    cache = "private, max-age=300" if doc.private else "public, max-age=300"
    if _not_modified(request, etag, doc):
        response = HttpResponse(status=304)
    else:
        body = RENDERERS[fmt](doc, self_url=request.build_absolute_uri())
        response = HttpResponse(body, content_type=MEDIA_TYPES[fmt])
    response["ETag"] = etag
    response["Last-Modified"] = http_date(doc.updated.timestamp())
    response["Cache-Control"] = cache
    if doc.private:
        response["X-Robots-Tag"] = "noindex"
    return response
