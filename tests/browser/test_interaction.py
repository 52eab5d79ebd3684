"""The ask box with and without JavaScript, and the site by keyboard alone."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import TabFactory, text
from tests.browser.world import World

QUESTION = "How far did the missile fly?"


def ask_form(page: Any) -> Any:
    return page.locator(f'form[action$="/articles/{page_article_id(page)}/ask/"]')


def page_article_id(page: Any) -> str:
    return page.url.rstrip("/").split("/articles/")[1].split("/")[0]


def test_ask_box_with_javascript_swaps_the_answer_in_place(tabs: TabFactory, world: World) -> None:
    tab = tabs()
    page = tab.goto(f"/articles/{world.article.pk}/")
    url = page.url
    page.evaluate("() => { window.__notReloaded = true; }")
    form = ask_form(page)
    form.get_by_role("textbox").fill(QUESTION)
    with page.expect_response(lambda r: "/ask/?" in r.url and r.request.method == "GET") as done:
        form.get_by_role("button").click()
    response = done.value
    assert response.status == 200
    assert response.request.headers.get("hx-request") == "true"
    answer = page.locator("#answer")
    answer.get_by_role("link").first.wait_for()
    text = answer.inner_text()
    assert "1,000" in text or "1000" in text, text
    # The citation links to a story article; the page did not navigate.
    hrefs = answer.get_by_role("link").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    story_paths = {f"/articles/{a.pk}/" for a in world.story_articles}
    assert set(hrefs) & story_paths, hrefs
    assert page.url == url
    assert page.evaluate("() => window.__notReloaded") is True
    tab.assert_clean()


def test_ask_box_without_javascript_loads_the_whole_page(tabs: TabFactory, world: World) -> None:
    tab = tabs(js=False)
    page = tab.goto(f"/articles/{world.article.pk}/")
    form = ask_form(page)
    form.get_by_role("textbox").fill(QUESTION)
    with page.expect_navigation():
        form.get_by_role("button").click()
    assert f"/articles/{world.article.pk}/ask/?q=" in page.url
    # A full page: the article is still there, with the answer and its citation.
    assert text(page.locator("h1").first) == world.article.title
    answer = page.locator("#answer")
    assert "1,000" in answer.inner_text() or "1000" in answer.inner_text()
    assert answer.get_by_role("link").count() >= 1
    assert tab.problems() == []


def test_ask_box_refuses_an_empty_question_with_a_message(tabs: TabFactory, world: World) -> None:
    tab = tabs(js=False)
    page = tab.goto(f"/articles/{world.article.pk}/")
    form = ask_form(page)
    box = form.get_by_role("textbox")
    box.evaluate("(el) => { el.removeAttribute('required'); el.removeAttribute('minlength'); }")
    box.fill("   ")
    with page.expect_navigation():
        form.get_by_role("button").click()
    assert page.locator("#answer").inner_text().strip() != ""
    assert text(page.locator("h1").first) == world.article.title


FOCUS_STYLE = """(el) => {
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  const r = el.getBoundingClientRect();
  return {outline, shadow, tag: el.tagName, text: (el.innerText || el.value || el.name || '').slice(0, 40),
          visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight};
}"""


def test_keyboard_reaches_skip_link_first_then_the_ask_box_with_visible_focus(
    tabs: TabFactory, world: World
) -> None:
    tab = tabs()
    page = tab.goto(f"/articles/{world.article.pk}/")
    page.keyboard.press("Tab")
    first = page.evaluate_handle("() => document.activeElement")
    assert first.evaluate("(el) => el.getAttribute('href')") == "#main"
    style = first.evaluate(FOCUS_STYLE)
    assert style["visible"], "skip link stays off screen when focused"
    assert style["outline"] or style["shadow"], style
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # Tab on from the top of the content until the ask box; every stop shows where focus is.
    box = ask_form(page).get_by_role("textbox")
    unseen = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("() => document.activeElement")
        style = focused.evaluate(FOCUS_STYLE)
        if not (style["outline"] or style["shadow"]):
            unseen.append(style)
        if box.evaluate("(el) => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the ask box")
    assert unseen == [], f"focus not visible on: {unseen}"
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    page.locator("#answer").get_by_role("link").first.wait_for()
    tab.assert_clean()
