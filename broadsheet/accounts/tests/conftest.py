"""Accounts tests: a fast hasher (production's Argon2 is asserted in test_security), a clock."""

from __future__ import annotations

import re

import pytest

from broadsheet.accounts import throttle
from broadsheet.core import ratelimit

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ROOT_URLCONF = "broadsheet.accounts.tests.urls"


@pytest.fixture
def clock(monkeypatch):
    """clock pins the time rate limits and sign-in tickets see; move it with clock.now += s."""

    class Clock:
        now = 3600.0 * 500

    c = Clock()
    monkeypatch.setattr(ratelimit, "_now", lambda: c.now)
    monkeypatch.setattr(throttle, "_now", lambda: c.now)
    return c


@pytest.fixture
def make_user(django_user_model):
    def make(username="reader", password=PASSWORD, **extra):
        extra.setdefault("email", f"{username}@example.org")
        return django_user_model.objects.create_user(username=username, password=password, **extra)

    return make


def find(pattern: str, text: object) -> str:
    """find is the first group of pattern in text; the test fails when it is not there."""
    match = re.search(pattern, str(text))
    assert match, f"{pattern!r} not found"
    return match.group(1)


def post_login(client, username, password, ip="198.51.100.1", **extra):
    """post_login signs in through the form from address ip."""
    data = {"username": username, "password": password, **extra}
    return client.post("/accounts/login/", data, REMOTE_ADDR=ip)
