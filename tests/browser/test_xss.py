"""Hostile text everywhere a stranger can put it, rendered on every page: nothing may run.

Each vector of data/xss_vectors.txt is planted in an article's title, byline, feed summary, body
(through the real sanitizer), lead image URL and key points; in a tag's name, a source's name and
homepage, a story's title and summary, a feed's title and last error; in the search box and the
ask box; and, when comments exist, in a comment and its author's display name. Then every page is
rendered in Chromium and checked two ways: nothing executed (no __xss() call, no dialog, no CSP
violation) and nothing executable is in the DOM (no on* handler, no javascript:/data: URL, no
foreign or inline script, no frame, no hx-on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.enrich.models import Story
from broadsheet.web.tests.factories import make_feed, make_source, make_tag
from tests.browser.conftest import Tab, TabFactory, text
from tests.browser.world import World, article_make

VECTORS_FILE = Path(__file__).parent / "data" / "xss_vectors.txt"


def vectors() -> list[str]:
    """vectors reads the vector file, numbering each one into its payload."""
    lines = VECTORS_FILE.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.strip() and not line.startswith("# ")]
    return [v.replace("$N", str(n)) for n, v in enumerate(kept, start=1)]


# Anything executable left in the DOM, whether or not it ran.
DOM_AUDIT = """() => {
  const bad = [];
  const schemes = new Set(['http:', 'https:', 'mailto:']);
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'data', 'poster', 'background',
    'xlink:href', 'srcset', 'cite', 'longdesc', 'ping', 'codebase', 'manifest', 'hx-get', 'hx-post']);
  const where = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base'].includes(tag)) bad.push('element ' + where(el));
    if (tag === 'meta' && (el.getAttribute('http-equiv') || '').toLowerCase() === 'refresh') bad.push('meta refresh');
    if (tag === 'script') {
      const type = (el.getAttribute('type') || '').toLowerCase();
      if (type === 'application/ld+json') {
        try { JSON.parse(el.textContent); } catch (e) { bad.push('JSON-LD does not parse: ' + el.textContent.slice(0, 80)); }
        if (el.hasAttribute('src')) bad.push('JSON-LD with src');
      } else if (!el.src || new URL(el.src).origin !== location.origin) {
        bad.push('script ' + (el.src || el.textContent.slice(0, 80)));
      }
    }
    if (tag === 'style' && /__xss|javascript:|expression\\(/i.test(el.textContent)) bad.push('style element ' + el.textContent.slice(0, 80));
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = attr.value;
      if (name.startsWith('on')) bad.push(`${where(el)} [${name}]`);
      if (name === 'srcdoc') bad.push(`${where(el)} [srcdoc]`);
      if (name === 'style' && /__xss|javascript:|expression\\(/i.test(value)) bad.push(`${where(el)} [style] ${value.slice(0, 80)}`);
      if (/^(data-)?hx-on/.test(name) || (/^(data-)?hx-/.test(name) && /__xss/.test(value))) bad.push(`${where(el)} [${name}]`);
      if (urlAttrs.has(name)) {
        const urls = name === 'srcset' ? value.split(',').map((s) => s.trim().split(/\\s+/)[0]) : [value];
        for (const url of urls) {
          if (!url.trim()) continue;
          let scheme;
          try { scheme = new URL(url, location.href).protocol; } catch (e) { continue; }
          if (!schemes.has(scheme)) bad.push(`${where(el)} [${name}] ${url.slice(0, 80)}`);
        }
      }
    }
  }
  return bad;
}"""


@dataclass
class Planted:
    articles: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    stories: list[int] = field(default_factory=list)
    comments: int = 0


def plant(hostile: list[str], *, image_base: str) -> Planted:
    """plant stores every vector in every field a stranger's feed (or a reader) controls."""
    planted = Planted()
    now = timezone.now()
    for n, vector in enumerate(hostile, start=1):
        source = make_source(name=vector[:200], host=f"x{n}.example")
        # A homepage comes from a feed's or an OPML file's link: hostile too.
        source.homepage = vector if n % 2 else f"javascript:__xss({n})"
        source.save(update_fields=["homepage"])
        make_feed(
            source=source,
            title=vector[:500],
            last_checked_at=now,
            last_error_at=now,
            last_error_kind="parse",
            last_error=vector,
            consecutive_failures=1,
        )
        story = Story.objects.create(
            title=vector[:1000],
            last_published_at=now,
            article_count=1,
            source_count=2,
            summary=[[vector, [1]], [f"{vector} again [1]", [1]]],
        )
        article = article_make(
            source=source,
            title=vector[:1000],
            byline=vector[:500],
            hours_ago=n / 10,
            body_html=f"<p>Body of hostile article {n}.</p>{vector}<p>{vector}</p>",
            lead_image=vector if n % 2 else f"{image_base}/lead.png?{vector}",
            tags=(make_tag(vector[:120], slug=f"xss-{n}"),),
            story=story,
            points=[vector, f"Point {n} [1]"],
            what_changed=[vector],
        )
        Article.objects.filter(pk=article.pk).update(summary=vector)
        Story.objects.filter(pk=story.pk).update(
            lead_article=article, first_published_at=article.published_at
        )
        planted.articles.append(article.pk)
        planted.tags.append(f"xss-{n}")
        planted.sources.append(source.pk)
        planted.stories.append(story.pk)
    planted.comments = plant_comments(hostile, article_ids=planted.articles)
    return planted


