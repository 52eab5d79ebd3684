"""Fixtures for the site's tests."""

from __future__ import annotations

import os

import pytest

from broadsheet.web.tests.factories import World, make_world


@pytest.fixture(autouse=True)
def _dev_urls(settings):  # TEMPORARY while other apps' urls are mid-edit; removed before hand-off
    if os.environ.get("SITE_DEV_URLS"):
        settings.ROOT_URLCONF = "broadsheet.web.tests._devurls"


@pytest.fixture
def world(db) -> World:
    """world is a front page of data: 30 tagged articles from 5 sources in 6 stories, related links."""
    return make_world()
