"""RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 through feedparser, behind the XML guard.

feedparser re-encodes the document to UTF-8 and rewrites its DOCTYPE before parsing
(`convert_to_utf8`, `replace_doctype`). The guard must judge the bytes feedparser's own parsers
will read, so both steps run here first with feedparser's own functions, the guard checks the
results, and feedparser then gets those UTF-8 bytes (on which both steps are no-ops).
"""

from __future__ import annotations

import html
import io
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser
from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype

from broadsheet.ingest import xmlguard
from broadsheet.ingest.drafts import EntryDraft, FeedDraft, Unreadable

# What feedparser is told on its own pass: the bytes are UTF-8 XML by then.
UTF8_XML = "application/xml; charset=utf-8"
_HTML_PAGE = re.compile(rb"<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)


def read_xml_feed(content: bytes, *, url: str, content_type: str) -> FeedDraft:
    """read_xml_feed parses an RSS or Atom document into a FeedDraft (Unreadable when refused or not a feed)."""
    data = to_utf8(content, content_type)
    refuse_unsafe(data)
    result = feedparser.parse(
        # A BytesIO, never bytes or str: feedparser opens a str URL, and tries open() on bytes
        # as a file name before treating them as the document.
        io.BytesIO(data),
        # content-location is the base for relative links (xml:base still applies on top; the
        # caller keeps only http(s) results). Nothing is fetched from it.
        response_headers={"content-type": UTF8_XML, "content-location": url},
        # Content HTML is left as written: rewriting it against a hostile xml:base gains nothing,
        # and the article sanitizer resolves links against the entry URL anyway.
        resolve_relative_uris=False,
        sanitize_html=False,  # the sanitizer runs last, on what is kept
    )
    version = str(result.get("version") or "")
    kind = "rss" if version.startswith("rss") else "atom" if version.startswith("atom") else ""
    if not kind:
        raise Unreadable(f"not a feed: {_describe_non_feed(content)}")
    feed = result.get("feed", {})
    return FeedDraft(
        kind=kind,
        title_html=_html_of(feed, "title"),
        site_url=str(feed.get("link") or ""),
        entries=[_entry(entry) for entry in result.get("entries", [])],
    )


def to_utf8(content: bytes, content_type: str) -> bytes:
    """to_utf8 decodes content the way feedparser does (BOM, HTTP charset, XML declaration, fallbacks)."""
    # Whitespace before <?xml is a common publishing bug (WordPress plugins); dropping it lets the
    # strict parser read the document. Only ASCII whitespace, and only when `<` follows, so
    # UTF-16 byte pairs are never split.
    stripped = content.lstrip(b" \t\r\n")
    if stripped.startswith(b"<"):
        content = stripped
    headers = {"content-type": content_type} if content_type else {}
    return convert_to_utf8(headers, content, {})


def refuse_unsafe(data: bytes) -> None:
    """refuse_unsafe raises Unreadable unless neither the document nor feedparser's rewrite of it declares entities."""
    _version, rewritten, entities = replace_doctype(data)
    if entities:  # the loose parser would expand these
        raise Unreadable(f"refused: {xmlguard.ENTITIES}")
    for candidate in (data, rewritten):
        reason = xmlguard.unsafe_reason(candidate)
        if reason:
            raise Unreadable(f"refused: {reason}")


def _describe_non_feed(content: bytes) -> str:
    if not content.strip():
        return "the document is empty"
    if _HTML_PAGE.search(content[:4096]):
        return "it is an HTML page"
    return "no RSS, Atom or JSON Feed document found"


def _entry(entry: Any) -> EntryDraft:
    content = _content_html(entry)
    return EntryDraft(
        guid=str(entry.get("id") or "").strip(),
        link=str(entry.get("link") or "").strip(),
        title_html=_html_of(entry, "title"),
        summary_html=_html_of(entry, "summary") or content,
        content_html=content,
        published=_datetime(entry.get("published_parsed")),
        updated=_datetime(entry.get("updated_parsed")),
        author=str((entry.get("author_detail") or {}).get("name") or entry.get("author") or ""),
        image_url=_image_url(entry),
    )


def _html_of(node: Any, name: str) -> str:
    """_html_of returns a text construct as HTML, escaping it when the feed marked it plain text."""
    value = str(node.get(name) or "")
    kind = (node.get(f"{name}_detail") or {}).get("type", "")
    return value if "html" in kind else html.escape(value, quote=False)


def _content_html(entry: Any) -> str:
    contents = entry.get("content") or []
    for item in contents:
        if "html" in item.get("type", ""):
            return str(item.get("value") or "")
    if contents:
        return html.escape(str(contents[0].get("value") or ""), quote=False)
    return ""


def _datetime(parsed: time.struct_time | None) -> datetime | None:
    # feedparser's *_parsed structs are already in UTC.
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _image_url(entry: Any) -> str:
    """_image_url picks the lead image: media:content, media:thumbnail, image enclosure, itunes:image."""
    for media in entry.get("media_content") or []:
        mime, medium = str(media.get("type", "")), str(media.get("medium", ""))
        # Media declared as anything but an image is skipped; undeclared media is usually a photo.
        if media.get("url") and (mime.startswith("image/") or medium == "image" or not (mime or medium)):
            return str(media["url"])
    for thumbnail in entry.get("media_thumbnail") or []:
        if thumbnail.get("url"):
            return str(thumbnail["url"])
    for enclosure in entry.get("enclosures") or []:
        if enclosure.get("href") and str(enclosure.get("type", "")).startswith("image/"):
            return str(enclosure["href"])
    return str((entry.get("image") or {}).get("href") or "")
