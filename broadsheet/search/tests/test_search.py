"""Search end to end on whichever database the suite runs on (SQLite FTS5 or PostgreSQL tsvector)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection

from broadsheet.articles.models import Article
from broadsheet.articles.signals import articles_stored
from broadsheet.enrich.models import ArticleTag, Enrichment, Tag
from broadsheet.ingest.models import Source
from broadsheet.search import services
from broadsheet.search.models import SearchDocument
from broadsheet.search.selectors import _hits, highlight, search_articles
from broadsheet.search.services import search_index_article, search_index_rebuild
from broadsheet.search.tokenize import normalize

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_serial = itertools.count()

MakeArticle = Callable[..., Article]


@pytest.fixture(autouse=True)
def _no_enrichment(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_ENRICH": False}
    yield


@pytest.fixture
def make() -> MakeArticle:
    """make stores an article and announces it the way the pipeline does (articles_stored)."""

    def _make(
        title: str,
        text: str = "",
        *,
        source: Source | None = None,
        published_at: datetime | None = T0,
        language: str = "en",
        byline: str = "",
        announce: bool = True,
    ) -> Article:
        n = next(_serial)
        article = Article.objects.create(
            title=title, text=text, source=source, published_at=published_at,
            language=language, byline=byline, url=f"https://example.test/{n}",
            canonical_url=f"https://example.test/{n}", content_hash=str(n),
        )  # fmt: skip
        if announce:
            articles_stored.send(sender=Article, article_ids=[article.pk], created_ids=[article.pk])
        return article

    return _make


def tag(article: Article, slug: str, capture) -> None:  # type: ignore[no-untyped-def]
    """tag gives an article a hashtag the way enrichment does: ArticleTag rows, then Enrichment DONE."""
    row, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": slug})
    ArticleTag.objects.create(article=article, tag=row)
    with capture(execute=True):
        Enrichment.objects.update_or_create(
            article=article, defaults={"state": Enrichment.State.DONE}
        )


def titles(query: str, **kwargs: object) -> list[str]:
    return [a.title for a in search_articles(query=query, **kwargs).articles]  # type: ignore[arg-type]


def test_article_stored_indexes_the_article(make: MakeArticle) -> None:
    article = make("Parliament passes the budget")
    assert SearchDocument.objects.filter(article=article).exists()
    assert titles("budget") == ["Parliament passes the budget"]


def test_finished_enrichment_reindexes_and_a_retag_moves_the_article(
    make: MakeArticle,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    article = make("Tagged later")
    assert titles("tagged", tag_slug="later") == []
    tag(article, "later", django_capture_on_commit_callbacks)
    assert titles("tagged", tag_slug="later") == ["Tagged later"]
    ArticleTag.objects.filter(article=article).delete()
    with django_capture_on_commit_callbacks(execute=True):
        Enrichment.objects.get(article=article).save()
    assert titles("tagged", tag_slug="later") == []
    assert titles("tagged") == ["Tagged later"]


def test_the_pipelines_store_indexes_after_commit(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from broadsheet.articles.extract import Extracted
    from broadsheet.articles.services import PageOrigin, article_store

    extracted = Extracted(
        title="서울시, 새 지하철 노선 발표", byline="", published=T0, lang="ko", lead_image="",
        text="서울시는 오늘 새로운 지하철 노선을 발표했다.", html="<p>서울시는 오늘</p>",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        article, created = article_store(
            origin=PageOrigin(url="https://news.test/a", final_url="https://news.test/a"),
            extracted=extracted,
        )
    assert created
    assert titles("지하철") == [article.title]
    assert titles("서울") == [article.title]


def test_index_failure_is_logged_and_loses_nothing(
    make: MakeArticle, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*, article_ids: list[int]) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "search_index_articles", broken)
    with caplog.at_level(logging.ERROR, logger="broadsheet.search"):
        article = make("Still stored")
    assert Article.objects.filter(pk=article.pk).exists()
    assert "indexing articles" in caplog.text and "disk full" in caplog.text


def test_case_and_accents_fold(make: MakeArticle) -> None:
    make("Café Crème in Zürich", "A NAÏVE review.")
    for query in ("cafe", "CAFÉ", "creme zurich", "naive", "Naïve"):
        assert titles(query) == ["Café Crème in Zürich"], query


def test_korean_particles(make: MakeArticle) -> None:
    make("북한은 미사일을 발사했다", "합동참모본부는 북한이 동해상으로 탄도미사일을 쐈다고 밝혔다.")
    make("남한 경제 성장", "한국은행이 기준금리를 동결했다.", published_at=T0 - timedelta(days=1))
    assert titles("북한") == ["북한은 미사일을 발사했다"]
    assert titles("미사일") == ["북한은 미사일을 발사했다"]
    assert titles("탄도미사일") == ["북한은 미사일을 발사했다"]
    assert titles("기준금리") == ["남한 경제 성장"]
    assert titles("북한 금리") == []


def test_japanese_and_chinese_phrases(make: MakeArticle) -> None:
    make("東京都知事選", "東京都に住んでいます。コーヒーが好きです。", language="ja")
    make("我的猫很可爱", "今天天气很好，我们去公园散步。", language="zh")
    assert titles("東京") == ["東京都知事選"]
    assert titles('"東京都に住んで"') == ["東京都知事選"]
    assert titles("コーヒー") == ["東京都知事選"]
    assert titles("京東") == []
    assert titles("猫") == ["我的猫很可爱"]  # one character: a run's middle
    assert titles("爱") == ["我的猫很可爱"]  # and a run's end
    assert titles("公园散步") == ["我的猫很可爱"]
    assert titles("公园 -猫") == []


def test_mixed_scripts(make: MakeArticle) -> None:
    make("BTS의 새 앨범 발표", "K팝 그룹 BTS가 World Tour 2026을 발표했다.", language="ko")
    assert titles("bts 앨범") == ["BTS의 새 앨범 발표"]
    assert titles('"world tour 2026"') == ["BTS의 새 앨범 발표"]
    assert titles("K팝") == ["BTS의 새 앨범 발표"]


def test_phrases_and_exclusions(make: MakeArticle) -> None:
    make("North Korea talks", "Delegates from North Korea met.")
    make(
        "Korea north of the river",
        "A story about the Korean north.",
        published_at=T0 - timedelta(hours=1),
    )
    assert set(titles("korea north")) == {"North Korea talks", "Korea north of the river"}
    assert titles('"north korea"') == ["North Korea talks"]
    assert titles('korea -"north korea"') == ["Korea north of the river"]
    assert titles("korea -river") == ["North Korea talks"]
    assert titles("-korea") == []


def test_relevance_puts_title_matches_first_and_new_sorts_by_date(make: MakeArticle) -> None:
    make("Budget vote tonight", "Parliament sits.", published_at=T0 - timedelta(days=2))
    make("Weather report", "Sunny; the budget was mentioned in passing.", published_at=T0)
    make("Sports", "The club's budget grew.", published_at=T0 - timedelta(days=1))
    assert titles("budget") == ["Budget vote tonight", "Weather report", "Sports"]
    assert titles("budget", sort="new") == ["Weather report", "Sports", "Budget vote tonight"]


def test_byline_and_source_name_are_searchable(make: MakeArticle) -> None:
    herald = Source.objects.create(name="Korea Herald", host="koreaherald.test")
    make("Untitled", "nothing", source=herald, byline="Kim Min-jun")
    assert titles("herald") == ["Untitled"]
    assert titles("min jun") == ["Untitled"]


def test_filters(make: MakeArticle, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    a = Source.objects.create(name="Alpha", host="alpha.test")
    b = Source.objects.create(name="Beta", host="beta.test")
    old = make("Election old", source=a, published_at=T0 - timedelta(days=10), language="en")
    mid = make("Election mid", source=b, published_at=T0 - timedelta(days=5), language="de")
    new = make("Election new", source=a, published_at=T0, language="en-GB")
    undated = make("Election undated", source=b, published_at=None)
    tag(mid, "vote", django_capture_on_commit_callbacks)
    tag(old, "vote", django_capture_on_commit_callbacks)
    tag(old, "북한-미사일", django_capture_on_commit_callbacks)

    assert set(titles("election", source_id=a.pk)) == {old.title, new.title}
    assert set(titles("election", source_id=b.pk)) == {mid.title, undated.title}
    assert titles("election", language="de") == [mid.title]
    assert titles("election", language="EN-gb") == [new.title]
    assert titles("election", tag_slug="vote", sort="new") == [mid.title, old.title]
    assert titles("election", tag_slug="absent") == []
    assert titles("election", tag_slug="북한-미사일") == [old.title]
    assert titles("election", tag_slug="VOTE") == []  # slugs are exact
    assert titles("election", since=T0 - timedelta(days=6), until=T0 - timedelta(days=1)) == [
        mid.title
    ]
    assert titles("election", until=T0 - timedelta(days=10)) == [old.title]  # inclusive
    assert titles("election", since=T0, sort="new")[-1] == new.title  # undated: by fetch time
    assert titles("election", source_id=a.pk, tag_slug="vote", until=T0 - timedelta(days=1)) == [
        old.title
    ]


def test_pagination_and_caps(make: MakeArticle) -> None:
    for i in range(7):
        make(f"Story {i}", "common words", published_at=T0 - timedelta(hours=i))
    first = search_articles(query="common", sort="new", limit=3)
    second = search_articles(query="common", sort="new", limit=3, offset=3)
    last = search_articles(query="common", sort="new", limit=3, offset=6)
    assert [a.title for a in first.articles] == ["Story 0", "Story 1", "Story 2"]
    assert [a.title for a in second.articles] == ["Story 3", "Story 4", "Story 5"]
    assert [a.title for a in last.articles] == ["Story 6"]
    assert (first.has_next, second.has_next, last.has_next) == (True, True, False)
    assert first.articles[0].source is None  # selected, no extra query
    assert first.query_tokens == ["common"]
    for bad in ({"limit": 51}, {"limit": 0}, {"offset": 1001}, {"offset": -1}, {"sort": "old"}):
        with pytest.raises(ValueError):
            search_articles(query="common", **bad)  # type: ignore[arg-type]
    assert len(search_articles(query="common", limit=50, offset=1000).articles) == 0


def test_relevance_ranks_only_the_newest_candidates(make: MakeArticle, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_SEARCH_CANDIDATES": 2}
    make("Rain in the title", published_at=T0 - timedelta(days=3))
    make("One", "rain later", published_at=T0 - timedelta(days=1))
    make("Two", "rain latest", published_at=T0)
    assert titles("rain", limit=1) == ["Two"]  # the title match is past the two newest
    assert titles("rain", limit=3) == [
        "Rain in the title",
        "Two",
        "One",
    ]  # the cap grows to the page


HOSTILE = [
    "",
    "   ",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "가" * 10_000,
    '"',
    '""""',
    '"unclosed',
    "*",
    "a*",
    "NEAR(a b, 3)",
    "a OR b NOT c AND d",
    "title:foo",
    "{doc meta}: x",
    "meta : s1",
    "^start",
    "a + b",
    "'; DROP TABLE articles_article; --",
    "a & b | !c <-> d:*",
    "\\",
    "(((((",
    "-",
    "- - -",
    "!!!???",
    "\ud800",
    "🙂🙂🙂",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_raise(make: MakeArticle, query: str) -> None:
    make("Foo and bar", "a b c d start s1 x")
    page = search_articles(query=query, tag_slug="'", language="'; --", sort="new")
    assert isinstance(page.articles, list)


