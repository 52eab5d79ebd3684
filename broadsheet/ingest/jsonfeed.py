"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

from broadsheet.ingest.drafts import EntryDraft, FeedDraft, Unreadable

JSON_TYPES = {"application/feed+json", "application/json"}


def is_json_feed(content: bytes, content_type: str) -> bool:
    """is_json_feed says whether a document should be read as JSON Feed rather than XML."""
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"<"):  # the body wins over a mislabelled Content-Type
        return start == b"{"
    return content_type.split(";")[0].strip().lower() in JSON_TYPES


def read_json_feed(content: bytes) -> FeedDraft:
    """read_json_feed parses a JSON Feed document into a FeedDraft (Unreadable when it is not one)."""
    try:
        try:
            document = json.loads(content)
        except UnicodeDecodeError:  # JSON Feed is UTF-8; read what a wrong byte leaves readable
            document = json.loads(content.decode("utf-8", errors="replace"))
    except RecursionError:
        raise Unreadable("not a feed: the JSON is nested too deeply") from None
    except ValueError as error:
        raise Unreadable(f"not a feed: invalid JSON ({error})") from None
    if not (
        isinstance(document, dict)
        and "jsonfeed.org/version/" in _text(document.get("version"))
        and isinstance(document.get("items"), list)
    ):
        raise Unreadable("not a feed: JSON without a JSON Feed version and items")
    return FeedDraft(
        kind="json",
        title_html=_escaped(document.get("title")),
        site_url=_text(document.get("home_page_url")),
        entries=[_entry(item) for item in document["items"] if isinstance(item, dict)],
    )


def _entry(item: dict[str, Any]) -> EntryDraft:
    content_html = _text(item.get("content_html")) or _escaped(item.get("content_text"))
    return EntryDraft(
        guid=_guid(item.get("id")),
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title_html=_escaped(item.get("title")),
        summary_html=_escaped(item.get("summary")) or content_html,
        content_html=content_html,
        published=_rfc3339(item.get("date_published")),
        updated=_rfc3339(item.get("date_modified")),
        author=_author(item),
        image_url=_image(item),
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _escaped(value: object) -> str:
    return html.escape(_text(value), quote=False)


def _guid(value: object) -> str:
    # 1.1 says a string; 1.0 feeds also use numbers. Anything else is not an identifier.
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return _text(value)


def _author(item: dict[str, Any]) -> str:
    authors = item.get("authors")  # 1.1
    candidates = authors if isinstance(authors, list) else [item.get("author")]  # 1.0
    for author in candidates:
        if isinstance(author, dict) and _text(author.get("name")):
            return _text(author.get("name"))
    return ""


def _image(item: dict[str, Any]) -> str:
    image = _text(item.get("image")) or _text(item.get("banner_image"))
    if image:
        return image
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict) and _text(attachment.get("mime_type")).startswith("image/"):
            return _text(attachment.get("url"))
    return ""


def _rfc3339(value: object) -> datetime | None:
    text = _text(value).upper()  # fromisoformat wants "T" and "Z"; RFC 3339 allows lower case
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # RFC 3339 requires an offset; a feed without one means UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
