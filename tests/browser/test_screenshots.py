"""Screenshots of every page for docs/screenshots/ — only when asked (scripts/screenshots.py).

Set BROADSHEET_SCREENSHOTS to a folder to run it: every page at desktop (1280 wide) and mobile
(390 wide) in light, home and article in dark too, each named PAGE-WIDTH-SCHEME.png and clipped
to at most 2,500 px of page height. Not part of `make test`, so binary files change only on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import TabFactory
from tests.browser.test_accessibility import PAGES, page_path
from tests.browser.world import World

OUT = os.environ.get("BROADSHEET_SCREENSHOTS", "")
MAX_HEIGHT = 2500
DARK_TOO = {"home", "article"}

pytestmark = pytest.mark.skipif(
    not OUT, reason="screenshots only when BROADSHEET_SCREENSHOTS is set"
)


def shots() -> list[tuple[str, bool, bool]]:
    out = []
    for name in PAGES:
        for mobile in (False, True):
            for dark in (False, True) if name in DARK_TOO else (False,):
                out.append((name, mobile, dark))
    return out


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshot(tabs: TabFactory, world: World, name: str) -> None:
    path = page_path(name, world)
    folder = Path(OUT)
    folder.mkdir(parents=True, exist_ok=True)
    for shot_name, mobile, dark in shots():
        if shot_name != name:
            continue
        tab = tabs(mobile=mobile, dark=dark)
        page = tab.goto(path)
        page.evaluate("() => document.fonts.ready")
        # Lazy images load once scrolled to; settle them before the picture.
        page.evaluate("() => { for (const img of document.images) img.loading = 'eager'; }")
        page.wait_for_load_state("networkidle")
        width = page.viewport_size["width"] if page.viewport_size else 1280
        height = min(page.evaluate("() => document.documentElement.scrollHeight"), MAX_HEIGHT)
        file = (
            folder / f"{name}-{'mobile' if mobile else 'desktop'}-{'dark' if dark else 'light'}.png"
        )
        page.screenshot(
            path=str(file),
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
            animations="disabled",
            caret="hide",
        )
        tab.context.close()
