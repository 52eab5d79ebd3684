"""Whole pages for signed-out readers, rendered once and served again for a short while.

Most readers are signed out, and what they see depends only on the URL and the language: the
article, home, tag, source, story, search and wrap-up pages cost 12-70 ms of CPU to render
(docs/BENCHMARKS.md), a stored copy well under 1 ms. A view opts in with `@cache_for_anonymous`;
the middleware then keeps its 200 responses for BROADSHEET_PAGE_CACHE_SECONDS.

What keeps a page out of the cache, so that nothing personal is ever shared:
- the request carries a session or messages cookie (a signed-in reader, or one with a notice);
- the response sets a cookie (a CSRF token was rendered: those pages hold a per-visitor secret),
  is not a 200, or says `Cache-Control: private`/`no-store`.
Pages for signed-out readers therefore carry no form that needs a CSRF token: the ask box is a
GET (asking changes nothing) and the language switch is a link.

Staleness is bounded by the lifetime, not invalidated: a new comment shows to signed-out readers
within BROADSHEET_PAGE_CACHE_SECONDS (its author, signed in, sees it at once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.cache import cc_delim_re

ViewFunc = Callable[..., HttpResponse]
ATTRIBUTE = "cache_for_anonymous"
HEADER = "X-Page-Cache"
# Request headers that change what a page view returns besides its URL and language.
_KEYED_HEADERS = ("HTTP_HX_REQUEST", "HTTP_HX_TARGET")


def cache_for_anonymous(view: ViewFunc) -> ViewFunc:
    """cache_for_anonymous lets the page cache keep this view's pages for signed-out readers."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        setattr(response, ATTRIBUTE, True)
        return response

    return wrapped


def _lifetime() -> int:
    return int(settings.BROADSHEET["BROADSHEET_PAGE_CACHE_SECONDS"])


def _anonymous(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _key(request: HttpRequest) -> str:
    parts = [
        request.scheme or "",
        request.get_host(),
        request.get_full_path(),
        getattr(request, "LANGUAGE_CODE", ""),
        *(request.META.get(name, "") for name in _KEYED_HEADERS),
    ]
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"page:{digest}"


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if not getattr(response, ATTRIBUTE, False) or response.status_code != 200:
        return False
    # A rendered CSRF token is a per-visitor secret; CsrfViewMiddleware also sets its cookie then.
    if response.streaming or response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    control = {
        part.split("=", 1)[0].strip().lower()
        for part in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    return not control & {"private", "no-store", "no-cache"}


class AnonymousPageCacheMiddleware:
    """AnonymousPageCacheMiddleware serves opted-in pages to signed-out readers from the page cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lifetime = _lifetime()
        if not lifetime or request.method not in {"GET", "HEAD"} or not _anonymous(request):
            return self.get_response(request)
        store = caches["pages"]
        key = _key(request)
        cached = store.get(key)
        if cached is not None:
            content, headers = cached
            response = HttpResponse(content, status=200)
            for name, value in headers:
                response.headers[name] = value
            response.headers[HEADER] = "hit"
            return response
        response = self.get_response(request)
        if _storable(request, response):
            headers = [(k, v) for k, v in response.headers.items() if k != HEADER]
            store.set(key, (response.content, headers), lifetime)
            response.headers[HEADER] = "miss"
        return response
