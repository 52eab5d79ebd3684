"""robots.txt, fetched once per origin and kept a while, so article fetches honour publishers' rules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
from protego import Protego

from .base import FetchResult

MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB too; the rest is ignored, not an error
TTL = 3600.0
_MAX_ORIGINS = 10_000  # a worker polling many hosts must not grow this forever

# origin -> (expires at, rules); None rules means "everything allowed" (missing or broken file).
_cache: dict[str, tuple[float, Protego | None]] = {}

FetchText = Callable[[str], Awaitable[FetchResult]]


def clear_cache() -> None:
    """clear_cache forgets every robots.txt seen by this process."""
    _cache.clear()


def agent_token(user_agent: str) -> str:
    """agent_token is the product name robots.txt groups match ("Broadsheet" of "Broadsheet/0.1 (...)")."""
    return user_agent.split("/", 1)[0].split(" ", 1)[0] or "*"


class RobotsCheck:
    """RobotsCheck answers whether a URL may be fetched, filling the process-wide cache as it goes."""

    def __init__(self, fetch_text: FetchText, user_agent: str) -> None:
        self._fetch_text = fetch_text
        self._agent = agent_token(user_agent)
        # One lookup per origin at a time, so a batch of pages from one site fetches robots.txt once.
        self._locks: dict[str, asyncio.Lock] = {}

    async def allows(self, url: httpx.URL) -> bool:
        """allows says whether robots.txt of url's origin lets us fetch url."""
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        async with self._locks.setdefault(origin, asyncio.Lock()):
            rules = await self._rules(origin)
        return rules is None or rules.can_fetch(str(url), self._agent)

    async def _rules(self, origin: str) -> Protego | None:
        now = time.monotonic()
        cached = _cache.get(origin)
        if cached is not None and cached[0] > now:
            return cached[1]
        result = await self._fetch_text(f"{origin}/robots.txt")
        rules = None
        if result.ok and result.status == 200:
            rules = Protego.parse(result.content.decode("utf-8", errors="replace"))
        if len(_cache) >= _MAX_ORIGINS:
            _cache.clear()
        _cache[origin] = (now + TTL, rules)
        return rules
