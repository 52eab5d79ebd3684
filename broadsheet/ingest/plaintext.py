"""HTML fragments from feeds to short plain text (titles and summaries)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Markup past this many characters cannot change a 2,000-character summary much; the cut bounds
# the work a hostile multi-megabyte description can cause.
_MAX_INPUT = 64 * 1024
_HIDDEN = {"script", "style", "template", "noscript", "head", "title"}
# Block-level tags end a word even when the markup has no whitespace between them.
_BREAKS = {
    "br",
    "p",
    "div",
    "li",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "section",
    "article",
    "hr",
    "img",
}
_SPACES = re.compile(r"\s+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden_depth += 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)


def html_to_text(html: str, *, limit: int) -> str:
    """html_to_text strips tags, unescapes entities, collapses whitespace and caps the length."""
    if "<" not in html and "&" not in html:  # most titles: no markup to parse
        return truncate(_SPACES.sub(" ", html[:_MAX_INPUT]).strip(), limit)
    collector = _TextCollector()
    collector.feed(html[:_MAX_INPUT])
    collector.close()
    return truncate(_SPACES.sub(" ", "".join(collector.parts)).strip(), limit)


def truncate(text: str, limit: int) -> str:
    """truncate cuts text to at most limit characters, at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"
