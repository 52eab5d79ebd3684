"""The only HTTP code: guarded, bounded fetches of feeds, pages and robots.txt.

`base` holds the request, result, error and limits; `transport` the SSRF-guarded client; `body`
the decoded-size cap; `robots` the robots.txt cache; `request` one fetch from slot to result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .base import FetchError, FetchRequest, FetchResult, Limits
from .request import Session, fetch_one
from .transport import new_client

__all__ = ["FetchError", "FetchRequest", "FetchResult", "fetch", "fetch_many"]

T = TypeVar("T")


def fetch(
    url: str, *, etag: str = "", last_modified: str = "", robots: bool = False, accept: str = "*/*"
) -> FetchResult:
    """fetch GETs one URL under every guard and returns its result (never raises FetchError)."""
    request = FetchRequest(
        url, etag=etag, last_modified=last_modified, robots=robots, accept=accept
    )
    return fetch_many([request])[0]


def fetch_many(requests: Sequence[FetchRequest]) -> list[FetchResult]:
    """fetch_many runs requests concurrently (global and per-host limits) and returns results in order."""
    if not requests:
        return []
    return _run(_fetch_all(list(requests), Limits.from_settings()))


async def _fetch_all(requests: list[FetchRequest], limits: Limits) -> list[FetchResult]:
    async with new_client(limits) as client:
        session = Session(limits, client)
        return list(await asyncio.gather(*(fetch_one(session, r) for r in requests)))


def _run(work: Coroutine[Any, Any, T]) -> T:
    # asyncio.run cannot nest: called from inside a running loop (an async view), use a thread.
    if _loop_running():
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, work).result()
    return asyncio.run(work)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
