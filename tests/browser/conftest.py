"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

One browser for the whole package (launched on first use, closed after the last browser test, so
Playwright's event loop never leaks into other tests); a fresh context per tab. Chromium can reach
nothing but loopback: every other host name fails to resolve, and any other address goes to a dead
proxy. Missing tools skip these tests with a reason, they never fail them.

Each tab records console errors, uncaught page errors, CSP violations (securitypolicyviolation
events), dialogs, and requests that left the live server's origin; `tab.assert_clean()` checks them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from broadsheet.core.testing import FixtureServer
from tests.browser.world import World, png, world_build

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Nothing but loopback: names other than localhost do not resolve, addresses go to a dead proxy.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9",
    "--font-render-hinting=none",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
MOBILE: ViewportSize = {"width": 390, "height": 844}

# Records what happens in a page: CSP violations arrive through a binding, as they happen.
WATCH_JS = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__bsReport && window.__bsReport('csp', e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def chromium_path() -> str | None:
    """chromium_path finds a Chromium binary: $BROADSHEET_CHROMIUM if set, else Debian's or PATH's."""
    chosen = os.environ.get("BROADSHEET_CHROMIUM")
    candidates = [chosen] if chosen is not None else ["/usr/bin/chromium"]
    if chosen is None:
        names = ("chromium", "chromium-browser", "google-chrome")
        candidates += [shutil.which(n) or "" for n in names]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def missing_tool() -> str | None:
    """missing_tool says why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if chromium_path() is None:
        return "no Chromium found (apt-get install chromium, or set BROADSHEET_CHROMIUM)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_tool()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """browser is one headless Chromium for every browser test."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which Django's ORM guard mistakes
    # for async code; the flag is on only while that loop exists.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    pw = sync_playwright().start()
    try:
        launched = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    finally:
        pw.stop()
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="package")
def images() -> Iterator[FixtureServer]:
    """images is a loopback publisher serving lead images, on the fetch allowlist for the resizer."""
    with FixtureServer() as server:
        server.add("/lead.png", png(), content_type="image/png")
        allow = settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"]
        settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"] = [*allow, server.netloc]
        try:
            yield server
        finally:
            settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"] = allow


@pytest.fixture
def site(live_server: Any, chromium: Browser) -> str:
    """site is the live server's base URL (no trailing slash), the database empty."""
    return str(live_server.url).rstrip("/")


@pytest.fixture
def world(site: str, images: FixtureServer) -> World:
    """world is the newsroom of tests/browser/world.py, stored in the live server's database."""
    return world_build(image_base=images.url("").rstrip("/"))


@dataclass
class Tab:
    """Tab is one page in its own context, with what went wrong in it recorded."""

    page: Page
    context: BrowserContext
    site: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    statuses: list[tuple[int, str]] = field(default_factory=list)

    def goto(self, path: str, *, status: int = 200) -> Page:
        """goto opens a path of the site and checks the answer's status."""
        response = self.page.goto(self.site + path, wait_until="load")
        assert response is not None, path
        assert response.status == status, f"{path}: HTTP {response.status}"
        return self.page

    def problems(self) -> list[str]:
        """problems lists everything that should not have happened in this tab."""
        return (
            [f"console: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"CSP: {m}" for m in self.csp]
            + [f"dialog: {m}" for m in self.dialogs]
            + [f"left the site: {m}" for m in self.foreign]
            + [f"failed: {m}" for m in self.failed]
            + [f"HTTP {s}: {u}" for s, u in self.statuses if s >= 400]
        )

    def assert_clean(self) -> None:
        """assert_clean fails with every recorded problem: no console errors, no CSP violations."""
        self.page.evaluate("() => new Promise((r) => setTimeout(r, 50))")  # late CSP reports
        assert self.problems() == []


TabFactory = Callable[..., Tab]


@pytest.fixture
def tabs(chromium: Browser, site: str) -> Iterator[TabFactory]:
    """tabs opens Tabs: tabs(dark=True, mobile=True, js=False, locale="ko-KR", axe=True)."""
    opened: list[BrowserContext] = []

    def open_tab(
        *,
        dark: bool = False,
        mobile: bool = False,
        js: bool = True,
        locale: str = "en-US",
        axe: bool = False,
    ) -> Tab:
        context = chromium.new_context(
            viewport=MOBILE if mobile else DESKTOP,
            is_mobile=mobile,
            has_touch=mobile,
            color_scheme="dark" if dark else "light",
            reduced_motion="reduce",
            java_script_enabled=js,
            locale=locale,
            timezone_id="UTC",
        )
        opened.append(context)
        # Generous: a loaded 2-core machine can take seconds for a first page (and its images).
        context.set_default_timeout(30_000)
        page = context.new_page()
        tab = Tab(page=page, context=context, site=site)
        watch(tab)
        if axe:
            axe_load(context)
        return tab

    yield open_tab
    for context in opened:
        context.close()


def watch(tab: Tab) -> None:
    """watch records console errors, page errors, CSP violations, dialogs and off-site requests."""
    origin = urlsplit(tab.site).netloc

    def report(_source: Any, kind: str, message: str) -> None:
        if kind == "csp":
            tab.csp.append(message)

    tab.context.expose_binding("__bsReport", report)
    tab.context.add_init_script(WATCH_JS)
    page = tab.page
    page.on(
        "console",
        lambda m: (
            tab.console_errors.append(f"{m.text} ({m.location.get('url', '')})")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: tab.page_errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def on_request(request: Any) -> None:
        netloc = urlsplit(request.url).netloc
        if request.url.startswith(("http:", "https:")) and netloc != origin:
            tab.foreign.append(request.url)

    page.on("request", on_request)
    page.on("requestfailed", lambda r: tab.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: tab.statuses.append((r.status, r.url)))


def text(locator: Any) -> str:
    """text is an element's text as written in the page (not as CSS transforms it), spaces collapsed."""
    return " ".join((locator.text_content() or "").split())


def axe_load(context: BrowserContext) -> None:
    """axe_load puts axe-core into every page of the context as an init script, which the page's
    CSP does not govern (an injected <script> tag would be blocked by script-src 'self')."""
    if not AXE_JS.exists():
        pytest.skip(f"axe-core missing at {AXE_JS} (npm ci)")
    context.add_init_script(path=str(AXE_JS))


AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n').slice(0, 2).join(' ')),
  }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe_violations runs axe-core on the page and returns its violations."""
    return list(page.evaluate(AXE_RUN))
