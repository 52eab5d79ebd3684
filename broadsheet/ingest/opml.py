"""OPML subscription lists in and out.

Reading goes through the same XML guard as feeds (bombs and XXE refused before parsing), then
defusedxml, which would refuse them again. The outline tree is walked with an explicit stack so
a hostile 100,000-deep nesting cannot exhaust Python's recursion limit.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import urlsplit

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from broadsheet.ingest import xmlguard
from broadsheet.ingest.parse import ParseError

TITLE_MAX = 500  # Feed.title
CATEGORY_MAX = 200  # Feed.category
URL_MAX = 2000
# Characters XML 1.0 cannot carry at all; a title holding one would make the export unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class Outline:
    xml_url: str
    title: str = ""
    html_url: str = ""
    category: str = ""


def parse_opml(content: bytes) -> list[Outline]:
    """parse_opml reads the feed outlines of an OPML document (XML bombs refused: ParseError)."""
    reason = xmlguard.unsafe_reason(content)
    if reason:
        raise ParseError(f"refused: {reason}")
    try:
        root = defusedxml.ElementTree.fromstring(
            content, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise ParseError(f"refused: {xmlguard.ENTITIES}") from None
    except ET.ParseError as error:
        raise ParseError(f"not an OPML document: {error}") from None
    if root.tag != "opml":
        raise ParseError(f"not an OPML document: the root element is <{root.tag}>")
    return _feed_outlines(root.find("body"))


def _feed_outlines(body: ET.Element | None) -> list[Outline]:
    """_feed_outlines lists outlines with an xmlUrl, depth first, each under its folder's name."""
    found: dict[str, Outline] = {}
    stack = [(child, "") for child in reversed(list(body if body is not None else []))]
    while stack:
        element, folder = stack.pop()
        if element.tag != "outline":
            continue
        label = _clean(element.get("title") or element.get("text") or "")
        xml_url = _feed_url(element.get("xmlUrl") or element.get("xmlurl") or "")
        if xml_url and xml_url not in found:  # the first listing of a URL wins
            found[xml_url] = Outline(
                xml_url=xml_url,
                title=label[:TITLE_MAX],
                html_url=_feed_url(element.get("htmlUrl") or ""),
                category=(folder or _category_attribute(element))[:CATEGORY_MAX],
            )
        # An outline without a feed is a folder: its name is its children's category.
        inner = folder if xml_url else (label or folder)
        stack.extend((child, inner) for child in reversed(list(element)))
    return list(found.values())


def _feed_url(value: str) -> str:
    url = value.strip()
    if url.lower().startswith("feed://"):  # the old "subscribe" scheme stands for http
        url = "http://" + url[len("feed://") :]
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(url) > URL_MAX:
        return ""
    return url


def _category_attribute(element: ET.Element) -> str:
    # OPML 2.0's category attribute: comma-separated, slash-delimited paths ("/World/Asia").
    first = (element.get("category") or "").split(",")[0]
    return _clean(first.strip().strip("/").rsplit("/", 1)[-1])


def _clean(text: str) -> str:
    return " ".join(text.split())


def render_opml(outlines: list[Outline], *, title: str = "Broadsheet subscriptions") -> bytes:
    """render_opml writes outlines as an OPML 2.0 document, grouped by category."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_safe(title)
    ET.SubElement(head, "dateCreated").text = formatdate(usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for outline in outlines:
        parent = body
        if outline.category:
            if outline.category not in folders:
                name = _xml_safe(outline.category)
                folders[outline.category] = ET.SubElement(body, "outline", text=name, title=name)
            parent = folders[outline.category]
        label = _xml_safe(outline.title or outline.xml_url)
        attributes = {
            "type": "rss",
            "text": label,
            "title": label,
            "xmlUrl": _xml_safe(outline.xml_url),
        }
        if outline.html_url:
            attributes["htmlUrl"] = _xml_safe(outline.html_url)
        ET.SubElement(parent, "outline", attributes)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)
