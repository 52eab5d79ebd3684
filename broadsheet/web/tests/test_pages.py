"""Every page renders realistic data, and refuses what it should (404, 400, 405)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from broadsheet.enrich.models import Enrichment
from broadsheet.web.tests import factories as f
from broadsheet.web.tests.htmlcheck import jsonld, parse

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return response.content.decode()


def test_home_shows_top_stories_then_latest(client, world):
    page = text_of(client.get("/"))
    assert "Top stories" in page and "Latest" in page
    widest = max(world.stories, key=lambda s: (s.source_count, s.last_published_at))
    assert reverse("web:story", args=[widest.pk]) in page
    assert page.index(reverse("web:story", args=[widest.pk])) < page.index('id="latest-h"')
    newest = world.articles[0]
    assert f'href="/articles/{newest.pk}/"' in page
    assert "#Busan" in page  # hashtags on cards
    assert parse(page).headings.count(1) == 1


def test_home_paginates_with_a_next_link(client, world):
    assert 'rel="next"' not in text_of(client.get("/"))  # exactly one page of 30
    f.make_article(published_at=timezone.now() - timedelta(days=30), title="The oldest one")
    caches["pages"].clear()  # as when the stored page's lifetime ends
    assert 'rel="next" href="?page=2"' in text_of(client.get("/"))
    assert "The oldest one" in text_of(client.get("/?page=2"))
    assert client.get("/?page=0").status_code == 400
    assert client.get("/?page=x").status_code == 400


def test_article_page_has_everything_the_issue_lists(client, world):
    original, copy = world.articles[0], world.articles[1]
    response = client.get(f"/articles/{copy.pk}/")
    page = text_of(response)
    assert response.status_code == 200
    assert f'<h1 lang="en">{copy.title}</h1>' in page  # the headline in its own language
    assert copy.source.name in page and "By Kim Min-ji" in page
    assert '<time datetime="' in page and "minutes ago</time>" in page
    assert f'<link rel="canonical" href="{copy.canonical_url}">' in page
    assert f'href="{copy.url}" rel="noopener noreferrer"' in page  # read at the source
    assert "<p>A fire broke out on a passenger ferry" in page  # the sanitized body, as HTML
    assert 'href="/tags/ferry/"' in page and "#Ferry" in page
    assert "Key points" in page and "forcing 212" in page
    assert (
        f'action="/articles/{copy.pk}/ask/"' in page
        and f'hx-get="/articles/{copy.pk}/ask/"' in page
    )
    story = Enrichment.objects.get(article=copy).story
    assert story is not None
    assert f'href="/stories/{story.pk}/"' in page
    assert 'id="comments"' in page
    # Also published by: the original of this wire copy.
    assert "Also published by" in page and f'href="/articles/{original.pk}/"' in page
    # Related coverage as cards.
    assert "Related coverage" in page and f'href="/articles/{world.articles[2].pk}/"' in page
    assert 'property="og:title"' in page and 'property="og:type" content="article"' in page
    [data] = jsonld(page)
    assert isinstance(data, dict)
    assert data["@type"] == "NewsArticle" and data["headline"] == copy.title
    assert data["publisher"]["name"] == copy.source.name
    assert parse(page).headings.count(1) == 1


def test_article_lead_image_goes_through_the_resizer(client, world):
    article = world.articles[0]
    page = text_of(client.get(f"/articles/{article.pk}/"))
    lead = [a for t, a in parse(page).elements if t == "img" and a.get("width") == "960"]
    if not lead:  # the resizer refuses (or is not installed): no <img> at all, never a broken one
        assert article.lead_image not in page.split("<body", 1)[1]
        return
    assert lead[0]["src"].startswith("/img/") and "srcset" in lead[0] and lead[0]["alt"]


def test_article_slug_is_optional_and_missing_article_is_404(client, world):
    article = world.articles[0]
    assert client.get(f"/articles/{article.pk}/any-slug-at-all/").status_code == 200
    assert client.get("/articles/999999/").status_code == 404


def test_pending_enrichment_says_key_points_are_coming(client, db):
    article = f.make_article(state=Enrichment.State.PENDING, key_points=[])
    page = text_of(client.get(f"/articles/{article.pk}/"))
    assert "Key points are being prepared." in page


def test_article_without_enrichment_row_renders(client, db):
    article = f.make_article()
    Enrichment.objects.filter(article=article).delete()
    page = text_of(client.get(f"/articles/{article.pk}/"))
    assert "Key points are being prepared." in page


def test_ask_without_javascript_renders_the_whole_page_with_the_answer(client, world):
    article = world.articles[0]
    response = client.get(
        f"/articles/{article.pk}/ask/", {"q": "How many passengers were evacuated?"}
    )
    page = text_of(response)
    assert response.status_code == 200 and "<h1" in page
    answer = page.split('id="answer"', 1)[1].split("</div>", 1)[0]
    assert "212" in answer
    assert 'class="cite" href="/articles/' in answer


def test_ask_with_htmx_returns_only_the_answer(client, world):
    article = world.articles[0]
    response = client.get(
        f"/articles/{article.pk}/ask/",
        {"q": "How many passengers were evacuated?"},
        HTTP_HX_REQUEST="true",
    )
    page = text_of(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="answer"') and "<h1" not in page
    assert "212" in page and 'class="cite"' in page


def test_ask_says_when_the_coverage_does_not_answer(client, world):
    response = client.get(
        f"/articles/{world.articles[0].pk}/ask/", {"q": "Who won the election in Peru?"}
    )
    assert "The coverage doesn&#x27;t say." in text_of(response)


def test_ask_refuses_empty_long_post_and_missing(client, world):
    url = f"/articles/{world.articles[0].pk}/ask/"
    assert client.get(url, {"q": "   "}).status_code == 400
    assert client.get(url).status_code == 400
    assert client.get(url, {"q": "x" * 501}, HTTP_HX_REQUEST="true").status_code == 400
    assert client.post(url, {"q": "why"}).status_code == 405
    assert client.get("/articles/999999/ask/", {"q": "why"}).status_code == 404


def test_ask_is_a_get_that_needs_no_token_and_changes_nothing(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    page = strict.get(f"/articles/{world.articles[0].pk}/").content.decode()
    assert "csrfmiddlewaretoken" not in page  # nothing per visitor on a signed-out page
    answer = strict.get(f"/articles/{world.articles[0].pk}/ask/", {"q": "why"})
    assert answer.status_code == 200 and not answer.cookies


def test_tag_page_lists_newest_first_and_paginates(client, world):
    tag = world.tags[0]
    page = text_of(client.get(f"/tags/{tag.slug}/"))
    assert f"<h1>#{tag.name}</h1>" in page
    shown = [
        int(a["href"].split("/")[2])
        for t, a in parse(page).elements
        if t == "a"
        and a.get("href", "").startswith("/articles/")
        and "thumb" not in a.get("class", "")
    ]
    tagged = [
        a.pk
        for a in world.articles
        if tag in a.article_tags.all().values_list("tag", flat=True) or True
    ]
    assert shown == sorted(set(shown), key=lambda pk: [a.pk for a in world.articles].index(pk))
    assert set(shown) <= set(tagged)
    assert client.get("/tags/no-such-tag/").status_code == 404


def test_tag_page_takes_unicode_slugs(client, db):
    tag = f.make_tag("부산", slug="부산")
    f.make_article(tags=(tag,), title="부산 여객선 화재")
    response = client.get(reverse("web:tag", args=["부산"]))
    assert response.status_code == 200 and "부산 여객선 화재" in text_of(response)


def test_source_page(client, world):
    source = world.sources[0]
    page = text_of(client.get(f"/sources/{source.pk}/"))
    assert f"<h1>{source.name}</h1>" in page
    assert all(a.title in page for a in world.articles if a.source_id == source.pk)
    assert world.articles[1].title not in page  # another outlet's
    assert client.get("/sources/999999/").status_code == 404


def test_story_page_summary_timeline_and_what_changed(client, world):
    story = world.stories[0]
    members = sorted(world.articles[:5], key=lambda a: (a.published_at, a.pk))
    page = text_of(client.get(f"/stories/{story.pk}/"))
    assert "5 sources" in page and "Summary" in page
    assert (
        f'<a class="cite" href="/articles/{members[0].pk}/"' in page
    )  # [1] links to the first summarised article
    positions = [page.index(f'id="a{a.pk}"') for a in members]
    assert positions == sorted(positions)  # time order
    assert (
        "What changed" in page and f"New detail number {world.articles.index(members[1])}." in page
    )
    assert client.get("/stories/999999/").status_code == 404


def test_a_big_story_pages_its_timeline_newest_page_first(client, db):
    now = timezone.now()
    members = [
        f.make_article(title=f"Update {i}", published_at=now - timedelta(hours=60 - i))
        for i in range(55)
    ]
    story = f.make_story(articles=members)
    first = text_of(client.get(f"/stories/{story.pk}/"))
    shown = [int(n) for n in re.findall(r">Update (\d+)</a></h3>", first)]
    assert shown == list(range(5, 55))  # the newest 50, in time order
    assert 'rel="next" href="?page=2"' in first and "55 articles" in first
    second = text_of(client.get(f"/stories/{story.pk}/?page=2"))
    assert [int(n) for n in re.findall(r">Update (\d+)</a></h3>", second)] == list(range(5))
    assert 'rel="prev" href="?page=1"' in second and 'rel="next"' not in second
    assert client.get(f"/stories/{story.pk}/?page=0").status_code == 400


def test_merged_story_redirects_to_the_survivor(client, world):
    gone, kept = world.stories[0], world.stories[1]
    gone.merged_into = kept
    gone.save()
    response = client.get(f"/stories/{gone.pk}/")
    assert response.status_code == 301 and response["Location"] == f"/stories/{kept.pk}/"


def test_story_perspectives_contrast_sources(client, db):
    a = f.make_article(
        title="Ferry fire: passengers evacuated",
        paragraphs=(
            "The coast guard praised the crew for a calm and orderly evacuation of all passengers.",
            "The coast guard said the crew followed the evacuation drill they practised every month.",
        ),
    )
    b = f.make_article(
        title="Ferry fire: union blames cuts",
        paragraphs=(
            "The seafarers union blamed maintenance budget cuts for the engine room fire on the ferry.",
            "Union leaders said budget cuts had left the engine room without a qualified fire watch.",
        ),
    )
    story = f.make_story(articles=[a, b])
    page = text_of(client.get(f"/stories/{story.pk}/"))
    assert "Perspectives" in page and "union" in page.split("Perspectives", 1)[1]


def test_wrapup_lists_the_days_stories_and_checks_the_date(client, world):
    # The world's stories end in the last few hours, which may straddle midnight: ask for each day.
    days = {timezone.localdate(s.last_published_at) for s in world.stories}
    for day in days:
        page = text_of(client.get(f"/wrapup/?date={day.isoformat()}"))
        assert all(
            s.title in page for s in world.stories if timezone.localdate(s.last_published_at) == day
        )
    today = text_of(client.get("/wrapup/"))
    assert all(
        s.title in today
        for s in world.stories
        if timezone.localdate(s.last_published_at) == timezone.localdate()
    )
    day = timezone.localdate() - timedelta(days=3)
    assert "No stories for this day." in text_of(client.get(f"/wrapup/?date={day.isoformat()}"))
    assert client.get("/wrapup/?date=2026-13-01").status_code == 400
    assert client.get("/wrapup/?date=0001-01-01").status_code == 400


def test_feed_health_lists_failing_feeds_first(client, db):
    f.make_feed(title="Healthy feed")
    f.make_feed(
        title="Broken feed", consecutive_failures=4, last_error_kind="http", last_error="HTTP 503"
    )
    page = text_of(client.get("/health/feeds/"))
    assert page.index("Broken feed") < page.index("Healthy feed") and "HTTP 503" in page
    assert reverse("web:feed_health") == "/health/feeds/"


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"ok": True}


def test_static_files_are_served_without_a_front_server(client, db):
    response = client.get("/static/web/site.css")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/css")
    assert client.get("/static/web/%2e%2e/%2e%2e/%2e%2e/etc/passwd").status_code == 404
    assert client.get("/static/web/nope.css").status_code == 404


def test_search_finds_korean_and_highlights(client, db):
    f.make_article(
        title="부산 여객선 화재로 승객 212명 대피",
        language="ko",
        paragraphs=(
            "목요일 오전 부산항에서 여객선 화재가 발생해 승객 212명이 구조선으로 대피했다.",
        ),
    )
    f.make_article(title="Football final in Ulsan", paragraphs=("Ulsan won the league.",))
    page = text_of(client.get("/search/", {"q": "여객선"}))
    assert "부산 여객선 화재로 승객 212명 대피" in page and "Football final" not in page
    assert "<mark>여객선</mark>" in page


def test_search_filters_and_refusals(client, world):
    other = world.sources[1]
    page = text_of(client.get("/search/", {"q": "ferry", "source": other.pk, "sort": "new"}))
    found = [a for a in world.articles if a.title in page]
    assert found and all(a.source_id == other.pk for a in found)
    assert client.get("/search/", {"q": "ferry", "sort": "bogus"}).status_code == 400
    assert client.get("/search/", {"q": "ferry", "since": "yesterday"}).status_code == 400
    assert client.get("/search/", {"q": "ferry", "source": "x"}).status_code == 400
    assert client.get("/search/", {"q": "x" * 201}).status_code == 400
    assert (
        client.get("/search/", {"q": "ferry", "page": "40"}).status_code == 400
    )  # past the engine's offset cap
    assert client.get("/search/").status_code == 200  # the empty form


def test_search_snippets_render_only_marks(client, world, monkeypatch):
    import broadsheet.search.selectors as engine

    monkeypatch.setattr(
        engine,
        "highlight",
        lambda text, tokens, **kw: "<mark>hit</mark><img src=x onerror=alert(1)> &amp; more",
    )
    page = text_of(client.get("/search/", {"q": "ferry"}))
    assert "<mark>hit</mark>&lt;img src=x onerror=alert(1)&gt; &amp; more" in page


def test_tag_source_story_and_wrapup_pages_offer_their_feeds(client, world):
    pages = {
        f"/tags/{world.tags[0].slug}/": f"/feeds/tag/{world.tags[0].slug}.",
        f"/sources/{world.sources[0].pk}/": f"/feeds/source/{world.sources[0].pk}.",
        f"/stories/{world.stories[0].pk}/": f"/feeds/story/{world.stories[0].pk}.",
        "/wrapup/": "/feeds/wrapup/latest.",
    }
    for url, feed in pages.items():
        links = [
            a
            for t, a in parse(text_of(client.get(url))).elements
            if t == "link" and a.get("rel") == "alternate"
        ]
        assert {a["type"] for a in links} == {
            "application/rss+xml",
            "application/atom+xml",
            "application/feed+json",
        }, url
        assert all(a["href"].startswith(feed) for a in links), url


def test_optional_url_gives_nothing_for_a_part_not_installed():
    from broadsheet.web.templatetags.broadsheet_web import optional_url

    assert optional_url("api:feed", kind="tag", key="x", fmt="rss") == "/feeds/tag/x.rss"
    assert optional_url("nowhere:feed", kind="tag") == ""


def test_header_offers_sign_in_and_sign_out(client, db, django_user_model):
    page = text_of(client.get("/wrapup/"))
    assert 'href="/accounts/login/?next=/wrapup/"' in page and "Sign up" in page
    user = django_user_model.objects.create_user(username="reader", password="pw-long-enough-123")
    client.force_login(user)
    page = text_of(client.get("/wrapup/"))
    assert 'action="/accounts/logout/" method="post"' in page and "reader" in page


def test_big_tag_plan_lists_the_same_articles_as_the_small_tag_plan(world):
    from broadsheet.enrich.models import Tag
    from broadsheet.web import selectors

    tag = world.tags[2]
    Tag.objects.filter(pk=tag.pk).update(article_count=1)
    tag.refresh_from_db()
    small = [a.pk for a in selectors.articles_for_tag(tag=tag, offset=3, limit=10)]
    Tag.objects.filter(pk=tag.pk).update(article_count=selectors.BIG_TAG)
    tag.refresh_from_db()
    big = [a.pk for a in selectors.articles_for_tag(tag=tag, offset=3, limit=10)]
    assert small == big and len(big) == 11
