"""Rate limits shared by every process and host, kept in Django's cache.

A limit is `limit` hits per `window` seconds for one key, counted in a sliding window: the count
is this fixed window's hits plus the previous window's, weighted by how much of the previous one
still overlaps the last `window` seconds. That keeps the fixed window's cheap counters (one cache
key per window, created with `cache.add`, bumped with `cache.incr`) without its burst of 2×limit
at a window edge.

The cache must be shared by all processes: the default is the DatabaseCache (table created by
`broadsheet setup` and by the test runner); `BROADSHEET_CACHE_URL=redis://…` switches to Redis.
Hits that are refused are not counted, so `Retry-After` is exact for a client that waits for it.

Views raise `RateLimited` (or call `ratelimit_enforce`); `RateLimitMiddleware` turns it into a 429
with `Retry-After`: JSON `{"error": {"code": "rate_limited", …}}` under /api/, HTML elsewhere.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import math
import pickle
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.timezone import now as tz_now

# Keys live for two windows (the current one and the one that still weighs on it), plus a margin.
_TTL_MARGIN = 5
_INCR_TRIES = 4


class RateLimited(Exception):
    """RateLimited says the caller must wait retry_after seconds before trying again."""

    def __init__(self, retry_after: int, message: str = "") -> None:
        super().__init__(message or f"rate limited; retry after {retry_after} s")
        self.retry_after = max(1, int(retry_after))
        self.message = message


def _now() -> float:
    return time.time()


def _cache_key(key: str, index: int) -> str:
    # Keys hold user input (usernames, e-mail addresses): hash them to a fixed, cache-safe shape.
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"rl:{digest}:{index}"


def _windows(key: str, window: int, now: float) -> tuple[str, str, float]:
    index = int(now // window)
    elapsed = now - index * window
    return _cache_key(key, index), _cache_key(key, index - 1), elapsed


def _weighted(previous: int, current: int, elapsed: float, window: int) -> float:
    return previous * (1 - elapsed / window) + current


def _retry_after(
    *, previous: int, current: int, elapsed: float, window: int, limit: int, cost: int
) -> int:
    """_retry_after is the number of seconds until `cost` more hits fit under the limit."""
    if cost > limit:
        return 2 * window
    room = limit - cost
    if current <= room and previous > 0:
        # Still inside this window: wait for enough of the previous window to slide out.
        wait = window * (1 - (room - current) / previous) - elapsed
        if wait <= window - elapsed:
            return max(1, math.ceil(wait))
    # In the next window this window's hits become the weighted previous ones.
    into_next = window * (1 - room / current) if current > 0 else 0.0
    return max(1, math.ceil(window - elapsed + into_next))


def _incr(name: str, cost: int, ttl: int) -> int:
    for _ in range(_INCR_TRIES):
        # Most hits count into a window that exists: one atomic incr. Only a window's first hit
        # creates it (add); trying add first cost every hit a second write transaction (and, with
        # the database cache, a COUNT(*) of the table), about half of an API request's statements.
        try:
            value = int(cache.incr(name, cost))
        except ValueError:
            if cache.add(name, cost, timeout=ttl):
                return cost
            continue  # another process created it first: count into theirs
        if value == cost:
            # Redis INCR re-creates an expired key without a TTL; give it one back.
            cache.touch(name, timeout=ttl)
        return value
    raise RuntimeError(f"rate limit counter {name} kept vanishing")


def ratelimit_hit(*, key: str, limit: int, window: int, cost: int = 1) -> int | None:
    """ratelimit_hit counts `cost` hits for key; None when allowed, else seconds until allowed."""
    if limit <= 0 or window <= 0:
        raise ValueError("limit and window must be positive")
    now = _now()
    current_key, previous_key, elapsed = _windows(key, window, now)
    ttl = 2 * window + _TTL_MARGIN
    current = _incr(current_key, cost, ttl)
    previous = int(cache.get(previous_key) or 0)
    if _weighted(previous, current, elapsed, window) <= limit:
        return None
    # Refused hits do not count, so a client that waits Retry-After gets in.
    with contextlib.suppress(ValueError):
        cache.decr(current_key, cost)
    return _retry_after(
        previous=previous,
        current=current - cost,
        elapsed=elapsed,
        window=window,
        limit=limit,
        cost=cost,
    )


def ratelimit_check(*, key: str, limit: int, window: int) -> int | None:
    """ratelimit_check says, without counting, whether one more hit for key would be allowed."""
    if limit <= 0 or window <= 0:
        raise ValueError("limit and window must be positive")
    current_key, previous_key, elapsed = _windows(key, window, _now())
    found = cache.get_many([current_key, previous_key])
    current = int(found.get(current_key) or 0)
    previous = int(found.get(previous_key) or 0)
    if _weighted(previous, current + 1, elapsed, window) <= limit:
        return None
    return _retry_after(
        previous=previous, current=current, elapsed=elapsed, window=window, limit=limit, cost=1
    )


def ratelimit_count(*, key: str, window: int) -> float:
    """ratelimit_count is the weighted number of hits counted for key in the last window."""
    current_key, previous_key, elapsed = _windows(key, window, _now())
    found = cache.get_many([current_key, previous_key])
    return _weighted(
        int(found.get(previous_key) or 0), int(found.get(current_key) or 0), elapsed, window
    )


def ratelimit_reset(*, key: str, window: int) -> None:
    """ratelimit_reset forgets every hit counted for key (e.g. after a successful sign-in)."""
    current_key, previous_key, _ = _windows(key, window, _now())
    cache.delete_many([current_key, previous_key])


def ratelimit_enforce(*, key: str, limit: int, window: int, cost: int = 1) -> None:
    """ratelimit_enforce counts a hit for key and raises RateLimited when it is over the limit."""
    wait = ratelimit_hit(key=key, limit=limit, window=window, cost=cost)
    if wait is not None:
        raise RateLimited(wait)


def _parse_ip(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:  # [v6]:port
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:  # v4:port
        raw = raw.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: list[str]) -> bool:
    for entry in proxies:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str:
    """client_ip is the peer's address, or the nearest untrusted X-Forwarded-For hop behind trusted proxies.

    X-Forwarded-For is read right to left and only while the hop that wrote it is listed in
    BROADSHEET_TRUSTED_PROXIES (addresses or networks), so a client cannot pick its own address.
    """
    peer = _parse_ip(str(request.META.get("REMOTE_ADDR", "")))
    if peer is None:
        return "0.0.0.0"
    proxies = list(settings.BROADSHEET.get("BROADSHEET_TRUSTED_PROXIES") or [])
    if not proxies or not _trusted(peer, proxies):
        return str(peer)
    hops = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    current = peer
    for raw in reversed(hops[-32:]):
        hop = _parse_ip(raw)
        if hop is None:
            break
        current = hop
        if not _trusted(hop, proxies):
            break
    return str(current)


def ip_bucket(ip: str) -> str:
    """ip_bucket is the key part for an address: the address for IPv4, its /64 for IPv6.

    One IPv6 subscriber usually holds a whole /64, so limits per single v6 address are void.
    """
    address = _parse_ip(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address) if address is not None else ip


def ratelimited_response(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """ratelimited_response is the 429 for exc: JSON under /api/, an HTML page elsewhere."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "error": {
                    "code": "rate_limited",
                    "message": "Too many requests; try again later.",
                    "retry_after": exc.retry_after,
                }
            },
            status=429,
        )
    else:
        # No request context: context processors (user, messages) would cost queries per flood hit.
        body = render_to_string(
            "core/ratelimited.html", {"retry_after": exc.retry_after, "message": exc.message}
        )
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


class RateLimitMiddleware:
    """RateLimitMiddleware turns a RateLimited raised by a view into a 429 with Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return ratelimited_response(request, exception)
        return None


class AtomicDatabaseCache(DatabaseCache):
    """AtomicDatabaseCache is Django's DatabaseCache with an incr that is atomic across processes.

    Django's DatabaseCache.incr reads and then writes, so two processes can lose a hit between
    them; here the row is read and written in one transaction, locked with SELECT … FOR UPDATE on
    PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises writers).
    """

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)  # type: ignore[attr-defined]
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')} FROM {table} "  # noqa: S608 - names quoted, values bound
                f"WHERE {quote('cache_key')} = %s AND {quote('expires')} > %s{lock}",
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(base64.b64decode(str(row[0]).encode("latin1"))) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",  # noqa: S608
                [encoded, key],
            )
        return value
