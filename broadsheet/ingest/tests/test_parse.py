"""parse_feed against the self-describing documents in testdata/feeds, plus generated hostile ones.

The documents' headers are described in casefiles.py. Expectations see `feed`, `entries`,
`error` (the ParseError text or None), `opened` (files opened during the parse), `connections`
(sockets connected), `parser_calls` (calls into feedparser), `sha256` and `datetime`/`UTC`.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser.api
import pytest
from django.conf import settings
from feedparser.sanitizer import replace_doctype

from broadsheet.ingest import xmlfeed
from broadsheet.ingest.parse import SUMMARY_MAX, ParsedFeed, ParseError, parse_feed
from broadsheet.ingest.tests.casefiles import (
    DEFAULT_URL,
    PLACEHOLDER,
    Watch,
    check_expectations,
    read_case,
    serve_hostile,
    watching,
)

FEEDS = Path(__file__).parent / "testdata" / "feeds"
CASES = sorted(
    path for path in FEEDS.iterdir() if path.suffix in {".xml", ".json", ".html", ".rdf"}
)


@dataclass
class FeedWatch(Watch):
    parser_calls: int = 0


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedWatch]:
    """watch records files opened, sockets connected and calls into feedparser during a test."""
    real_parse = xmlfeed.feedparser.parse
    with watching(monkeypatch) as seen:
        feed_watch = FeedWatch(seen.opened, seen.connections)

        def spy_parse(*args: Any, **kwargs: Any) -> Any:
            feed_watch.parser_calls += 1
            return real_parse(*args, **kwargs)

        monkeypatch.setattr(xmlfeed.feedparser, "parse", spy_parse)
        yield feed_watch


def run_parse(content: bytes, **kwargs: Any) -> tuple[ParsedFeed | None, str | None]:
    try:
        return parse_feed(content, **kwargs), None
    except ParseError as error:
        return None, str(error)


@pytest.mark.parametrize("path", CASES, ids=[path.name for path in CASES])
def test_feed_case(
    path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, case = read_case(path)
    publisher = request.getfixturevalue("publisher") if PLACEHOLDER in content else None
    if publisher is not None:
        content = content.replace(PLACEHOLDER, serve_hostile(publisher))
    monkeypatch.setitem(settings.BROADSHEET, "BROADSHEET_MAX_ENTRIES_PER_FEED", 500)
    seen: FeedWatch = request.getfixturevalue("watch")

    feed, error = run_parse(content, url=case.url, content_type=case.content_type)

    check_expectations(
        path.name,
        case.expect,
        {
            "feed": feed,
            "entries": feed.entries if feed else [],
            "error": error,
            "opened": seen.opened,
            "connections": seen.connections,
            "parser_calls": seen.parser_calls,
            "sha256": lambda text: hashlib.sha256(text.encode()).hexdigest(),
            "datetime": datetime,
            "UTC": UTC,
        },
    )
    # Whatever the document says, parsing never reads a file or touches the network.
    assert seen.opened == [] and seen.connections == []
    if publisher is not None:
        assert publisher.hits == []
    if error is None:
        assert_well_formed(feed)


def assert_well_formed(feed: ParsedFeed | None) -> None:
    """assert_well_formed checks the promises every ParsedFeed keeps, whatever the input."""
    assert feed is not None and feed.kind in {"rss", "atom", "json"}
    assert len({entry.key for entry in feed.entries}) == len(feed.entries)
    for entry in feed.entries:
        assert re.fullmatch(r"[0-9a-f]{64}", entry.key)
        assert entry.url == "" or entry.url.startswith(("http://", "https://"))
        assert len(entry.summary) <= SUMMARY_MAX and "\n" not in entry.summary
        for moment in (entry.published, entry.updated):
            assert moment is None or moment.utcoffset() == timedelta(0)


def test_every_case_is_listed() -> None:
    assert len(CASES) >= 25, "testdata/feeds lost its cases"


@pytest.mark.parametrize("path", [p for p in CASES if p.suffix != ".json"], ids=lambda p: p.name)
def test_feedparser_sees_the_bytes_the_guard_judged(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The guard judges feedparser's own UTF-8 conversion and DOCTYPE rewrite of the document.
    # That holds only if feedparser, during the real parse, rewrites exactly those bytes.
    content, case = read_case(path)
    document = content.replace(PLACEHOLDER, b"127.0.0.1:9")  # refused before any request
    rewritten: list[bytes] = []

    def spy_replace_doctype(data: bytes) -> Any:
        rewritten.append(data)
        return replace_doctype(data)

    monkeypatch.setattr(feedparser.api, "replace_doctype", spy_replace_doctype)
    run_parse(document, url=case.url, content_type=case.content_type)
    assert rewritten in ([], [xmlfeed.to_utf8(document, case.content_type)])


# Generated documents: hostile sizes and shapes that do not belong in a file.


def rss(items: str, channel: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Generated</title>'
        f"<link>https://example.com/</link>{channel}{items}</channel></rss>"
    ).encode()


def item(index: int, day: datetime) -> str:
    return (
        f"<item><title>Story {index}</title><link>https://example.com/{index}</link>"
        f"<guid>story-{index}</guid><pubDate>{day:%a, %d %b %Y %H:%M:%S} GMT</pubDate>"
        f"<description>&lt;p&gt;Body of story {index}&lt;/p&gt;</description></item>"
    )


NOT_FEEDS = {
    "empty": b"",
    "whitespace": b"   \n\t ",
    "garbage": b"\x00\xff\xfe\x01" * 64,
    "all-bytes": bytes(range(256)) * 8,
    "path-like": b"/etc/passwd",  # feedparser would open() bytes like these as a file name
    "relative-path-like": b"feed.xml",
    "broken-json": b"{not json",
    "json-array": b"[1, 2, 3]",
    "json-without-items": b'{"version": "https://jsonfeed.org/version/1.1"}',
    "json-null": b"null",
}


@pytest.mark.parametrize("content", NOT_FEEDS.values(), ids=NOT_FEEDS.keys())
def test_not_a_feed(content: bytes, watch: FeedWatch) -> None:
    with pytest.raises(ParseError, match=r"^not a feed: "):
        parse_feed(content, url=DEFAULT_URL)
    assert watch.opened == [], "feedparser must never treat the document as a file name"


@pytest.mark.slow
def test_ten_thousand_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    document = rss(
        "".join(item(index, start + timedelta(minutes=index)) for index in range(10_000))
    )
    monkeypatch.setitem(settings.BROADSHEET, "BROADSHEET_MAX_ENTRIES_PER_FEED", 10_000)

    began = time.perf_counter()
    feed = parse_feed(document, url=DEFAULT_URL)
    elapsed = time.perf_counter() - began
    print(f"\n10,000 entries ({len(document) / 1e6:.1f} MB) parsed in {elapsed:.2f} s")
    assert [entry.guid for entry in feed.entries] == [f"story-{index}" for index in range(10_000)]
    assert feed.entries[-1].published == start + timedelta(minutes=9_999)
    assert elapsed < 20  # generous for a busy shared core; about 2 s on an idle laptop core


def test_capping_keeps_the_newest_in_document_order() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    # A prime stride shuffles the documents: document order is not date order.
    order = [(index * 7919) % 1_000 for index in range(1_000)]
    document = rss("".join(item(index, start + timedelta(minutes=index)) for index in order))
    capped = parse_feed(document, url=DEFAULT_URL, max_entries=50)
    assert [entry.guid for entry in capped.entries] == [f"story-{i}" for i in order if i >= 950]


def test_max_entries_defaults_to_the_setting_read_at_call_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    document = rss("".join(item(index, start + timedelta(days=index)) for index in range(10)))
    monkeypatch.setitem(settings.BROADSHEET, "BROADSHEET_MAX_ENTRIES_PER_FEED", 3)
    feed = parse_feed(document, url=DEFAULT_URL)
    assert [entry.guid for entry in feed.entries] == ["story-7", "story-8", "story-9"]


def test_undated_entries_are_dropped_first_when_capping() -> None:
    dated = item(1, datetime(2024, 1, 1, tzinfo=UTC))
    undated = "<item><title>Undated</title><guid>undated</guid></item>"
    feed = parse_feed(rss(undated + dated), url=DEFAULT_URL, max_entries=1)
    assert [entry.guid for entry in feed.entries] == ["story-1"]


def test_summary_is_capped_plain_text() -> None:
    body = "&lt;p&gt;" + "word " * 2_000 + "&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    feed = parse_feed(
        rss(f"<item><title>Long</title><guid>g</guid><description>{body}</description></item>"),
        url=DEFAULT_URL,
    )
    summary = feed.entries[0].summary
    assert len(summary) <= SUMMARY_MAX and summary.endswith("…") and "alert" not in summary
    assert summary.startswith("word word")


def deep_xml(depth: int, *, closed: bool, inside: str) -> bytes:
    opening, closing = "<x>" * depth, ("</x>" * depth if closed else "")
    nested = opening + closing
    if inside == "channel":
        return rss("<item><title>After</title><guid>after</guid></item>", channel=nested)
    if inside == "description":
        return rss(
            f"<item><title>Deep</title><guid>deep</guid><description>{nested}</description></item>"
        )
    return nested.encode()


@pytest.mark.slow
@pytest.mark.parametrize(
    "inside, closed",
    [("channel", True), ("description", False), ("root", False)],
    ids=["closed-in-channel", "unclosed-in-description", "unclosed-bare"],
)
def test_deep_xml_nesting_is_bounded(inside: str, closed: bool) -> None:
    document = deep_xml(100_000, closed=closed, inside=inside)
    began = time.perf_counter()
    feed, error = run_parse(document, url=DEFAULT_URL)
    assert time.perf_counter() - began < 15
    if inside == "root":
        assert error == "not a feed: no RSS, Atom or JSON Feed document found"
    else:
        assert error is None and feed is not None
        assert [entry.guid for entry in feed.entries] == ["after" if closed else "deep"]


@pytest.mark.parametrize(
    "opening, closing", [("[", "]"), ('{"a":', "}")], ids=["arrays", "objects"]
)
def test_deep_json_nesting_is_a_parse_error(opening: str, closing: str) -> None:
    depth = 100_000
    document = (
        '{"version": "https://jsonfeed.org/version/1.1", "items": [], "x": '
        + opening * depth
        + "1"
        + closing * depth
        + "}"
    ).encode()
    with pytest.raises(ParseError, match="not a feed: the JSON is nested too deeply"):
        parse_feed(document, url=DEFAULT_URL, content_type="application/feed+json")


def test_json_feed_with_wrong_utf8_does_not_crash() -> None:
    document = b'{"version": "https://jsonfeed.org/version/1", "title": "Caf\xe9", "items": []}'
    assert parse_feed(document, url=DEFAULT_URL).title == "Caf\ufffd"


def test_refusal_never_reaches_feedparser(watch: FeedWatch) -> None:
    bomb = (FEEDS / "billion_laughs.xml").read_bytes()
    with pytest.raises(ParseError, match="^refused: the document declares XML entities"):
        parse_feed(bomb, url=DEFAULT_URL)
    assert watch.parser_calls == 0


def test_clock_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    soon = datetime.now(UTC) + timedelta(hours=20)
    later = datetime.now(UTC) + timedelta(days=3)
    feed = parse_feed(rss(item(1, soon) + item(2, later)), url=DEFAULT_URL)
    published = {entry.guid: entry.published for entry in feed.entries}
    assert published["story-1"] is not None and published["story-2"] is None


def test_a_feedparser_crash_fails_only_this_feed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise IndexError("feedparser bug")

    monkeypatch.setattr(xmlfeed.feedparser, "parse", explode)
    with pytest.raises(ParseError, match=r"^not a feed: the parser failed \(IndexError\)$"):
        parse_feed(rss(item(1, datetime(2024, 1, 1, tzinfo=UTC))), url=DEFAULT_URL)
    assert "feedparser failed" in caplog.text  # logged with its traceback, for a bug report
