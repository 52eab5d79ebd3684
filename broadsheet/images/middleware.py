"""The resizer's own lane through the middleware stack.

/img/ answers from signed query parameters alone: no session, language, user, CSRF token or page
cache has anything to say about it, and the view sets its own headers (a sandboxing CSP, nosniff,
Vary: Accept). A cached rendition costs about a millisecond of CPU; the session, locale, auth,
message and page-cache layers below this one were as much again. So this middleware, placed just
inside the security ones, hands /img/ straight to the view.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.urls import NoReverseMatch

from broadsheet.core.urls import reverse_cached

from . import views


class ResizerLaneMiddleware:
    """ResizerLaneMiddleware serves the resizer's path without the page middleware below it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            path = reverse_cached("images:resize")
        except NoReverseMatch:  # a URLconf without the resizer (some tests)
            path = None
        if request.path == path:
            return views.resize(request)
        return self.get_response(request)
