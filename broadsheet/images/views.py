"""/img/?url=…&w=…&q=…&s=…: a signed source image, resized and re-encoded for the browser."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_safe

from .cache import cache_key, cache_open
from .errors import ImageError
from .formats import Output, negotiate
from .services import image_render
from .signing import ALLOWED_WIDTHS, MAX_URL_LENGTH, QUALITIES, fetchable, signature_valid

_NUMBER = re.compile(r"[1-9][0-9]{0,4}")  # canonical: one spelling per rendition
CACHE_FOREVER = "public, max-age=31536000, immutable"
SANDBOX = "default-src 'none'; sandbox"


@require_safe
def resize(request: HttpRequest) -> HttpResponseBase:
    """resize serves the signed rendition asked for, from the cache when it is there."""
    try:
        url, width, quality = _checked(request)
        output = negotiate(request.headers.get("Accept", ""))
        key = cache_key(url, width, quality, output)
        etag = f'"{key[:32]}"'
        if etag in request.headers.get("If-None-Match", ""):
            return _image(HttpResponse(status=304), output, etag)
        cached = cache_open(key, output)
        if cached is not None:
            return _image(FileResponse(cached), output, etag)
        data = image_render(url=url, width=width, quality=quality, output=output, key=key)
        return _image(HttpResponse(data), output, etag)
    except ImageError as exc:
        return _refusal(exc)


def _one(request: HttpRequest, name: str) -> str:
    values = request.GET.getlist(name)
    if len(values) != 1:
        raise ImageError(400, f"exactly one {name} parameter is required")
    return values[0]


def _checked(request: HttpRequest) -> tuple[str, int, int]:
    url, w, q, s = (_one(request, name) for name in ("url", "w", "q", "s"))
    if not _NUMBER.fullmatch(w) or int(w) not in ALLOWED_WIDTHS:
        raise ImageError(400, "w must be one of " + ", ".join(map(str, ALLOWED_WIDTHS)))
    if not _NUMBER.fullmatch(q) or int(q) not in QUALITIES:
        raise ImageError(400, "q must be one of " + ", ".join(map(str, QUALITIES)))
    if len(url) > MAX_URL_LENGTH or not fetchable(url):
        raise ImageError(400, "url must be an absolute http(s) URL")
    if not signature_valid(url, int(w), int(q), s):
        raise ImageError(403, "bad signature")
    return url, int(w), int(q)


def _image(response: HttpResponseBase, output: Output, etag: str) -> HttpResponseBase:
    # Our own type, never the upstream's: the bytes are ours, freshly encoded.
    response["Content-Type"] = output.content_type
    response["Vary"] = "Accept"
    # Only Accept: broadsheet.web.middleware.ExactVaryMiddleware drops the Accept-Language and
    # Cookie that LocaleMiddleware and SessionMiddleware add to every response.
    response.vary_exact = "Accept"  # type: ignore[attr-defined]
    response["Cache-Control"] = CACHE_FOREVER
    response["ETag"] = etag
    return _guarded(response)


def _guarded(response: HttpResponseBase) -> HttpResponseBase:
    response["Content-Security-Policy"] = SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    if "Content-Disposition" in response:
        del response["Content-Disposition"]
    return response


def _refusal(exc: ImageError) -> HttpResponseBase:
    response = HttpResponse(
        exc.message + "\n", status=exc.status, content_type="text/plain; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return _guarded(response)
