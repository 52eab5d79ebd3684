"""The only HTTP code: guarded, bounded fetches of feeds, pages and robots.txt.

`base` holds the request, result, error and limits; `transport` the SSRF-guarded client; `body`
the decoded-size cap; `robots` the robots.txt cache; `request` one fetch from slot to result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from .base import FetchError, FetchRequest, FetchResult, Limits
from .request import Session, fetch_one
from .transport import new_client

__all__ = ["FetchError", "FetchRequest", "FetchResult", "fetch", "fetch_iter", "fetch_many"]

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


def fetch_iter(requests: Sequence[FetchRequest]) -> Iterator[FetchResult]:
    """fetch_iter yields results in request order while the later requests are still in flight.

    The fetches run on an event loop in a background thread, so a caller that extracts each page
    as it arrives keeps its core busy instead of waiting for the slowest page of the batch
    (bench/ingest.py: the worker's idle time between a batch's fetch and its extraction).
    Leaving the loop early waits for the remaining fetches, which their deadlines bound.
    """
    pending = list(requests)
    if not pending:
        return
    futures: list[Future[FetchResult]] = [Future() for _ in pending]
    thread = threading.Thread(
        target=_fetch_into, args=(pending, futures), name="fetch_iter", daemon=True
    )
    thread.start()
    try:
        for future in futures:
            yield future.result()
    finally:
        thread.join()


def _fetch_into(requests: list[FetchRequest], futures: list[Future[FetchResult]]) -> None:
    async def one(session: Session, index: int, request: FetchRequest) -> None:
        futures[index].set_result(await fetch_one(session, request))

    async def run() -> None:
        limits = Limits.from_settings()
        async with new_client(limits) as client:
            session = Session(limits, client)
            await asyncio.gather(*(one(session, i, r) for i, r in enumerate(requests)))

    error: BaseException | None = None
    try:
        asyncio.run(run())
    except BaseException as exc:  # noqa: BLE001 - handed to the caller through the futures
        error = exc
    for future in futures:
        # fetch_one never raises for a fetch's own failure; this is the loop itself failing.
        if not future.done():
            future.set_exception(error or RuntimeError("fetch ended without a result"))


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