def plant_comments(hostile: list[str], *, article_ids: list[int]) -> int:
    """plant_comments stores each vector as an approved comment by a reader named with a vector."""
    try:
        from broadsheet.community.models import Comment, CommentState
    except ImportError:  # comments not installed
        return 0
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    for n, vector in enumerate(hostile, start=1):
        user = user_model.objects.create_user(username=f"reader{n}", password=None)
        if hasattr(user, "display_name"):
            user.display_name = vector[:80]
            user.save(update_fields=["display_name"])
        for article_id in (article_ids[0], article_ids[n % len(article_ids)]):
            Comment.objects.create(
                article_id=article_id, author=user, text=vector, state=CommentState.APPROVED
            )
    return 2 * len(hostile)


@pytest.fixture
def hostile(site: str, images: Any) -> tuple[list[str], Planted]:
    hostile = vectors()
    return hostile, plant(hostile, image_base=images.url("").rstrip("/"))


def xss_tab(tabs: TabFactory, *, js: bool = True) -> tuple[Tab, list[str]]:
    """xss_tab opens a tab in which __xss() records its calls instead of being undefined."""
    tab = tabs(js=js)
    hits: list[str] = []
    tab.context.expose_binding(
        "__xss", lambda source, n=None: hits.append(f"__xss({n}) in {source['frame'].url}")
    )
    return tab, hits


def audit(tab: Tab, path: str, *, status: int = 200) -> list[str]:
    """audit renders a page and returns whatever could run in it."""
    page = tab.goto(path, status=status)
    return [f"{path}: {problem}" for problem in page.evaluate(DOM_AUDIT)]


def test_vector_file_has_the_classics() -> None:
    hostile = vectors()
    assert len(hostile) >= 40
    text = "\n".join(hostile).lower()
    for needle in (
        "<script>",
        "onerror=",
        "<svg onload",
        "javascript:",
        '"><script>',
        "srcdoc",
        "jav&#x0a;ascript",
        "expression(",
        "</title><script>",
        "data:text/html",
        "\\u003c",
    ):
        assert needle in text, needle


# Vectors that only ever ran elsewhere: backtick-quoted attributes (old IE), \u escapes (JS strings).
INERT_IN_RAW_HTML = ("`javascript:", "\\u003c")


def test_every_vector_is_caught_when_rendered_raw(chromium: Any) -> None:
    """The control: pasted unescaped into a page (body, attributes, a link, the title), each vector
    runs or leaves something the DOM audit flags, so a clean page below means escaping worked."""
    context = chromium.new_context(java_script_enabled=True)
    hits: list[str] = []
    context.expose_binding("__xss", lambda source, n=None: hits.append(str(n)))
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    missed = []
    for n, vector in enumerate(vectors(), start=1):
        hits.clear()
        dialogs.clear()
        page.set_content(
            f"<html><head><title>{vector}</title></head><body><p>{vector}</p>"
            f'<a title="{vector}">x</a><a title=\'{vector}\'>y</a><a href="{vector}">z</a></body></html>',
            wait_until="load",
        )
        page.wait_for_timeout(30)
        flagged = page.evaluate(DOM_AUDIT)
        if not (hits or dialogs or flagged) and not any(m in vector for m in INERT_IN_RAW_HTML):
            missed.append(f"{n}: {vector}")
    context.close()
    assert missed == [], "vectors the harness would not notice"


def test_nothing_planted_runs_anywhere(tabs: TabFactory, hostile: Any) -> None:
    vectors_, planted = hostile
    tab, hits = xss_tab(tabs)
    found = []
    for article_id, vector in zip(planted.articles, vectors_, strict=True):
        found += audit(tab, f"/articles/{article_id}/")
        # The vector is on the page, as text: escaped, not dropped.
        assert text(tab.page.locator("h1").first) == " ".join(vector.split())
    paths = ["/", "/?page=2", "/wrapup/", "/health/feeds/", "/search/?q=hostile"]
    paths += ["/search/?q=hostile&page=2"]
    # Names render in the same escaped contexts on every tag, source and story page: a third of
    # the vectors (every kind is among them) keeps the suite fast.
    sample = range(0, len(vectors_), 3)
    paths += [f"/tags/{planted.tags[i]}/" for i in sample]
    paths += [f"/sources/{planted.sources[i]}/" for i in sample]
    paths += [f"/stories/{planted.stories[i]}/" for i in sample]
    for path in paths:
        found += audit(tab, path)
    assert found == []
    assert hits == []
    assert tab.dialogs == [] and tab.csp == [] and tab.page_errors == []
    assert tab.foreign == [], "a planted URL made the browser leave the site"


def test_nothing_typed_into_search_or_ask_runs(tabs: TabFactory, world: World) -> None:
    tab, hits = xss_tab(tabs)
    found = []
    page = tab.goto(f"/articles/{world.article.pk}/")
    form = page.locator(f'form[action$="/articles/{world.article.pk}/ask/"]')
    for vector in vectors():
        form.get_by_role("textbox").fill(vector[:500])
        with page.expect_response(lambda r: "/ask/?" in r.url):
            form.get_by_role("button").click()
        answer = page.locator("#answer")
        expected = " ".join(vector[:500].split())
        # The response has arrived, but htmx swaps it in a moment later: wait for this question's
        # answer (or the error), not the previous one still on the page.
        page.wait_for_function(
            """([want]) => {
                const el = document.querySelector("#answer");
                return !!el && (el.textContent.split(/\\s+/).filter(Boolean).join(" ").includes(want)
                                || el.innerHTML.includes("error"));
            }""",
            arg=[expected],
            timeout=10_000,
        )
        assert expected in text(answer) or "error" in answer.inner_html(), vector
        found += [f"ask {vector!r}: {p}" for p in page.evaluate(DOM_AUDIT)]
    for vector in vectors():
        found += audit(tab, f"/search/?q={quote(vector[:200])}")
        assert tab.page.get_by_role("searchbox").first.input_value() == vector[:200]
    assert found == []
    assert hits == []
    assert tab.dialogs == [] and tab.csp == [] and tab.page_errors == []
