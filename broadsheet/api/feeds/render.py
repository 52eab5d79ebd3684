"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 writers for a FeedDoc.

Every string passes through `xml_text` first: XML 1.0 cannot carry most control characters (nor
lone surrogates), so one stray byte in a title would make a whole feed unreadable. The XML is
built with ElementTree, which escapes `&` and `<`; nothing is spliced in as raw markup.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import format_datetime

from broadsheet.api.feeds.build import FeedDoc

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("atom", ATOM)
ET.register_namespace("content", CONTENT)
ET.register_namespace("dc", DC)

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


def xml_text(text: str) -> str:
    """xml_text drops the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC)


def _rfc3339(when: datetime) -> str:
    return _utc(when).isoformat(timespec="seconds").replace("+00:00", "Z")


def render_rss(doc: FeedDoc, *, self_url: str) -> bytes:
    """render_rss writes RSS 2.0 with content:encoded bodies and one category per hashtag."""
    rss = ET.Element("rss", version="2.0")
    channel = _sub(rss, "channel")
    _sub(channel, "title", doc.title)
    _sub(channel, "link", doc.link)
    _sub(channel, "description", doc.description or doc.title)
    _sub(channel, f"{{{ATOM}}}link", href=self_url, rel="self", type="application/rss+xml")
    _sub(channel, "lastBuildDate", format_datetime(_utc(doc.updated), usegmt=True))
    _sub(channel, "generator", "Broadsheet")
    for item in doc.items:
        node = _sub(channel, "item")
        _sub(node, "title", item.title)
        _sub(node, "link", item.link)
        _sub(node, "guid", item.id, isPermaLink="false")
        _sub(node, "pubDate", format_datetime(_utc(item.published), usegmt=True))
        if item.author:
            _sub(node, f"{{{DC}}}creator", item.author)
        for category in item.categories:
            _sub(node, "category", category)
        _sub(node, "description", item.summary or item.title)
        _sub(node, f"{{{CONTENT}}}encoded", item.content_html)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def render_atom(doc: FeedDoc, *, self_url: str) -> bytes:
    """render_atom writes Atom 1.0: id, title, updated and links on the feed and every entry."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, f"{{{ATOM}}}id", self_url)
    _sub(feed, f"{{{ATOM}}}title", doc.title)
    _sub(feed, f"{{{ATOM}}}subtitle", doc.description)
    _sub(feed, f"{{{ATOM}}}updated", _rfc3339(doc.updated))
    _sub(feed, f"{{{ATOM}}}link", href=doc.link, rel="alternate", type="text/html")
    _sub(feed, f"{{{ATOM}}}link", href=self_url, rel="self", type="application/atom+xml")
    author = _sub(feed, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", "Broadsheet")
    _sub(feed, f"{{{ATOM}}}generator", "Broadsheet")
    for item in doc.items:
        entry = _sub(feed, f"{{{ATOM}}}entry")
        _sub(entry, f"{{{ATOM}}}id", item.id)
        _sub(entry, f"{{{ATOM}}}title", item.title, type="text")
        _sub(entry, f"{{{ATOM}}}updated", _rfc3339(item.updated))
        _sub(entry, f"{{{ATOM}}}published", _rfc3339(item.published))
        _sub(entry, f"{{{ATOM}}}link", href=item.link, rel="alternate", type="text/html")
        if item.author:
            _sub(_sub(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name", item.author)
        for category in item.categories:
            _sub(entry, f"{{{ATOM}}}category", term=category)
        _sub(entry, f"{{{ATOM}}}summary", item.summary or item.title, type="text")
        _sub(entry, f"{{{ATOM}}}content", item.content_html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def render_json(doc: FeedDoc, *, self_url: str) -> bytes:
    """render_json writes JSON Feed 1.1 (hashtags as tags)."""
    body = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": xml_text(doc.title),
        "home_page_url": doc.link,
        "feed_url": self_url,
        "description": xml_text(doc.description),
        "items": [
            {
                "id": item.id,
                "url": item.link,
                "title": xml_text(item.title),
                "content_html": xml_text(item.content_html),
                "summary": xml_text(item.summary),
                "date_published": _rfc3339(item.published),
                "date_modified": _rfc3339(item.updated),
                "authors": [{"name": xml_text(item.author)}] if item.author else [],
                "tags": [xml_text(c) for c in item.categories],
            }
            for item in doc.items
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "replace")


RENDERERS = {"rss": render_rss, "atom": render_atom, "json": render_json}