def test_operators_are_words_not_syntax(make: MakeArticle) -> None:
    make("Meta analysis", "s1 is a code name")
    assert titles("meta") == ["Meta analysis"]
    assert titles("s1") == [
        "Meta analysis"
    ]  # a filter token's spelling matches text, not the filter
    assert titles("NOT") == []


def test_deleting_an_article_drops_its_row(make: MakeArticle) -> None:
    article = make("Ephemeral news")
    article.delete()
    assert not SearchDocument.objects.exists()
    assert titles("ephemeral") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_fts")
            assert cursor.fetchone()[0] == 0


def test_reindex_follows_edits_and_is_idempotent(make: MakeArticle) -> None:
    article = make("Old headline")
    search_index_article(article_id=article.pk)
    search_index_article(article_id=article.pk)
    assert SearchDocument.objects.count() == 1
    Article.objects.filter(pk=article.pk).update(title="New headline")
    search_index_article(article_id=article.pk)
    assert titles("headline") == ["New headline"]
    assert titles("old") == []
    Article.objects.filter(pk=article.pk).delete()
    search_index_article(article_id=article.pk)  # gone: nothing to index, no error
    assert titles("headline") == []


def test_rebuild_indexes_everything(make: MakeArticle) -> None:
    for i in range(25):
        make(f"Quiet {i}", "unannounced", announce=False, published_at=T0 - timedelta(minutes=i))
    assert titles("unannounced") == []
    assert search_index_rebuild(batch_size=10) == 25
    assert search_index_rebuild(batch_size=7) == 25
    assert SearchDocument.objects.count() == 25
    page = search_articles(query="unannounced", sort="new", limit=50)
    assert [a.title for a in page.articles] == [f"Quiet {i}" for i in range(25)]


