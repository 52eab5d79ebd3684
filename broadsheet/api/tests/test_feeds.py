"""Feeds out: every kind in every format parses bozo-free and carries what its format requires."""

from __future__ import annotations

import json
from typing import Any

import feedparser
import pytest
from django.test import Client
from django.urls import reverse

from broadsheet.api.feeds.keys import foryou_key
from broadsheet.api.tests.conftest import NASTY, Newsroom
from broadsheet.community.models import Follow
from broadsheet.enrich.models import Story
from broadsheet.ingest.parse import parse_feed

FORMATS = ["rss", "atom", "json"]


def feed_key(room: Newsroom, kind: str) -> str:
    if kind == "tag":
        return room.tags[1].slug  # Korean slug: 미사일
    if kind == "source":
        return str(room.sources[1].pk)  # "Yonhap & Co <wire>"
    if kind == "story":
        return str(room.story.pk)
    if kind == "wrapup":
        return room.articles[0].published_at.date().isoformat()  # type: ignore[union-attr]
    Follow.objects.create(user=room.reader, source=room.sources[0])
    return foryou_key(user=room.reader)


def parse(response: Any) -> Any:
    """parse reads a response as a client would: with its Content-Type (how feedparser spots JSON Feed)."""
    return feedparser.parse(
        response.content, response_headers={"content-type": response["Content-Type"]}
    )


def fetch(client: Client, kind: str, key: str, fmt: str, **headers: str) -> Any:
    return client.get(
        reverse("api:feed", kwargs={"kind": kind, "key": key, "fmt": fmt}), headers=headers
    )


@pytest.fixture
def nasty_story(newsroom: Newsroom) -> Newsroom:
    """The story (and so the wrap-up) gets the title with every character that breaks feeds."""
    Story.objects.filter(pk=newsroom.story.pk).update(
        title=NASTY, summary=[[NASTY, [1]], ["Plain.", []]]
    )
    newsroom.articles[0].title = NASTY
    newsroom.articles[0].save()
    return newsroom


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["tag", "source", "story", "wrapup", "foryou"])
def test_every_feed_parses_cleanly(
    nasty_story: Newsroom, client: Client, kind: str, fmt: str
) -> None:
    response = fetch(client, kind, feed_key(nasty_story, kind), fmt)
    assert response.status_code == 200, response.content[:300]
    validate(fmt, response)
    # Our own reader (the ingest parser) reads every format back.
    ours = parse_feed(
        response.content, url="http://testserver/feed", content_type=response["Content-Type"]
    )
    assert ours.kind == fmt and ours.title and ours.entries
    if fmt == "json":
        titles = [item["title"] for item in json.loads(response.content)["items"]]
    else:  # feedparser 6.0 reads RSS and Atom (it has no JSON Feed reader)
        parsed = parse(response)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.feed.title and parsed.feed.link
        titles = [e.title for e in parsed.entries]
        assert len(titles) == len(ours.entries)
        for entry in parsed.entries:
            assert entry.id and entry.link and entry.get("published_parsed")
        if kind != "wrapup":
            assert {t.term for t in parsed.entries[0].get("tags", [])} >= {"NorthKorea"}
    if kind in ("tag", "story", "foryou", "wrapup"):
        # The ampersand, the markup-looking text, the emoji and the Korean survive; controls do not.
        assert 'Fish & chips <b>bold</b> "quoted" 🐟 북한 미사일  end' in titles
    if kind != "wrapup":
        assert "Key points" in ours.entries[0].content_html
        assert "Point one of" in ours.entries[0].content_html


