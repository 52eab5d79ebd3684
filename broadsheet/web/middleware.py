"""Response headers Django's own middleware does not set."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Features no page of ours uses: a page (or anything injected into one) cannot ask for them.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


class SecurityHeadersMiddleware:
    """SecurityHeadersMiddleware adds Permissions-Policy and Cross-Origin-Resource-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class ExactVaryMiddleware:
    """ExactVaryMiddleware gives a response that set `vary_exact` exactly that Vary header.

    It sits outside LocaleMiddleware and SessionMiddleware, which add Accept-Language and Cookie
    to every response: right for pages, wrong for bytes that differ only by Accept (the image
    resizer), where they would split shared caches by language and cookie for nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        vary = getattr(response, "vary_exact", None)
        if isinstance(vary, str):
            response.headers["Vary"] = vary
        return response