def test_reindex_command(make: MakeArticle, capsys: pytest.CaptureFixture[str]) -> None:
    make("Command line", announce=False)
    call_command("search_reindex", "--batch-size", "5")
    assert "indexed 1 articles" in capsys.readouterr().out
    assert titles("command") == ["Command line"]


def test_text_beyond_the_indexed_prefix_is_not_searched(make: MakeArticle, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_SEARCH_TEXT_KB": 1}
    make("Long read", "filler " * 200 + "needle")
    assert titles("filler") == ["Long read"]
    assert titles("needle") == []


def test_a_search_costs_two_queries(
    make: MakeArticle,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    source = Source.objects.create(name="Gamma", host="gamma.test")
    for i in range(5):
        tag(make(f"Match {i}", source=source), "t", django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(2):
        page = search_articles(
            query="match", source_id=source.pk, tag_slug="t", since=T0 - timedelta(days=1),
            language="en", limit=3,
        )  # fmt: skip
        assert [a.source.name if a.source else "" for a in page.articles] == ["Gamma"] * 3
    with django_assert_max_num_queries(0):
        search_articles(query="!!!")


def test_highlight() -> None:
    text = (
        "Intro. " + "padding " * 60 + "The <b>Budget</b> café vote & more budget. " + "tail " * 80
    )
    snippet = highlight(text, ["budget", "cafe"], max_chars=120)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>Budget</mark>" in snippet and "<mark>café</mark>" in snippet
    assert "&lt;b&gt;" in snippet and "&amp;" in snippet and "<b>" not in snippet
    assert len(snippet) < 120 + 80
    korean = highlight("합참은 북한은 미사일을 쐈다고", ["북한"])
    assert "<mark>북한</mark>은" in korean
    assert highlight("<script>x</script>", []) == "&lt;script&gt;x&lt;/script&gt;"
    assert highlight("no hit here", ["zzz"]) == "no hit here"


@pytest.mark.parametrize(
    ("text", "wanted", "stop", "spans"),
    [
        ("budget talks budget", {"budget"}, None, [(0, 6), (13, 19)]),
        ("budget talks budget", {"budget"}, 13, [(0, 6)]),  # runs from stop on are not read
        ("북한은 북한", {"북한"}, None, [(0, 2), (4, 6)]),
        ("ab북한", {"ab", "북한"}, None, [(0, 4)]),  # touching hits merge
        ("nothing", {"zzz"}, None, []),
    ],
)
def test_hits(text, wanted, stop, spans) -> None:
    assert list(_hits(text, wanted, stop=stop)) == spans


def test_first_hit_comes_before_the_rest_is_read() -> None:
    # A snippet needs the first hit and what follows within max_chars: a 5,000-word article
    # with an early hit must not be read to its end.
    from broadsheet.search import selectors

    read: list[str] = []

    def counting(run: str) -> str:
        read.append(run)
        return normalize(run)

    with mock.patch.object(selectors, "normalize", counting):
        hits = _hits("budget " + "word " * 1000, {"budget"})
        assert next(hits) == (0, 6)
        assert len(read) <= 2
        assert highlight("budget " + "word " * 1000, ["budget"], max_chars=40).startswith(
            "<mark>budget</mark>"
        )
        assert len(read) <= 2 + 1 + 40 // 5 + 2
