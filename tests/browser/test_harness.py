"""The harness itself: it notices what the other browser tests count on it to notice."""

from __future__ import annotations

from tests.browser.conftest import TabFactory

PROBE = """<!doctype html><html lang="en"><title>probe</title>
<script>window.ranInline = true</script>
<img src="https://elsewhere.example/pixel.png" alt="">
<script src="/static/missing-on-purpose.js"></script>"""


def test_tabs_record_csp_violations_console_errors_and_requests_off_the_site(
    tabs: TabFactory,
) -> None:
    tab = tabs()
    tab.context.route(
        f"{tab.site}/probe/",
        lambda route: route.fulfill(
            body=PROBE,
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'; img-src *"},
        ),
    )
    page = tab.goto("/probe/")
    page.wait_for_timeout(100)
    assert page.evaluate("() => window.ranInline") is None
    assert any("script-src" in v for v in tab.csp), tab.csp
    assert any("missing-on-purpose.js" in e for e in tab.console_errors), tab.console_errors
    assert tab.foreign == ["https://elsewhere.example/pixel.png"]
    # Chromium cannot reach anything but loopback.
    assert any("elsewhere.example" in f for f in tab.failed), tab.failed
    assert tab.problems() != []
