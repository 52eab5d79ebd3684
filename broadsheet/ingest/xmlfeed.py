"""RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 through feedparser, behind the XML guard.

feedparser re-encodes the document to UTF-8 and rewrites its DOCTYPE before parsing
(`convert_to_utf8`, `replace_doctype`). The guard must judge the bytes feedparser's own parsers
will read, so both steps run here first with feedparser's own functions and the guard checks
both results. feedparser then gets those UTF-8 bytes, which its conversion leaves unchanged and
its rewrite turns into exactly the text the guard judged (a test holds both over testdata).
"""

from __future__ import annotations

import html
import io
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser
from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype

from broadsheet.ingest import xmlguard
from broadsheet.ingest.drafts import EntryDraft, FeedDraft, Unreadable

logger = logging.getLogger(__name__)

# What feedparser is told on its own pass: the bytes are UTF-8 XML by then.
UTF8_XML = "application/xml; charset=utf-8"
_ABSOLUTE = re.compile(r"https?://", re.IGNORECASE)
# Every version feedparser can report needs one of these elements (rss, Atom's feed, RSS 1.0's
# rdf:RDF, channel for unversioned RSS and CDF).
_FEED_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?(?:rss|feed|rdf|channel)[\s>/]", re.IGNORECASE)
_HTML_PAGE = re.compile(rb"<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)


def read_xml_feed(content: bytes, *, content_type: str) -> FeedDraft:
    """read_xml_feed parses an RSS or Atom document into a FeedDraft, or raises Unreadable."""
    data = to_utf8(content, content_type)
    refuse_unsafe(data)
    if not _FEED_ELEMENT.search(data):  # spares feedparser a long walk through a non-feed
        raise Unreadable(f"not a feed: {_describe_non_feed(content)}")
    try:
        result = _feedparser_parse(data)
    except Exception as error:  # a third-party parser on hostile input: fail this feed only
        logger.warning("feedparser failed on a document", exc_info=True)
        raise Unreadable(f"not a feed: the parser failed ({type(error).__name__})") from None
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


def _feedparser_parse(data: bytes) -> Any:
    return feedparser.parse(
        # A BytesIO, never bytes or str: feedparser opens a str URL, and tries open() on bytes
        # as a file name before treating them as the document.
        io.BytesIO(data),
        # No content-location: feedparser would resolve GUIDs against it too, and a feed that
        # moved would re-key every entry. parse.py resolves links against the feed URL instead,
        # after feedparser applied any xml:base, and keeps only http(s) results.
        response_headers={"content-type": UTF8_XML},
        # Content HTML is left as written: rewriting it against a hostile xml:base gains nothing,
        # and the article sanitizer resolves links against the entry URL anyway.
        resolve_relative_uris=False,
        sanitize_html=False,  # the sanitizer runs last, on what is kept
    )


def to_utf8(content: bytes, content_type: str) -> bytes:
    """to_utf8 re-encodes content as UTF-8 the way feedparser does (BOM, charset, declaration)."""
    # Whitespace before <?xml is a common publishing bug (WordPress plugins); dropping it lets the
    # strict parser read the document. Only ASCII whitespace, and only when `<` follows, so
    # UTF-16 byte pairs are never split.
    stripped = content.lstrip(b" \t\r\n")
    if stripped.startswith(b"<"):
        content = stripped
    headers = {"content-type": content_type} if content_type else {}
    return convert_to_utf8(headers, content, {})


def refuse_unsafe(data: bytes) -> None:
    """refuse_unsafe raises Unreadable when the document or feedparser's rewrite of it is unsafe."""
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
    link = str(entry.get("link") or "").strip()
    if entry.get("guidislink") and not _ABSOLUTE.match(link):
        link = ""  # an RSS guid stands in for the link only when it is a URL, not "post-42"
    return EntryDraft(
        guid=str(entry.get("id") or "").strip(),
        link=link,
        title_html=_html_of(entry, "title"),
        summary_html=_html_of(entry, "summary") or content,
        content_html=content,
        published=_datetime(entry.get("published_parsed")),
        # dict.get: FeedParserDict.get("updated_parsed") falls back to the published date.
        updated=_datetime(dict.get(entry, "updated_parsed")),
        author=str((entry.get("author_detail") or {}).get("name") or entry.get("author") or ""),
        image_url=_image_url(entry),
    )


def _html_of(node: Any, name: str) -> str:
    """_html_of returns a text construct as HTML, escaping it when the feed marked it plain text."""
    value = str(node.get(name) or "")
    # No detail means feedparser copied the value from elsewhere (an Atom summary taken from
    # the content); "html" also matches application/xhtml+xml.
    kind = (node.get(f"{name}_detail") or {}).get("type", "text/html")
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
        if media.get("url") and (
            mime.startswith("image/") or medium == "image" or not (mime or medium)
        ):
            return str(media["url"])
    for thumbnail in entry.get("media_thumbnail") or []:
        if thumbnail.get("url"):
            return str(thumbnail["url"])
    for enclosure in entry.get("enclosures") or []:
        if enclosure.get("href") and str(enclosure.get("type", "")).startswith("image/"):
            return str(enclosure["href"])
    return str((entry.get("image") or {}).get("href") or "")
