import json
import threading

import pytest
from django.core.cache import cache
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from broadsheet.core import ratelimit
from broadsheet.core.ratelimit import (
    RateLimited,
    RateLimitMiddleware,
    client_ip,
    ip_bucket,
    ratelimit_check,
    ratelimit_hit,
    ratelimit_reset,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """clock pins ratelimit's time; tests move it with clock.now = …"""

    class Clock:
        now = 3600.0 * 300  # a multiple of every window used here

    c = Clock()
    monkeypatch.setattr(ratelimit, "_now", lambda: c.now)
    return c


def test_allows_up_to_the_limit_then_says_how_long(clock):
    for _ in range(3):
        assert ratelimit_hit(key="t:a", limit=3, window=60) is None
    wait = ratelimit_hit(key="t:a", limit=3, window=60)
    # Three hits at t=0 weigh fully to the window's end; in the next one they slide out, and one
    # more fits once a third of them has (3 × (1 - 20/60) + 1 = 3): 60 + 20 seconds.
    assert wait == 80
    assert ratelimit_hit(key="t:other", limit=3, window=60) is None


def test_refused_hits_are_not_counted_so_retry_after_is_honest(clock):
    for _ in range(3):
        ratelimit_hit(key="t:b", limit=3, window=60)
    for _ in range(50):
        assert ratelimit_hit(key="t:b", limit=3, window=60) is not None
    wait = ratelimit_check(key="t:b", limit=3, window=60)
    clock.now += wait
    assert ratelimit_hit(key="t:b", limit=3, window=60) is None


def test_sliding_window_has_no_double_burst_at_the_edge(clock):
    clock.now += 59  # late in the first window
    for _ in range(10):
        assert ratelimit_hit(key="t:c", limit=10, window=60) is None
    clock.now += 2  # just into the next window: the previous ten still weigh ~97%
    assert ratelimit_hit(key="t:c", limit=10, window=60) is not None
    clock.now += 30  # half the previous window has slid out
    allowed = sum(ratelimit_hit(key="t:c", limit=10, window=60) is None for _ in range(10))
    assert 4 <= allowed <= 6


def test_retry_after_is_exact_enough(clock):
    clock.now += 30
    for _ in range(4):
        ratelimit_hit(key="t:d", limit=4, window=60)
    wait = ratelimit_hit(key="t:d", limit=4, window=60)
    assert wait is not None
    clock.now += wait - 1
    assert ratelimit_check(key="t:d", limit=4, window=60) is not None
    clock.now += 1
    assert ratelimit_check(key="t:d", limit=4, window=60) is None


def test_check_does_not_count_and_reset_forgets(clock):
    for _ in range(5):
        assert ratelimit_check(key="t:e", limit=1, window=60) is None
    ratelimit_hit(key="t:e", limit=1, window=60)
    assert ratelimit_check(key="t:e", limit=1, window=60) is not None
    ratelimit_reset(key="t:e", window=60)
    assert ratelimit_check(key="t:e", limit=1, window=60) is None


def test_cost_counts_several_hits_and_one_too_big_never_fits(clock):
    assert ratelimit_hit(key="t:f", limit=10, window=60, cost=7) is None
    assert ratelimit_hit(key="t:f", limit=10, window=60, cost=7) is not None
    assert ratelimit_hit(key="t:f", limit=10, window=60, cost=3) is None
    assert ratelimit_hit(key="t:g", limit=10, window=60, cost=11) == 120


def test_hostile_keys_are_hashed_to_a_safe_cache_key(clock):
    key = "login:" + "ü \n\x00" * 500
    assert ratelimit_hit(key=key, limit=1, window=60) is None
    assert ratelimit_hit(key=key, limit=1, window=60) is not None


def test_a_counter_that_expires_between_add_and_incr_is_recreated(clock, monkeypatch):
    real_incr = cache.incr
    calls = {"n": 0}

    def vanishing_incr(key, delta=1, version=None):
        calls["n"] += 1
        if calls["n"] == 1:
            cache.delete(key)  # expired right after add() saw it
        return real_incr(key, delta, version)

    ratelimit_hit(key="t:h", limit=5, window=60)
    monkeypatch.setattr(cache, "incr", vanishing_incr)
    assert ratelimit_hit(key="t:h", limit=5, window=60) is None
    assert ratelimit.ratelimit_count(key="t:h", window=60) == 1


@pytest.mark.django_db(transaction=True)
def test_database_cache_incr_is_atomic_across_threads(clock):
    """Threads stand in for processes: each has its own connection to the shared cache table."""
    errors = []

    def worker():
        try:
            for _ in range(25):
                ratelimit_hit(key="t:race", limit=10_000, window=600)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ratelimit.ratelimit_count(key="t:race", window=600) == 100
    cache.clear()


def _request(remote="203.0.113.7", xff=None, path="/"):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get(path, **meta)


@pytest.mark.parametrize(
    ("trusted", "remote", "xff", "expected"),
    [
        # No trusted proxy: the header is the client's to forge and is ignored.
        ([], "203.0.113.7", "1.2.3.4", "203.0.113.7"),
        # The peer is a trusted proxy: the hop it saw is the client.
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.9", "198.51.100.9"),
        # The client prepended a forged hop: only the hop our proxy appended counts.
        (["10.0.0.2"], "10.0.0.2", "6.6.6.6, 198.51.100.9", "198.51.100.9"),
        # Two trusted proxies in a row.
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 198.51.100.9, 10.0.0.3", "198.51.100.9"),
        # A peer that is not trusted cannot speak for anyone.
        (["10.0.0.0/8"], "203.0.113.7", "198.51.100.9", "203.0.113.7"),
        # Garbage in the header stops the walk at the last address we believe.
        (["10.0.0.0/8"], "10.0.0.2", "not-an-ip", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "[2001:db8::1]:443", "2001:db8::1"),
        ([], "::ffff:192.0.2.1", None, "192.0.2.1"),
        ([], "", None, "0.0.0.0"),
    ],
)
def test_client_ip(settings, trusted, remote, xff, expected):
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_TRUSTED_PROXIES": trusted}
    assert client_ip(_request(remote, xff)) == expected


def test_ip_bucket_groups_an_ipv6_subscriber():
    assert ip_bucket("2001:db8:1:2:aaaa::1") == ip_bucket("2001:db8:1:2:bbbb::9")
    assert ip_bucket("2001:db8:1:3::1") != ip_bucket("2001:db8:1:2::1")
    assert ip_bucket("192.0.2.1") == "192.0.2.1"


def test_middleware_answers_json_under_api():
    mw = RateLimitMiddleware(lambda r: HttpResponse())
    response = mw.process_exception(_request(path="/api/v1/articles"), RateLimited(42))
    assert response is not None and response.status_code == 429
    assert response["Retry-After"] == "42"
    assert json.loads(response.content)["error"]["code"] == "rate_limited"


@override_settings(ROOT_URLCONF="broadsheet.core.tests.ratelimit_urls")
def test_middleware_answers_html_for_pages(client):
    response = client.get("/limited")
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response["Content-Type"].startswith("text/html")
    assert b"7 seconds" in response.content


def test_middleware_leaves_other_errors_alone():
    mw = RateLimitMiddleware(lambda r: HttpResponse())
    assert mw.process_exception(_request(), ValueError("x")) is None


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_redis_backend_counts_and_expires(clock):
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "broadsheet-test",
        }
    }
    with override_settings(CACHES=redis_cache):
        cache.clear()
        try:
            for _ in range(3):
                assert ratelimit_hit(key="t:redis", limit=3, window=60) is None
            assert ratelimit_hit(key="t:redis", limit=3, window=60) == 80
            assert ratelimit.ratelimit_count(key="t:redis", window=60) == 3
            # Every counter carries a TTL, so nothing outlives its windows.
            client = cache._cache.get_client(write=False)  # type: ignore[attr-defined]
            keys = client.keys("broadsheet-test:*")
            assert keys and all(0 < client.ttl(k) <= 125 for k in keys)
        finally:
            cache.clear()
