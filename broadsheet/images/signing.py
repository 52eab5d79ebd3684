"""Signed URLs for the image resizer: our pages sign, /img/ checks.

A signature is HMAC-SHA256 over (width, quality, url) with a key derived from SECRET_KEY for this
purpose alone, cut to 128 bits and written URL-safe. Only URLs our own templates made are
fetched, so the resizer is no open proxy and cannot be pointed at arbitrary sizes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from urllib.parse import quote_plus, urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

# srcset widths; the resizer accepts these and a few more (ALLOWED_WIDTHS).
WIDTHS = (160, 320, 640, 960, 1280)
ALLOWED_WIDTHS = (64, 96, 160, 240, 320, 480, 640, 960, 1280, 1920)
QUALITIES = (40, 60, 75, 90)
DEFAULT_QUALITY = 75
MAX_URL_LENGTH = 2048

_PURPOSE = "broadsheet.images.signing.v1"


@functools.lru_cache(maxsize=4)
def _mac(secret: str) -> hmac.HMAC:
    # What salted_hmac(_PURPOSE, ..., algorithm="sha256") keys with, derived once per secret.
    key = hashlib.sha256((_PURPOSE + secret).encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def signature(url: str, width: int, quality: int) -> str:
    """signature returns the URL-safe HMAC of (width, quality, url)."""
    # width and quality are digits only, so "w:q:url" is unambiguous whatever the URL holds.
    mac = _mac(settings.SECRET_KEY).copy()
    mac.update(f"{width}:{quality}:{url}".encode())
    return base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode("ascii")


def signature_valid(url: str, width: int, quality: int, given: str) -> bool:
    """signature_valid checks given against the expected signature in constant time."""
    return hmac.compare_digest(signature(url, width, quality).encode(), given.encode("utf-8"))


def fetchable(src: str) -> bool:
    """fetchable says whether src is an absolute http(s) URL the resizer could fetch."""
    if not src or len(src) > MAX_URL_LENGTH or any(c in src for c in "\r\n\t\0"):
        return False
    try:
        parts = urlsplit(src)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def allowed_width(width: int) -> int:
    """allowed_width returns the smallest allowed width at least width (the largest past the top)."""
    return next((w for w in ALLOWED_WIDTHS if w >= width), ALLOWED_WIDTHS[-1])


@functools.lru_cache(maxsize=4)
def _endpoint(urlconf: str | None, prefix: str) -> str:
    return reverse("images:resize", urlconf=urlconf)


def _signed(endpoint: str, quoted_src: str, src: str, width: int, quality: int) -> str:
    # urlencode's spelling of {url, w, q, s}: the signature is URL-safe base64, needing no quoting.
    sig = signature(src, width, quality)
    return f"{endpoint}?url={quoted_src}&w={width}&q={quality}&s={sig}"


@functools.lru_cache(maxsize=16_384)
def image_url(src: str, width: int, quality: int | None = None) -> str:
    """image_url returns the resizer URL for src at width, or "" when there is nothing to show.

    Cached: a list page signs ~30 images × 5 widths, and the HMAC and URL building were a fifth of
    its render time. The cache is cleared when SECRET_KEY or the URL configuration changes.
    """
    if not fetchable(src):
        return ""
    w = allowed_width(int(width))
    q = DEFAULT_QUALITY if quality is None else min(QUALITIES, key=lambda v: abs(v - quality))
    return _signed(_endpoint(get_urlconf(), get_script_prefix()), quote_plus(src), src, w, q)


def image_srcset(src: str, widths: tuple[int, ...] = WIDTHS) -> str:
    """image_srcset returns a srcset attribute value covering widths."""
    if not fetchable(src):
        return ""
    # Built here rather than from image_url: a long-tail page misses that cache for every width.
    endpoint, quoted = _endpoint(get_urlconf(), get_script_prefix()), quote_plus(src)
    sizes = dict.fromkeys(allowed_width(w) for w in widths)
    return ", ".join(f"{_signed(endpoint, quoted, src, w, DEFAULT_QUALITY)} {w}w" for w in sizes)


def _forget(*, setting: str, **_: object) -> None:
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "ROOT_URLCONF"):
        image_url.cache_clear()
        _endpoint.cache_clear()


setting_changed.connect(_forget)
