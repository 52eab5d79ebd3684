"""Making one rendition: allowed host → guarded fetch → sniff → header caps → resize → cache."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

from django.conf import settings

from .cache import cache_put, refusal_get, refusal_put
from .errors import ImageError
from .formats import Output, sniff
from .selectors import image_host_allowed
from .upstream import fetch_image

logger = logging.getLogger(__name__)
QUEUE_WAIT = 2.0  # seconds a request waits for a free resize slot before 503
_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    size = int(settings.BROADSHEET["BROADSHEET_IMAGE_CONCURRENCY"])
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


@contextmanager
def resize_slot() -> Iterator[None]:
    """resize_slot holds one of the process's resize slots, or raises a 503 ImageError when none frees up."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=QUEUE_WAIT):
        raise ImageError(503, "busy, try again", retry_after=1)
    try:
        yield
    finally:
        semaphore.release()


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


# How long a refusal is remembered, by status: a bad file stays bad, a missing one may appear.
REFUSAL_TTL = {413: 86400.0, 415: 86400.0, 404: 60.0}


def image_render(*, url: str, width: int, quality: int, output: Output, key: str) -> bytes:
    """image_render fetches url, resizes it to width as output, caches it under key and returns the bytes."""
    remembered = refusal_get(key, ttl=REFUSAL_TTL)
    if remembered is not None:
        raise ImageError(*remembered)
    if not image_host_allowed(host=_host(url)):
        raise ImageError(403, "source not allowed")
    try:
        data = _render(url=url, width=width, quality=quality, output=output)
    except ImageError as exc:
        if exc.status in REFUSAL_TTL:
            with suppress(OSError):
                refusal_put(key, exc.status, exc.message)
        raise
    try:
        cache_put(key, output, data)
    except OSError:  # a full or read-only disk costs a re-render next time, not this image
        logger.exception("could not cache a resized image")
    return data


def _render(*, url: str, width: int, quality: int, output: Output) -> bytes:
    conf = settings.BROADSHEET
    result = fetch_image(url)
    redirected = _host(result.final_url) != _host(url)
    if redirected and not image_host_allowed(host=_host(result.final_url)):
        raise ImageError(403, "source not allowed")
    kind = sniff(result.content)
    if kind is None:
        raise ImageError(415, "unsupported image")
    # pyvips loads only here, so cached hits and the rest of the site never pay for it.
    from . import transform

    # Only decoding and encoding hold a slot: the fetch layer has its own limits, and a slow
    # publisher must not keep others' images from being resized.
    with resize_slot():
        transform.header_check(
            result.content,
            kind,
            max_pixels=int(conf["BROADSHEET_IMAGE_MAX_PIXELS"]),
            max_frames=int(conf["BROADSHEET_IMAGE_MAX_FRAMES"]),
        )
        return transform.render(result.content, width=width, quality=quality, output=output)
