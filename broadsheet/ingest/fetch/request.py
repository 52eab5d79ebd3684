"""One fetch from start to finish: a free slot, the total deadline, each hop re-checked, the status read."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpcore
import httpx

from broadsheet.core import netguard

from . import robots
from .base import FetchError, FetchRequest, FetchResult, Limits
from .body import read_capped

logger = logging.getLogger(__name__)

REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Our transport passes httpcore's exceptions through unmapped, so both libraries' are listed.
TIMEOUTS = (TimeoutError, httpx.TimeoutException, httpcore.TimeoutException)
NETWORK_ERRORS = (
    httpx.HTTPError,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    OSError,
)


class Session:
    """Session is what a batch of fetches shares: limits, one client, and the concurrency slots."""

    def __init__(self, limits: Limits, client: httpx.AsyncClient) -> None:
        self.limits = limits
        self.client = client
        self.robots = robots.RobotsCheck(self._fetch_robots_txt, limits.user_agent)
        self._all = asyncio.Semaphore(limits.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """slot waits for a per-host, then a global, place to fetch from host."""
        # The host's slot first: a fetch queued behind its host must not hold a global slot idle.
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self.limits.per_host))
        async with per_host, self._all:
            yield

    async def _fetch_robots_txt(self, url: str) -> FetchResult:
        # A third of the deadline: a slow robots.txt then counts as "allowed" with time left over.
        return await follow(
            self,
            FetchRequest(url, accept="text/plain"),
            timeout=self.limits.timeout / 3,
            cap=robots.MAX_BYTES,
            truncate=True,
        )


async def fetch_one(session: Session, request: FetchRequest) -> FetchResult:
    """fetch_one fetches request once slots are free and returns its result; it never raises."""
    async with session.slot(_host_of(request.url)):
        started = time.monotonic()  # waiting for a slot is not the fetch's time
        try:
            result = await follow(
                session,
                request,
                timeout=session.limits.timeout,
                cap=session.limits.max_bytes,
                check_robots=request.robots and session.limits.respect_robots,
            )
        except Exception as exc:  # a bug here must not sink the rest of the batch
            logger.exception("fetch of %s failed unexpectedly", request.url)
            error = FetchError("network", f"unexpected error: {exc!r}")
            result = FetchResult(url=request.url, final_url=request.url, error=error)
        result.elapsed = time.monotonic() - started
    return result


async def follow(
    session: Session,
    request: FetchRequest,
    *,
    timeout: float,
    cap: int,
    truncate: bool = False,
    check_robots: bool = False,
) -> FetchResult:
    """follow GETs request.url and its redirects within one deadline, recording how far it got."""
    result = FetchResult(url=request.url, final_url=request.url)
    try:
        async with asyncio.timeout(timeout):
            await _hops(session, request, result, cap, truncate, check_robots)
    except TIMEOUTS:
        result.error = FetchError("timeout", f"timed out after {timeout:g} s")
    except FetchError as exc:
        result.error = exc
        result.retry_after = exc.retry_after
    except NETWORK_ERRORS as exc:
        where = urlsplit(result.final_url).netloc
        result.error = FetchError("network", f"network error talking to {where}: {_describe(exc)}")
    return result


async def _hops(
    session: Session,
    request: FetchRequest,
    result: FetchResult,
    cap: int,
    truncate: bool,
    check_robots: bool,
) -> None:
    # Fills `result` as it goes, so an error part-way still reports the URL and status reached.
    limits = session.limits
    url = _parse(request.url)
    for _ in range(limits.max_redirects + 1):
        result.final_url = str(url)
        _check(url, limits.allow)
        if check_robots and not await session.robots.allows(url):
            raise FetchError("robots", f"robots.txt of {url.host} disallows {url.path}")
        async with session.client.stream("GET", url, headers=_headers(request)) as response:
            result.status = response.status_code
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                url = _parse(location, base=url)
                continue
            await _read(response, request, result, cap, truncate)
            return
    raise FetchError("too_many_redirects", f"more than {limits.max_redirects} redirects")


DRAIN_BYTES = 64 * 1024


async def _read(
    response: httpx.Response, request: FetchRequest, result: FetchResult, cap: int, truncate: bool
) -> None:
    headers = response.headers
    status = response.status_code
    result.headers = dict(headers.items())
    result.content_type = headers.get("content-type", "")
    result.etag = headers.get("etag", "")
    result.last_modified = headers.get("last-modified", "")
    if status == 304 or not 200 <= status < 300:
        # Read what little body there is, so the keep-alive connection goes back to the pool
        # (an unread body makes httpcore close it: one TCP handshake per 304 otherwise).
        await read_capped(response, DRAIN_BYTES, truncate=True)
    if status == 304:
        # A 304 may omit the validators; the ones we sent are still the current ones.
        result.not_modified = True
        result.etag = result.etag or request.etag
        result.last_modified = result.last_modified or request.last_modified
        return
    if not 200 <= status < 300:
        retry = parse_retry_after(headers.get("retry-after", "")) if status in (429, 503) else None
        message = f"HTTP {status} {response.reason_phrase}".rstrip()
        if retry is not None:
            message += f" (retry after {retry:g} s)"
        raise FetchError("http_status", message, status=status, retry_after=retry)
    result.content = await read_capped(response, cap, truncate=truncate)


def parse_retry_after(value: str) -> float | None:
    """parse_retry_after reads Retry-After (seconds or an HTTP date) as seconds from now."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, float(round((when - datetime.now(UTC)).total_seconds())))


def _headers(request: FetchRequest) -> dict[str, str]:
    headers = {"Accept": request.accept}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    return headers


def _parse(url: str, base: httpx.URL | None = None) -> httpx.URL:
    try:
        return base.join(url) if base is not None else httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError("refused", f"refused: {url!r} is not a valid URL ({exc})") from exc


def _check(url: httpx.URL, allow: netguard.Allowlist) -> None:
    # The same parsed host the transport will connect to: two URL parsers could disagree.
    host = url.raw_host.decode("ascii")
    port = url.port or DEFAULT_PORTS.get(url.scheme, 0)
    problem = netguard.check_target(url.scheme, host, port, allow)
    if problem:
        raise FetchError("refused", f"refused: {problem}")


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, httpcore.ConnectError | httpx.ConnectError):
        return f"could not connect ({text or 'connection failed'})"
    return text or type(exc).__name__
