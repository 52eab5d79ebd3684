"""Fixtures for the site's tests."""

from __future__ import annotations

import pytest

from broadsheet.web.tests.factories import World, make_world


@pytest.fixture
def world(db) -> World:
    """world is a front page of data: 30 tagged articles from 5 sources in 6 stories, related links."""
    return make_world()
