"""What a format adapter (xmlfeed, jsonfeed) hands to parse.py: raw fields, not yet keyed or capped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class Unreadable(Exception):
    """Unreadable carries the full human reason ("refused: …", "not a feed: …") up to parse_feed."""


@dataclass
class EntryDraft:
    # Text fields are HTML (adapters escape plain text), so parse.py has one text converter.
    guid: str
    link: str  # as written in the document; may be relative
    title_html: str
    summary_html: str
    content_html: str
    published: datetime | None  # aware
    updated: datetime | None
    author: str = ""
    image_url: str = ""


@dataclass
class FeedDraft:
    kind: str  # "rss", "atom", "json"
    title_html: str
    site_url: str
    entries: list[EntryDraft] = field(default_factory=list)
