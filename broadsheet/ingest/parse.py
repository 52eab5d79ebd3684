"""Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) to plain dataclasses; no ORM. (INTERFACE STUB)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class ParseError(Exception):
    """A document that is not a feed we accept, with a human reason."""


@dataclass
class ParsedEntry:
    key: str            # sha256 hex of GUID, else URL, else title+content
    guid: str
    url: str            # absolute
    title: str
    summary: str        # plain text
    content_html: str   # may be empty; unsanitized
    published: datetime | None  # aware, UTC
    updated: datetime | None
    author: str = ""
    image_url: str = ""


@dataclass
class ParsedFeed:
    kind: str           # "rss", "atom", "json"
    title: str
    site_url: str
    entries: list[ParsedEntry] = field(default_factory=list)


def parse_feed(content: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """parse_feed turns a fetched document into a ParsedFeed or raises ParseError."""
    raise NotImplementedError
