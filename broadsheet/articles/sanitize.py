"""The last step before storage: an allowlist sanitizer for article HTML."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree
from lxml import html as lxml_html

TAGS = {
    "p", "br", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "figure", "figcaption",
    "img", "a", "strong", "em", "b", "i", "u", "sub", "sup", "code", "pre",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
}  # fmt: skip
ATTRIBUTES: dict[str, set[str]] = {
    "*": set(),  # no generic attributes (nh3 otherwise allows lang and title everywhere)
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# Tags dropped with everything inside them; other disallowed tags are unwrapped, keeping their text.
DROP_WITH_CONTENT = {
    "script", "style", "template", "iframe", "object", "embed", "form", "select", "textarea",
    "button", "svg", "math", "noscript", "title", "head",
}  # fmt: skip
LINK_SCHEMES = {"http", "https", "mailto"}
IMAGE_SCHEMES = {"http", "https"}
LINK_REL = "noopener noreferrer"


def sanitize_html(html: str, *, base_url: str) -> str:
    """sanitize_html keeps allowlisted tags, makes URLs absolute and links rel=noopener noreferrer."""
    if not html.strip():
        return ""
    base = base_url if urlsplit(base_url).scheme in IMAGE_SCHEMES else ""
    cleaner = nh3.Cleaner(
        tags=TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ATTRIBUTES,
        attribute_filter=lambda tag, attr, value: _attribute(tag, attr, value, base),
        link_rel=LINK_REL,
        url_schemes=LINK_SCHEMES,
        # with no base to resolve against, a relative URL cannot be made absolute
        url_relative=("rewrite_with_base", base) if base else "deny",
    )
    return cleaner.clean(_bounded(html)).strip()


def _bounded(html: str) -> str:
    """Re-serialize through libxml2, which stops 256 levels down (nh3 is quadratic in nesting
    depth: 100k nested tags take it ~20 s), and turn <h1> into <h2> under the page's own title."""
    root = _parse_fragment(html)
    if root is None:
        return ""
    for h1 in root.iter("h1"):
        h1.tag = "h2"
    head = (root.text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return head + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in root
    )


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


def _parse_fragment(html: str) -> lxml_html.HtmlElement | None:
    """Parse a fragment under a <div>; None when nothing is left (only comments, say)."""
    try:  # lxml refuses str input that carries an encoding declaration
        return lxml_html.fragment_fromstring(_XML_DECLARATION.sub("", html), create_parent="div")
    except etree.ParserError:
        return None


def _attribute(tag: str, attr: str, value: str, base: str) -> str | None:
    """Resolve href/src against base and check the scheme per tag; sizes must be numbers."""
    if attr in {"width", "height"}:
        return value if re.fullmatch(r"\s*\d{1,5}%?\s*", value) else None
    if attr not in {"href", "src"}:
        return value
    try:
        absolute = urljoin(base, value.strip())
        scheme = urlsplit(absolute).scheme
    except ValueError:
        return None
    allowed = IMAGE_SCHEMES if tag == "img" else LINK_SCHEMES
    return absolute if scheme in allowed else None


_BLOCKS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "address",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "li", "dt", "dd", "blockquote",
    "figure", "figcaption", "pre", "table", "thead", "tbody", "tfoot", "tr", "caption", "hr",
    "details", "summary", "fieldset", "form",
}  # fmt: skip
_SKIP = {"script", "style", "template", "noscript", "head", "title", "svg", "math"}


_LINE_BREAK = "\u2028"  # stands for <br> until whitespace in a block is collapsed


def html_to_text(html: str) -> str:
    """html_to_text returns readable plain text of an HTML fragment, blocks separated by blank lines."""
    if not html.strip():
        return ""
    root = _parse_fragment(html)
    if root is None:
        return ""
    paragraphs: list[str] = []
    current: list[str] = []
    skipping = pre = 0

    def flush() -> None:
        block = "".join(current)
        current.clear()
        if pre:
            text = block.replace(_LINE_BREAK, "\n").strip("\n")
        else:
            text = "\n".join(
                filter(None, (" ".join(line.split()) for line in block.split(_LINE_BREAK)))
            )
        if text.strip():
            paragraphs.append(text)

    for event, el in etree.iterwalk(root, events=("start", "end")):
        # tag None: a comment or processing instruction, whose text is not page text
        tag = el.tag if isinstance(el.tag, str) else None
        if event == "start":
            if skipping or tag in _SKIP:
                skipping += 1
            elif tag in _BLOCKS:
                flush()
                pre += tag == "pre"
            elif tag == "br":
                current.append(_LINE_BREAK)
            elif tag in {"td", "th"}:
                current.append(" ")
            if not skipping and tag is not None:
                current.append(el.text or "")
            continue
        if skipping:
            skipping -= 1
            if skipping:
                continue
        elif tag in _BLOCKS:
            flush()
            pre -= tag == "pre"
        if el is not root:
            current.append(el.tail or "")
    flush()
    return "\n\n".join(paragraphs)
