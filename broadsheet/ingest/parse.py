"""Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) to plain dataclasses; no ORM.

The format adapters (xmlfeed, jsonfeed) return drafts; this module gives every entry its key,
drops duplicates, keeps the newest `max_entries`, makes URLs absolute and turns text plain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from broadsheet.ingest import jsonfeed, xmlfeed
from broadsheet.ingest.drafts import EntryDraft, FeedDraft, Unreadable
from broadsheet.ingest.plaintext import html_to_text, truncate

TITLE_MAX = 500  # characters; Feed.title holds 500
SUMMARY_MAX = 2000
AUTHOR_MAX = 200
GUID_MAX = 2000  # stored GUIDs are cut to fit FeedEntry.guid; the key hashes the whole GUID
URL_MAX = 2000  # longer URLs are dropped rather than cut: a cut URL points somewhere else
# Publishers in a time zone ahead of UTC who mislabel it look up to ~14 hours ahead. Past a day
# the date is wrong, not early: it becomes None ("unknown", so the article page's own date is
# used) rather than now, so a far-future entry can never sit at the top of every list.
FUTURE_TOLERANCE = timedelta(days=1)
_UNDATED = datetime.min.replace(tzinfo=UTC)


class ParseError(Exception):
    """A document that is not a feed we accept, with a human reason."""


@dataclass
class ParsedEntry:
    key: str  # sha256 hex of GUID, else URL, else title+content
    guid: str
    url: str  # absolute
    title: str
    summary: str  # plain text
    content_html: str  # may be empty; unsanitized
    published: datetime | None  # aware, UTC; the updated date when the feed gives only that
    updated: datetime | None
    author: str = ""
    image_url: str = ""


@dataclass
class ParsedFeed:
    kind: str  # "rss", "atom", "json"
    title: str
    site_url: str
    entries: list[ParsedEntry] = field(default_factory=list)


def parse_feed(
    content: bytes, *, url: str, content_type: str = "", max_entries: int | None = None
) -> ParsedFeed:
    """parse_feed turns a fetched document into a ParsedFeed or raises ParseError."""
    if max_entries is None:
        max_entries = settings.BROADSHEET["BROADSHEET_MAX_ENTRIES_PER_FEED"]
    if not content.strip():
        raise ParseError("not a feed: the document is empty")
    try:
        if jsonfeed.is_json_feed(content, content_type):
            draft = jsonfeed.read_json_feed(content)
        else:
            draft = xmlfeed.read_xml_feed(content, content_type=content_type)
    except Unreadable as error:
        raise ParseError(str(error)) from None
    except RecursionError:  # a parser that recurses per nesting level met a hostile document
        raise ParseError("not a feed: the document is nested too deeply") from None
    return _finish(draft, url=url, max_entries=max_entries, now=datetime.now(UTC))


def entry_key(*, guid: str, url: str, title: str, content: str) -> str:
    """entry_key is the sha256 hex that identifies an entry within its feed across polls."""
    if guid:
        source = "guid:" + guid
    elif url:
        source = "url:" + url
    else:
        source = "hash:" + title + content
    return hashlib.sha256(source.encode("utf-8", errors="surrogatepass")).hexdigest()


class _Keyed(NamedTuple):
    key: str
    entry: EntryDraft
    link: str  # absolute, or "" when unusable


def _finish(draft: FeedDraft, *, url: str, max_entries: int, now: datetime) -> ParsedFeed:
    horizon = now + FUTURE_TOLERANCE
    unique: dict[str, _Keyed] = {}
    for entry in draft.entries:
        link = _absolute(entry.link, base=url)
        key = entry_key(
            guid=entry.guid,
            url=link,
            title=entry.title_html,
            content=entry.content_html or entry.summary_html,
        )
        unique.setdefault(key, _Keyed(key, entry, link))  # a repeated GUID or URL: first wins
    kept = _newest(list(unique.values()), max_entries, horizon)
    return ParsedFeed(
        kind=draft.kind,
        title=html_to_text(draft.title_html, limit=TITLE_MAX),
        site_url=_absolute(draft.site_url, base=url),
        entries=[_parsed(keyed, base=url, horizon=horizon) for keyed in kept],
    )


def _newest(candidates: list[_Keyed], limit: int, horizon: datetime) -> list[_Keyed]:
    """_newest keeps the `limit` most recent entries, undated ones last, in document order."""
    if len(candidates) <= limit:
        return candidates

    def recency(index: int) -> tuple[bool, datetime]:
        entry = candidates[index].entry
        moment = _date(entry.published, horizon) or _date(entry.updated, horizon)
        return (moment is not None, moment or _UNDATED)

    chosen = sorted(range(len(candidates)), key=recency, reverse=True)[: max(limit, 0)]
    return [candidates[index] for index in sorted(chosen)]


def _parsed(keyed: _Keyed, *, base: str, horizon: datetime) -> ParsedEntry:
    entry = keyed.entry
    updated = _date(entry.updated, horizon)
    return ParsedEntry(
        key=keyed.key,
        guid=entry.guid[:GUID_MAX],
        url=keyed.link,
        title=html_to_text(entry.title_html, limit=TITLE_MAX),
        summary=html_to_text(entry.summary_html, limit=SUMMARY_MAX),
        content_html=entry.content_html,
        published=_date(entry.published, horizon) or updated,
        updated=updated,
        author=truncate(" ".join(entry.author.split()), AUTHOR_MAX),
        image_url=_absolute(entry.image_url, base=base),
    )


def _date(moment: datetime | None, horizon: datetime) -> datetime | None:
    if moment is None or moment > horizon:
        return None
    return moment.astimezone(UTC)


def _absolute(link: str, *, base: str) -> str:
    """_absolute resolves link against base and keeps it only if it is a plausible http(s) URL."""
    if not link:
        return ""
    try:
        joined = urljoin(base, link.strip())
        parts = urlsplit(joined)
    except ValueError:  # e.g. a malformed IPv6 host
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname or len(joined) > URL_MAX:
        return ""
    return joined
