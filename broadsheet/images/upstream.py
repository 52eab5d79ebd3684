"""Fetching source images through the project's one fetch layer, with the resizer's own limits.

The fetch layer is async; a web process keeps one event loop on a background thread and one
guarded client on it, so connections are reused and the client (whose TLS context alone costs
~50 ms to build) is not rebuilt for every image. The client is rebuilt when the limits change.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import os
import threading

from django.conf import settings

from broadsheet.ingest.fetch.base import FetchError, FetchRequest, FetchResult, Limits
from broadsheet.ingest.fetch.request import Session, fetch_one
from broadsheet.ingest.fetch.transport import new_client

from .errors import ImageError

ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1"


def image_limits() -> Limits:
    """image_limits are the fetch limits with the resizer's byte cap and deadline."""
    conf = settings.BROADSHEET
    return dataclasses.replace(
        Limits.from_settings(),
        timeout=float(conf["BROADSHEET_IMAGE_TIMEOUT"]),
        max_bytes=int(conf["BROADSHEET_IMAGE_MAX_BYTES"]),
    )


def fetch_image(url: str) -> FetchResult:
    """fetch_image GETs url under every fetch guard and the image limits, raising ImageError on failure."""
    limits = image_limits()
    result = _background().fetch(limits, FetchRequest(url, accept=ACCEPT))
    if result.error is not None:
        kind = result.error.kind
        if kind == "refused":
            raise ImageError(403, "source not allowed")
        if kind == "too_large":
            raise ImageError(413, "image too large")
        raise ImageError(404, "image unavailable")
    if not 200 <= (result.status or 0) < 300:
        raise ImageError(404, "image unavailable")
    return result


class _Background:
    """_Background is an event loop on a daemon thread, holding the current guarded session."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.session: Session | None = None
        thread = threading.Thread(
            target=self.loop.run_forever, name="broadsheet-image-fetch", daemon=True
        )
        thread.start()

    def fetch(self, limits: Limits, request: FetchRequest) -> FetchResult:
        """fetch runs one guarded fetch on the loop and waits for its result."""
        future = asyncio.run_coroutine_threadsafe(self._fetch(limits, request), self.loop)
        # The fetch enforces its own deadline; this backstop only guards against a wedged loop.
        try:
            return future.result(limits.timeout + 5)
        except concurrent.futures.TimeoutError:
            future.cancel()
            error = FetchError("timeout", "the fetch loop did not answer")
            return FetchResult(url=request.url, final_url=request.url, error=error)

    async def _fetch(self, limits: Limits, request: FetchRequest) -> FetchResult:
        if self.session is None or self.session.limits != limits:
            if self.session is not None:
                await self.session.client.aclose()
            self.session = Session(limits, new_client(limits))
        return await fetch_one(self.session, request)


_lock = threading.Lock()
_current: _Background | None = None


def _background() -> _Background:
    global _current
    with _lock:
        # A forked child (gunicorn --preload) must not share its parent's loop thread.
        if _current is None or _current.pid != os.getpid():
            _current = _Background()
        return _current
