"""Where a form may send the reader next: only to a path on this site."""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """safe_next is the request's next= when it is a path on this site, else default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Encoded slashes too: some proxies and browsers decode them before reading the authority.
    decoded = unquote(target)
    if (
        target.startswith("/")
        and not decoded.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(target, allowed_hosts=set(), require_https=False)
        and url_has_allowed_host_and_scheme(decoded, allowed_hosts=set(), require_https=False)
    ):
        return target
    return default
