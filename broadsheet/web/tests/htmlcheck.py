"""Checks on rendered pages: nothing executable got in, only our own scripts, and sound structure.

Shared with the browser tests: `problems(html)` lists what is wrong with a page (empty when clean).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

URL_ATTRS = {
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "xlink:href",
    "cite",
}
FORBIDDEN_TAGS = {
    "iframe",
    "object",
    "embed",
    "base",
    "frame",
    "frameset",
    "applet",
    "svg",
    "math",
    "style",
}
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|livescript):", re.I)
_CONTROL = re.compile(r"[\x00-\x20]+")


class Page(HTMLParser):
    """Page is a parsed document: its elements, script bodies and headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.headings: list[int] = []
        self._script: dict[str, str] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        if tag == "script":
            self._script, self._script_text = values, []
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)


def parse(html: str) -> Page:
    """parse reads a page."""
    page = Page()
    page.feed(html)
    page.close()
    return page


def _bad_url(value: str) -> bool:
    return bool(_BAD_SCHEME.match(_CONTROL.sub("", value)))


def problems(html: str) -> list[str]:
    """problems lists anything executable or inline in a page: the CSP would block it, or worse."""
    page = parse(html)
    found: list[str] = []
    for tag, attrs in page.elements:
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}> element")
        if tag == "meta" and attrs.get("http-equiv"):
            found.append("meta http-equiv")
        if (
            tag == "link"
            and "stylesheet" in attrs.get("rel", "")
            and not attrs.get("href", "").startswith("/static/")
        ):
            found.append(f"foreign stylesheet {attrs.get('href')!r}")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"event handler {name}= on <{tag}>")
            if name == "style":
                found.append(f"inline style on <{tag}>")
            if name.startswith("hx-on") or (name in {"hx-vals", "hx-headers"} and "js:" in value):
                found.append(f"htmx script attribute {name}")
            if name in URL_ATTRS and _bad_url(value):
                found.append(f"{name}={value[:40]!r} on <{tag}>")
            if name == "srcset" and any(_bad_url(part.strip()) for part in value.split(",")):
                found.append(f"srcset={value[:40]!r}")
    for attrs, text in page.scripts:
        kind = attrs.get("type", "")
        if kind == "application/ld+json":
            try:
                json.loads(text)
            except ValueError:
                found.append("JSON-LD that is not JSON")
        elif not attrs.get("src", "").startswith("/static/") or text.strip():
            found.append(f"inline or foreign script {attrs.get('src', text[:40])!r}")
    return found


def jsonld(html: str) -> list[object]:
    """jsonld returns the page's JSON-LD blocks, parsed."""
    return [json.loads(t) for a, t in parse(html).scripts if a.get("type") == "application/ld+json"]
