"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings

from broadsheet.core.testing import FixtureServer


@pytest.fixture(autouse=True)
def _fresh_page_cache() -> Iterator[None]:
    """Each test starts with an empty page cache: a page kept by one test is no other test's page."""
    from django.core.cache import caches

    caches["pages"].clear()
    yield


@pytest.fixture
def publisher() -> Iterator[FixtureServer]:
    """publisher is a loopback fixture server that the SSRF allowlist admits for this test."""
    with FixtureServer() as server:
        allow = settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"]
        settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"] = [*allow, server.netloc]
        try:
            yield server
        finally:
            settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"] = allow
