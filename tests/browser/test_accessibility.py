"""axe-core on every page, light and dark, desktop and mobile: no serious or critical violation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import NoReverseMatch, reverse

from tests.browser.conftest import TabFactory, axe_violations
from tests.browser.world import World

PAGES: dict[str, Callable[[World], str]] = {
    "home": lambda w: "/",
    "article": lambda w: f"/articles/{w.article.pk}/",
    "article-ko": lambda w: f"/articles/{w.korean.pk}/",
    "tag": lambda w: f"/tags/{w.tag.slug}/",
    "source": lambda w: f"/sources/{w.article.source_id}/",
    "story": lambda w: f"/stories/{w.story.pk}/",
    "search": lambda w: "/search/?q=missile",
    "wrapup": lambda w: "/wrapup/",
    "feed-health": lambda w: "/health/feeds/",
    "sign-in": lambda w: reverse("accounts:login"),
    "sign-up": lambda w: reverse("accounts:signup"),
}
VARIANTS = [
    {"dark": False, "mobile": False},
    {"dark": True, "mobile": False},
    {"dark": False, "mobile": True},
    {"dark": True, "mobile": True},
]
BLOCKING = {"serious", "critical"}


def page_path(name: str, world: World) -> str:
    try:
        return PAGES[name](world)
    except NoReverseMatch:
        pytest.skip(f"{name}: that part of the site is not installed")


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(tabs: TabFactory, world: World, name: str) -> None:
    path = page_path(name, world)
    blocking = []
    for variant in VARIANTS:
        label = f"{name} {'dark' if variant['dark'] else 'light'} {'mobile' if variant['mobile'] else 'desktop'}"
        tab = tabs(axe=True, **variant)
        tab.goto(path)
        for v in axe_violations(tab.page):
            line = f"{label}: [{v['impact']}] {v['id']} — {v['help']}: {'; '.join(v['nodes'])}"
            print(line)  # the minor and moderate ones are worth reading too (pytest -s)
            if v["impact"] in BLOCKING:
                blocking.append(line)
        tab.context.close()
    assert blocking == []
