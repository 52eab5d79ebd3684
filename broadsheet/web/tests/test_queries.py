"""No page's query count grows with its rows: 30 tagged articles with related links cost what 3 do."""

from __future__ import annotations

import re

import pytest

from broadsheet.web.tests.factories import make_world

pytestmark = pytest.mark.django_db


def pages(world) -> dict[str, str]:
    return {
        "home": "/",
        "article": f"/articles/{world.articles[1].pk}/",
        "tag": f"/tags/{world.tags[0].slug}/",
        "source": f"/sources/{world.sources[0].pk}/",
        "story": f"/stories/{world.stories[0].pk}/",
        "search": "/search/?q=ferry",
        "wrapup": "/wrapup/",
        "feed_health": "/health/feeds/",
    }


# Queries per page, whatever the number of rows (measured; an N+1 adds one per row).
BUDGET = {
    "home": 3,  # stories, latest articles, their hashtags
    "article": 6,  # article (+source, enrichment, story), hashtags, copies, related; comments: one count when none
    "tag": 3,  # tag, articles, their hashtags
    "source": 3,
    "story": 3,  # story, timeline (perspectives are cached per story version)
    "search": 5,  # sources for the filter, the engine's ids, the result cards and their hashtags
    "wrapup": 1,
    "feed_health": 1,
}


@pytest.mark.parametrize("name", list(BUDGET))
def test_page_queries_do_not_grow_with_rows(client, django_assert_max_num_queries, settings, name):
    # Rendered every time: a stored page would cost no queries and prove nothing.
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_PAGE_CACHE_SECONDS": 0}
    world = make_world(articles=30, sources=5)
    url = pages(world)[name]
    client.get(url)  # warm caches that are meant to be warm (perspectives)
    with django_assert_max_num_queries(BUDGET[name]):
        response = client.get(url)
    assert response.status_code == 200
    if name == "search":
        results = re.findall(
            r'<h3(?: lang="[a-z-]+")?><a href="/articles/', response.content.decode()
        )
        assert len(results) == 30  # a full page of results
