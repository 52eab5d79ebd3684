"""Posting a comment with htmx: the heading's count follows, and a refusal says why in the form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.browser.conftest import TabFactory, text
from tests.browser.world import World


def signed_in_tab(tabs: TabFactory, site: str) -> Any:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="browser_reader", password=None)
    client = Client()
    client.force_login(user)
    tab = tabs()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    tab.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": site}])
    return tab


def count_in_heading(page: Any) -> int:
    match = re.search(r"\((\d+)\)", text(page.locator("#comments-h")))
    assert match, text(page.locator("#comments-h"))
    return int(match.group(1))


def test_htmx_comment_updates_the_count_and_a_refusal_shows_its_reason(
    tabs: TabFactory, world: World, site: str, settings: Any
) -> None:
    pytest.importorskip("broadsheet.community")
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_COMMENT_PER_MINUTE": 1}
    tab = signed_in_tab(tabs, site)
    page = tab.goto(f"/articles/{world.article.pk}/")
    before = count_in_heading(page)
    form = page.locator(f"#comment-form-{world.article.pk}")

    form.get_by_role("textbox").fill("The drills were planned months ago.")
    with page.expect_response(lambda r: r.request.method == "POST"):
        form.get_by_role("button", name="Post comment").click()
    page.locator("#comment-list").get_by_text("The drills were planned months ago.").wait_for()
    page.wait_for_function(
        "n => document.getElementById('comments-h').textContent.includes('(' + n + ')')",
        arg=before + 1,
    )
    assert page.url.endswith(f"/articles/{world.article.pk}/")  # no reload

    # Over the per-minute limit: the server's 429 reason appears in the form, text kept.
    form = page.locator(f"#comment-form-{world.article.pk}")
    form.get_by_role("textbox").fill("And another thought straight after.")
    with page.expect_response(lambda r: r.request.method == "POST"):
        form.get_by_role("button", name="Post comment").click()
    alert = page.locator(f"#comment-form-{world.article.pk} [role=alert]")
    alert.wait_for()
    assert "too fast" in text(alert)
    assert form.get_by_role("textbox").input_value() == "And another thought straight after."
    assert count_in_heading(page) == before + 1
    tab.assert_clean()
