"""The /api/v1/ API: every router on one NinjaAPI, and its URL patterns with the error shape enforced."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, re_path

from broadsheet.api.errors import error_response, json_errors
from broadsheet.api.rest import articles, catalog, comments, tokens
from broadsheet.api.rest.base import api_create

api = api_create()
api.add_router("", articles.router)
api.add_router("", comments.router)
api.add_router("", catalog.router)
api.add_router("", tokens.router)


def _not_found(request: Any, rest: str = "") -> Any:
    return error_response(404, "no such API endpoint")


def _wrap(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    wrapped: list[URLPattern | URLResolver] = []
    for p in patterns:
        if isinstance(p, URLPattern):
            wrapped.append(URLPattern(p.pattern, json_errors(p.callback), p.default_args, p.name))
        else:
            wrapped.append(p)
    return wrapped


def urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """urls returns the v1 URL patterns (every one answering errors in the one shape) and namespace."""
    patterns, app_name, namespace = api.urls
    return (
        [*_wrap(list(patterns)), re_path(r"^(?P<rest>.*)$", json_errors(_not_found))],
        app_name,
        namespace,
    )
