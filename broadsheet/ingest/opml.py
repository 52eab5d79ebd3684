"""OPML subscription lists in and out. (INTERFACE STUB)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outline:
    xml_url: str
    title: str = ""
    html_url: str = ""
    category: str = ""


def parse_opml(content: bytes) -> list[Outline]:
    """parse_opml reads the feed outlines of an OPML document (XML bombs refused: ParseError)."""
    raise NotImplementedError


def render_opml(outlines: list[Outline], *, title: str = "Broadsheet subscriptions") -> bytes:
    """render_opml writes outlines as an OPML 2.0 document, grouped by category."""
    raise NotImplementedError
