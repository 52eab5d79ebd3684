"""A reader's paths through the site in a real browser: article, hashtag, search, story."""

from __future__ import annotations

from datetime import datetime

from tests.browser.conftest import TabFactory, text
from tests.browser.world import World


def article_path(article_id: int) -> str:
    return f"/articles/{article_id}/"


def test_article_page_shows_everything_with_no_console_or_csp_errors(
    tabs: TabFactory, world: World
) -> None:
    tab = tabs()
    response = tab.page.goto(tab.site + article_path(world.article.pk))
    assert response is not None and response.status == 200
    # The policy the page is held to: no inline or foreign script (so violations would show).
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, policy
    page = tab.page
    a = world.article

    assert text(page.locator("h1").first) == a.title
    assert a.source is not None
    main = page.locator("main")
    assert main.get_by_text(a.source.name).count() >= 1
    assert main.get_by_text(a.byline).count() >= 1

    # Relative time, with the machine-readable moment in <time datetime>.
    time = main.locator("time[datetime]").first
    assert "ago" in time.inner_text()
    shown = datetime.fromisoformat(str(time.get_attribute("datetime")))
    assert a.published_at is not None
    assert abs((shown - a.published_at).total_seconds()) < 1

    # The body, the hashtags (links to their pages), the key points and related coverage.
    for paragraph in a.text.split("\n\n"):
        assert main.locator("p").get_by_text(paragraph, exact=True).first.is_visible()
    for tag in world.tags.values():
        link = main.locator(f'a[href="/tags/{tag.slug}/"]')
        if tag.article_tags.filter(article=a).exists():
            assert (link.first.text_content() or "").strip() == f"#{tag.name}"
    for point in a.enrichment.key_points:
        assert main.get_by_text(point).count() >= 1
    related = [r for r in world.story_articles[1:]] + [world.korean]
    for r in related:
        card = main.locator(f'a[href="{article_path(r.pk)}"]', has_text=r.title)
        assert card.count() >= 1, f"related card for {r.title!r} missing"
    # The original is one click away.
    assert main.locator(f'a[href="{a.url}"]').count() >= 1

    # The page's own CSS and JS loaded (CSP script-src 'self' allows them) and nothing else ran.
    assert page.evaluate("() => document.styleSheets.length") >= 1
    assert page.evaluate("() => typeof window.htmx") == "object"
    tab.assert_clean()


def test_hashtag_link_leads_to_a_tag_page_listing_the_article(
    tabs: TabFactory, world: World
) -> None:
    tab = tabs()
    page = tab.goto(article_path(world.article.pk))
    page.locator("main").locator('a[href="/tags/north-korea/"]').first.click()
    page.wait_for_url("**/tags/north-korea/")
    assert "NorthKorea" in text(page.locator("h1"))
    listed = page.locator("main").locator(
        f'a[href="{article_path(world.article.pk)}"]', has_text=world.article.title
    )
    assert listed.count() >= 1
    # Every article with the tag is listed, the Korean one included; an untagged one is not.
    for a in [*world.story_articles, world.korean]:
        assert page.locator(f'main a[href="{article_path(a.pk)}"]').count() >= 1
    assert page.locator(f'main a[href="{article_path(world.others[0].pk)}"]').count() == 0
    tab.assert_clean()


def test_source_page_lists_its_articles(tabs: TabFactory, world: World) -> None:
    source = world.sources["Harbor Wire"]
    tab = tabs()
    page = tab.goto(f"/sources/{source.pk}/")
    assert source.name in text(page.locator("h1"))
    assert page.locator(f'main a[href="{article_path(world.story_articles[1].pk)}"]').count() >= 1
    assert page.locator(f'main a[href="{article_path(world.article.pk)}"]').count() == 0
    tab.assert_clean()


def test_search_from_the_masthead_in_english(tabs: TabFactory, world: World) -> None:
    tab = tabs()
    page = tab.goto("/")
    box = page.get_by_role("searchbox").first
    box.fill("ballistic missile")
    box.press("Enter")
    page.wait_for_url("**/search/?q=ballistic*")
    results = page.locator("main")
    assert results.locator(f'a[href="{article_path(world.article.pk)}"]').count() >= 1
    assert results.locator(f'a[href="{article_path(world.others[1].pk)}"]').count() == 0
    tab.assert_clean()


def test_search_in_korean_finds_the_korean_article(tabs: TabFactory, world: World) -> None:
    tab = tabs(locale="ko-KR")
    page = tab.goto("/search/?q=북한")
    korean = page.locator(
        f'main a[href="{article_path(world.korean.pk)}"]', has_text=world.korean.title
    )
    assert korean.count() >= 1
    # The snippet shows the matching words of "북한은 …".
    assert "북한" in page.locator("main").inner_text()
    tab.assert_clean()


def test_story_page_has_timeline_summary_and_perspectives(tabs: TabFactory, world: World) -> None:
    tab = tabs()
    page = tab.goto(f"/stories/{world.story.pk}/")
    main = page.locator("main")
    assert world.story.title in text(page.locator("h1"))
    # Timeline: every outlet's article, oldest first.
    ordered = sorted(world.story_articles, key=lambda a: a.published_at or a.fetched_at)
    timeline = page.get_by_role("region", name="Timeline")
    hrefs = timeline.get_by_role("link").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    listed = [h for h in hrefs if h.startswith("/articles/")]
    assert listed == [article_path(a.pk) for a in ordered], hrefs
    # Cross-source summary with citations, and one perspective per outlet.
    for sentence, _cites in world.story.summary:
        assert main.get_by_text(str(sentence)[:60]).count() >= 1
    for name in world.sources:
        assert main.get_by_text(name).count() >= 1
    assert main.get_by_role("heading", name="Perspectives").count() == 1
    tab.assert_clean()


def test_home_lists_the_story_and_latest_articles(tabs: TabFactory, world: World) -> None:
    tab = tabs()
    page = tab.goto("/")
    main = page.locator("main")
    assert main.locator(f'a[href="/stories/{world.story.pk}/"]').count() >= 1
    for a in [world.korean, *world.others]:
        assert main.locator(f'a[href="{article_path(a.pk)}"]').count() >= 1, a.title
    tab.assert_clean()


def test_korean_interface_from_the_browser_language_and_the_switcher(
    tabs: TabFactory, world: World
) -> None:
    # A Korean browser gets the Korean interface.
    tab = tabs(locale="ko-KR")
    page = tab.goto("/")
    assert page.evaluate("() => document.documentElement.lang") == "ko"
    assert text(page.locator("a[href='#main']")) == "본문으로 건너뛰기"
    tab.assert_clean()

    # An English browser switches with the footer's language links, and the choice sticks.
    tab = tabs(locale="en-US")
    page = tab.goto(f"/articles/{world.article.pk}/")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    with page.expect_navigation():
        page.locator("nav.lang").get_by_role("link", name="한국어").click()
    assert page.url.endswith(f"/articles/{world.article.pk}/")
    assert page.evaluate("() => document.documentElement.lang") == "ko"
    assert page.get_by_role("button", name="검색").count() >= 1
    page = tab.goto("/")
    assert page.evaluate("() => document.documentElement.lang") == "ko"
    tab.assert_clean()
