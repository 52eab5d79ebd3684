"""What the browser review asked of the markup: language marks, landmarks, the current section,
the search filters, feed health's scroll region, the lead story's own summary, form labels."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from broadsheet.web.templatetags.broadsheet_web import lang_attr
from broadsheet.web.tests import factories as f
from broadsheet.web.tests.htmlcheck import parse

pytestmark = pytest.mark.django_db


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize(
    ("code", "attr"),
    [
        ("ko", ' lang="ko"'),
        ("en-GB", ' lang="en-GB"'),
        ("zh-Hant-TW", ' lang="zh-Hant-TW"'),
        ("", ""),
        (None, ""),
        ('ko" onmouseover="x', ""),
        ("k", ""),
        ("ko_KR", ""),
    ],
)
def test_lang_attr_marks_only_well_formed_language_tags(code, attr):
    assert lang_attr(code) == attr


def test_cards_mark_the_language_of_their_title_and_summary(client, db):
    korean = f.make_article(
        title="북한, 동해상으로 탄도미사일 발사",
        summary="북한은 화요일 오전 탄도미사일을 발사했다.",
        language="ko",
    )
    f.make_article(title="Ferry fire in Busan", language="")
    page = html(client, "/")
    assert f'<h3 class="card-title" lang="ko"><a href="/articles/{korean.pk}/">' in page
    assert '<p class="dek" lang="ko">북한은' in page
    assert '<h3 class="card-title"><a' in page  # no language known: no mark
    tag = f.make_tag("NorthKorea")
    f.make_article(title="태그 기사", language="ko", tags=(tag,))
    assert 'class="card-title" lang="ko"' in html(client, reverse("web:tag", args=[tag.slug]))


def test_nav_marks_the_current_section(client, db):
    def current(url: str) -> list[str]:
        return [
            a.get("href", "")
            for t, a in parse(html(client, url)).elements
            if t == "a" and a.get("aria-current") == "page"
        ]

    assert current("/") == ["/"]
    assert current("/wrapup/") == ["/wrapup/"]
    assert current("/search/") == ["/search/"]
    assert current("/health/feeds/") == []


def test_search_page_has_one_labelled_search_form_and_folds_its_filters(client, db):
    home = parse(html(client, "/"))
    assert [a.get("aria-label") for t, a in home.elements if a.get("role") == "search"] == [
        "Site search"
    ]
    page = html(client, "/search/?q=ferry")
    searches = [a for t, a in parse(page).elements if a.get("role") == "search"]
    assert len(searches) == 1 and searches[0].get("aria-label") == "Search articles"
    assert 'id="site-q"' not in page  # the masthead box would repeat the query
    assert re.search(r'<details class="filters">\s*<summary>Filters</summary>', page)
    filtered = html(client, "/search/?q=ferry&language=ko")
    assert '<details class="filters" open>' in filtered
    assert '<details class="filters" open>' in html(client, "/search/?q=ferry&sort=new")


def test_feed_health_table_is_a_focusable_region_with_plain_url_lines(client, db):
    f.make_feed(consecutive_failures=3, last_error="timed out", last_error_kind="timeout")
    page = html(client, "/health/feeds/")
    assert (
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Feeds and their last checks">'
        in page
    )
    assert '<span class="feed-url">https://' in page
    heads = re.findall(r'<th scope="col">([^<]+)</th>', page)
    assert heads[:3] == ["Feed", "Failures", "Last error"]  # what matters first on a phone
    assert 'data-label="Last error"' in page and '<tr class="failing">' in page


def test_home_lead_story_shows_its_lead_articles_own_summary(client, db):
    source = f.make_source(name="Pacific Ledger")
    lead = f.make_article(
        source=source, title="Missile launch tests alliance", summary="The lead's own words."
    )
    other = f.make_article(title="Pyongyang launches missile", summary="Another outlet's words.")
    story = f.make_story(articles=[lead, other])
    story.summary = [["Another outlet's words.", [2]]]
    story.last_published_at = timezone.now()
    story.save()
    page = html(client, "/")
    top = page[page.index('class="top-stories"') : page.index('id="latest-h"')]
    assert "The lead&#x27;s own words." in top and "Another outlet" not in top
    assert "story-grid-single" in top  # one story: the lead spans the row
    assert "Pacific Ledger" in top  # whose headline it is


def test_article_meta_separates_source_byline_and_time(client, db):
    article = f.make_article(byline="Kim Min-ji")
    page = html(client, f"/articles/{article.pk}/")
    meta = page[page.index('<p class="meta">', page.index("article-head")) :]
    meta = meta[: meta.index("</p>")]
    assert re.search(
        r'</a>\s*<span aria-hidden="true">·</span>\s*<span class="byline">By Kim Min-ji</span>\s*<span aria-hidden="true">·</span>\s*<time',
        meta,
    )


def test_story_meta_has_no_double_space_before_the_time(client, world):
    page = html(client, reverse("web:story", args=[world.stories[0].pk]))
    assert "updated <time" in page and "updated  " not in page


def test_sign_in_and_sign_up_labels_have_no_colon_and_help_is_tied_to_its_box(client, db):
    for name in ("accounts:login", "accounts:signup"):
        page = html(client, reverse(name))
        labels = re.findall(r"<label for=\"id_[a-z0-9_]+\">([^<]*)</label>", page)
        assert labels and not [t for t in labels if t.rstrip().endswith(":")], labels
    signup = html(client, reverse("accounts:signup"))
    assert (
        'id="id_password1_helptext"' in signup
        and 'aria-describedby="id_password1_helptext"' in signup
    )