def validate(fmt: str, response: Any) -> None:
    """validate checks each format's required elements beyond what feedparser forgives."""
    import xml.etree.ElementTree as ET

    content_type = response["Content-Type"]
    if fmt == "json":
        assert content_type.startswith("application/feed+json")
        body = json.loads(response.content)
        assert body["version"] == "https://jsonfeed.org/version/1.1"
        assert isinstance(body["title"], str) and body["title"]
        assert isinstance(body["items"], list)
        for item in body["items"]:
            assert isinstance(item["id"], str) and item["id"]
            assert item["tags"] == [] or all(isinstance(t, str) for t in item["tags"])
            assert "content_html" in item or "content_text" in item
        return
    root: Any = ET.fromstring(response.content)
    if fmt == "atom":
        assert content_type.startswith("application/atom+xml")
        ns = {"a": "http://www.w3.org/2005/Atom"}
        assert root.tag == "{http://www.w3.org/2005/Atom}feed"
        for need in ("a:id", "a:title", "a:updated", "a:author/a:name"):
            assert root.find(need, ns) is not None and (root.find(need, ns).text or "").strip()
        assert root.find("a:link[@rel='self']", ns) is not None
        for entry in root.findall("a:entry", ns):
            for need in ("a:id", "a:title", "a:updated"):
                assert (entry.find(need, ns).text or "").strip()
            assert entry.find("a:link", ns) is not None
    else:
        assert content_type.startswith("application/rss+xml")
        assert root.tag == "rss" and root.get("version") == "2.0"
        channel = root.find("channel")
        for need in ("title", "link", "description"):
            assert (channel.find(need).text or "").strip()
        for item in channel.findall("item"):
            assert item.find("title") is not None or item.find("description") is not None


def test_conditional_get(newsroom: Newsroom, client: Client) -> None:
    first = fetch(client, "tag", "north-korea", "atom")
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    again = fetch(client, "tag", "north-korea", "atom", **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    since = fetch(
        client, "tag", "north-korea", "atom", **{"If-Modified-Since": first["Last-Modified"]}
    )
    assert since.status_code == 304
    newsroom.articles[0].title = "Changed"
    newsroom.articles[0].updated_at = newsroom.articles[0].published_at.replace(year=2026)  # type: ignore[union-attr]
    newsroom.articles[0].save()
    assert (
        fetch(client, "tag", "north-korea", "atom", **{"If-None-Match": first["ETag"]}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("tag", "no-such-tag"),
        ("source", "999999"),
        ("source", "abc"),
        ("story", "99999999999999999999999"),
        ("wrapup", "2025-13-45"),
        ("foryou", "1-00000000000000000000000000000000"),
        ("foryou", "nonsense"),
    ],
)
def test_unknown_feeds_are_404(newsroom: Newsroom, client: Client, kind: str, key: str) -> None:
    assert fetch(client, kind, key, "rss").status_code == 404


def test_foryou_key_rotates_with_the_password(newsroom: Newsroom, client: Client) -> None:
    Follow.objects.create(user=newsroom.reader, source=newsroom.sources[0])
    key = foryou_key(user=newsroom.reader)
    response = fetch(client, "foryou", key, "json")
    assert response.status_code == 200 and response["Cache-Control"].startswith("private")
    urls = {item["url"] for item in json.loads(response.content)["items"]}
    assert urls and all("koreaherald.example" in u for u in urls)
    # Another reader's id with this reader's MAC is refused.
    forged = f"{newsroom.other.pk}-{key.split('-', 1)[1]}"
    assert fetch(client, "foryou", forged, "json").status_code == 404
    newsroom.reader.set_password("a-new-site-password")
    newsroom.reader.save()
    assert fetch(client, "foryou", key, "json").status_code == 404


def test_an_empty_feed_is_still_valid(newsroom: Newsroom, client: Client) -> None:
    for fmt in FORMATS:
        response = fetch(client, "source", str(newsroom.sources[2].pk), fmt)
        validate(fmt, response)
        assert (
            parse_feed(
                response.content, url="http://x/", content_type=response["Content-Type"]
            ).entries
            == []
        )
        if fmt != "json":
            parsed = parse(response)
            assert parsed.bozo == 0 and parsed.entries == []


def test_feeds_only_answer_get(newsroom: Newsroom, client: Client) -> None:
    url = reverse("api:feed", kwargs={"kind": "tag", "key": "north-korea", "fmt": "rss"})
    assert client.post(url).status_code in (403, 405)  # CSRF or method: never a write
