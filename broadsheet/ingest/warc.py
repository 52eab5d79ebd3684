"""Archived pages in: the HTML responses of a WARC file (e.g. a Common Crawl news crawl), as plain records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator


@dataclass
class ArchivedPage:
    url: str
    status: int
    content_type: str
    content: bytes


def warc_pages(stream: BinaryIO, *, max_bytes: int) -> Iterator[ArchivedPage]:
    """warc_pages yields the HTML responses of a WARC stream, each body cut at max_bytes.

    Records that are not HTTP responses, not HTML, or whose body is over the cap are skipped:
    an archive is input from strangers like any feed.
    """
    for record in ArchiveIterator(stream):
        if record.rec_type != "response" or record.http_headers is None:
            continue
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        content_type = record.http_headers.get_header("Content-Type") or ""
        if "html" not in content_type.lower():
            continue
        try:
            status = int(record.http_headers.get_statuscode() or 0)
        except ValueError:
            continue
        body = record.content_stream().read(max_bytes + 1)
        if len(body) > max_bytes:
            continue
        yield ArchivedPage(url=url, status=status, content_type=content_type, content=body)
