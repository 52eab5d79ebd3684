"""Article pages to their parts: the only module that imports the extractor."""

from __future__ import annotations

import codecs
import functools
import gzip
import html as htmllib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree
from trafilatura.settings import Document

logger = logging.getLogger(__name__)

# Bigger pages are refused unparsed: no article needs them, and they bound parse time and memory.
MAX_HTML_CHARS = 10_000_000
MAX_HTML_BYTES = 4 * MAX_HTML_CHARS  # a UTF-32 page of MAX_HTML_CHARS characters still fits
# Extraction time grows with the element count (100k links take trafilatura ~15 s); the
# extraction-dev pages have at most ~1,600 elements.
MAX_ELEMENTS = 50_000

# Less body text than this is a stub (a menu, "Loading..."), not an article.
MIN_TEXT_CHARS = 50

# The scored configuration (extraction-dev F1 0.964); bench/extraction.py guards it.
TEXT_OPTIONS: dict[str, Any] = {"include_comments": False}
# The body HTML comes from a second pass with links and images: including them changes what
# trafilatura keeps (captions, image-only blocks), which costs text precision, so the scored text
# never comes from this pass.
HTML_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_links": True,
    "include_images": True,
    "include_formatting": True,
}


class ChallengePage(Exception):
    """The page is a bot challenge ("Just a moment...") rather than an article."""


class NotAnArticle(Exception):
    """Nothing article-like could be extracted from the page."""


@dataclass
class Extracted:
    title: str
    byline: str
    published: datetime | None
    lang: str
    lead_image: str  # absolute URL or ""
    text: str  # plain text body, paragraphs separated by blank lines
    html: str  # body HTML, NOT yet sanitized


def extract_article(html: str | bytes, *, url: str, status: int = 200) -> Extracted:
    """extract_article pulls title, byline, date, language, lead image and body out of a page."""
    if isinstance(html, bytes):
        if len(html) > MAX_HTML_BYTES:
            raise NotAnArticle(f"page too large ({len(html)} bytes)")
        html = decode_html(html)
    if len(html) > MAX_HTML_CHARS:
        raise NotAnArticle(f"page too large ({len(html)} characters)")
    # libxml2 stops building the tree 256 levels down, which bounds every tree walk below.
    tree = trafilatura.load_html(html) if html.strip() else None
    page = _page_info(tree, url)
    reason = challenge_reason(html, title=page.title, status=status)
    if reason:
        raise ChallengePage(reason)
    if tree is None:
        raise NotAnArticle("no HTML document")
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_ELEMENTS:
        raise NotAnArticle(f"page has {elements} elements (the limit is {MAX_ELEMENTS})")
    try:
        doc = _bare_extraction(
            tree, url, with_metadata=True, date_extraction_params=_date_params(), **TEXT_OPTIONS
        )
        rich = _bare_extraction(tree, url, **HTML_OPTIONS) if doc else None
    except Exception as err:  # the extractor's bugs on hostile pages must not stop a pipeline
        logger.warning("extractor failed on %s: %r", url, err)
        raise NotAnArticle(f"extractor failed: {type(err).__name__}") from err
    text = _paragraphs(doc.text or "") if doc is not None else ""
    if len(text) < MIN_TEXT_BESIDE_CHALLENGE and _has_challenge_marker(html):
        raise ChallengePage("challenge script and no article text")
    if doc is None or len(text) < MIN_TEXT_CHARS:
        raise NotAnArticle(f"no article body found ({len(text)} characters of text)")
    body = rich.body if rich is not None else doc.body
    title = page.og_title or doc.title or page.title
    return Extracted(
        title=clean_title(title, site_names=[page.site_name, doc.sitename or ""], url=url),
        byline=(doc.author or "").strip(),
        published=parse_published(doc.date),
        lang=detect_language(text, html_lang=page.lang),
        lead_image=_lead_image(page, body),  # before body_to_html, which renames <graphic>
        text=text,
        html=body_to_html(body, base=page.base),
    )


def _bare_extraction(tree: Any, url: str, **options: Any) -> Document | None:
    # bare_extraction copies the tree it is given, so both passes share one parse.
    return cast(Document | None, trafilatura.bare_extraction(tree, url=url or None, **options))


def extract_file(path: str, *, url: str | None = None) -> dict[str, Any]:
    """extract_file runs extract_article on a saved .html or .html.gz page and returns a JSON-able dict.

    ChallengePage and NotAnArticle propagate to the caller.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read(MAX_HTML_BYTES + 1)  # a gzip bomb stops here; too large is refused below
    got = extract_article(data, url=url or "")
    return {
        "file": path,
        "url": url or "",
        "title": got.title,
        "byline": got.byline,
        "published": got.published.isoformat() if got.published else None,
        "lang": got.lang,
        "lead_image": got.lead_image,
        "text": got.text,
    }


# --- decoding --------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)


def decode_html(data: bytes) -> str:
    """decode_html decodes page bytes by BOM, then <meta> charset, else UTF-8 with replacement."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    match = _META_CHARSET.search(data[:4096])
    encoding = _whatwg_encoding(match.group(1).decode("ascii")) if match else "utf-8"
    return data.decode(encoding, errors="replace")


def _whatwg_encoding(label: str) -> str:
    """Map a declared charset to the codec browsers use for it; unknown labels mean UTF-8."""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return "utf-8"
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"  # a <meta> that could be read was not UTF-16: HTML spec says UTF-8
    return _BROWSER_SUPERSETS.get(name, name)


# Browsers decode these labels with a superset codec (WHATWG Encoding Standard), and pages rely
# on the extra characters: "latin-1" pages with curly quotes from windows-1252, and so on.
_BROWSER_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gbk",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}


# --- challenge pages -------------------------------------------------------------------------

_CHALLENGE_TITLES = (
    ("just a moment", "Cloudflare challenge (Just a moment...)"),
    ("attention required! | cloudflare", "Cloudflare block (Attention Required!)"),
    ("please wait... | cloudflare", "Cloudflare challenge (Please wait...)"),
    ("checking your browser", "browser check (Checking your browser)"),
    ("ddos-guard", "DDoS-Guard challenge"),
    ("used cloudflare to restrict access", "Cloudflare block (Access denied)"),
)
# These also appear on ordinary pages (Cloudflare injects challenge-platform scripts everywhere),
# so they count only with a challenge status or when there is no article text.
_CHALLENGE_MARKERS = (
    "cf-chl",
    "cf_chl",
    "challenge-platform",
    "cf-browser-verification",
    "ddos-guard",
    "DDoS-Guard",
)
_CHALLENGE_STATUSES = {403, 429, 503}
# Characters: less text than this beside a challenge marker is the challenge page's own.
MIN_TEXT_BESIDE_CHALLENGE = 300


def challenge_reason(html: str, *, title: str, status: int) -> str | None:
    """challenge_reason says why a page looks like a bot challenge, or None when it does not."""
    lowered = title.strip().lower()
    for marker, reason in _CHALLENGE_TITLES:
        if lowered.startswith(marker) or (marker != "just a moment" and marker in lowered):
            return reason
    if status in _CHALLENGE_STATUSES and _has_challenge_marker(html):
        return f"HTTP {status} with a challenge script"
    return None


def _has_challenge_marker(html: str) -> bool:
    return any(marker in html for marker in _CHALLENGE_MARKERS)


# --- page metadata ---------------------------------------------------------------------------


@dataclass
class _Page:
    """What the page's <head> says, read once from the parsed tree."""

    base: str
    title: str = ""
    og_title: str = ""
    site_name: str = ""
    lang: str = ""
    images: tuple[str, ...] = ()
    img_sizes: dict[str, list[int]] = field(default_factory=dict)  # src -> declared width/height


_IMAGE_META = (
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
)


def _page_info(tree: Any, url: str) -> _Page:
    page = _Page(base=_http_url(url, ""))
    if tree is None:
        return page
    meta: dict[str, str] = {}
    for el in tree.iter("meta", "link", "base", "title", "img"):
        if el.tag == "img":
            sizes = [
                int(v) for v in (el.get("width"), el.get("height")) if v and v.strip().isdigit()
            ]
            page.img_sizes.setdefault(el.get("src") or "", sizes)
        elif el.tag == "title" and not page.title:
            page.title = " ".join(el.text_content().split())
        elif el.tag == "base" and el.get("href"):
            page.base = _http_url(el.get("href", ""), page.base) or page.base
        elif el.tag == "link" and "image_src" in (el.get("rel") or "").lower().split():
            meta.setdefault("image_src", el.get("href") or "")
        elif el.tag == "meta":
            key = (el.get("property") or el.get("name") or "").strip().lower()
            if key and el.get("content"):
                meta.setdefault(key, el.get("content", "").strip())
    page.og_title = " ".join(meta.get("og:title", "").split())
    page.site_name = meta.get("og:site_name") or meta.get("application-name") or ""
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    page.lang = re.split(r"[-_]", lang.strip().lower())[0]
    page.images = tuple(meta[key] for key in (*_IMAGE_META, "image_src") if meta.get(key))
    return page


def _http_url(ref: str, base: str) -> str:
    """Resolve ref against base; "" unless the result is an http(s) URL."""
    try:
        absolute = urljoin(base, ref.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return ""
    return absolute if parts.scheme in {"http", "https"} and parts.netloc else ""


_TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|·|•|»|::)\s+")


def clean_title(title: str, *, site_names: list[str], url: str = "") -> str:
    """clean_title drops a leading or trailing site-name segment ("Story | Site") from a title."""
    title = " ".join(title.split())
    names = {_squash(name) for name in site_names} | {_site_label(url)}
    names.discard("")
    separators = list(_TITLE_SEPARATOR.finditer(title))
    if not separators:
        return title
    first, last = separators[0], separators[-1]
    if _squash(title[last.end() :]) in names:
        return title[: last.start()]
    if _squash(title[: first.start()]) in names:
        return title[first.end() :]
    return title


_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"}


def _site_label(url: str) -> str:
    """The registrable name of a URL's host: "bbc" for www.bbc.co.uk, "theverge" for theverge.com."""
    labels = (urlsplit(url).hostname or "").split(".") if url else []
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else ""


def _squash(name: str) -> str:
    return re.sub(r"\W+", "", name.casefold())


def _date_params() -> dict[str, Any]:
    return {
        "original_date": True,
        "extensive_search": True,
        "max_date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    }


def parse_published(value: str | None) -> datetime | None:
    """parse_published turns htmldate's string into an aware UTC datetime (naive means UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@functools.cache
def _language_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, *, html_lang: str = "") -> str:
    """detect_language names the text's language (ISO 639-1), trusting <html lang> for short or unsure text."""
    sample = text[:5000]
    if len(sample) >= 40:
        lang, confidence = _language_identifier().classify(sample)
        if confidence >= 0.5 or not html_lang:
            return str(lang)
    return html_lang


_NOT_LEAD_IMAGE = re.compile(
    r"logo|icon|sprite|pixel|spacer|avatar|share|badge|/btn/|blank\.|\.svg", re.IGNORECASE
)
MIN_LEAD_IMAGE_PX = 200


def _lead_image(page: _Page, body: Any) -> str:
    for candidate in page.images:
        if absolute := _http_url(candidate, page.base):
            return absolute
    for img in body.iter("graphic", "img"):
        raw = img.get("src") or ""
        src = _http_url(raw, page.base)
        sizes = page.img_sizes.get(raw, [])
        if src and not _NOT_LEAD_IMAGE.search(src) and all(s >= MIN_LEAD_IMAGE_PX for s in sizes):
            return src
    return ""


# --- body --------------------------------------------------------------------------------------


def _paragraphs(text: str) -> str:
    return "\n\n".join(line for line in (raw.strip() for raw in text.splitlines()) if line)


_RENAMES = {
    "item": "li",
    "quote": "blockquote",
    "lb": "br",
    "graphic": "img",
    "ref": "a",
    "row": "tr",
}
_HI_TAGS = {"#b": "strong", "#i": "em", "#u": "u", "#t": "code", "#sub": "sub", "#sup": "sup"}
_KEEP_ATTRS = {"img": ("src", "alt", "title", "width", "height"), "a": ("href",)}


def body_to_html(body: Any, *, base: str) -> str:
    """body_to_html renders trafilatura's XML body as an HTML fragment with absolute link and image URLs."""
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        rend = el.get("rend") or ""
        if el.tag == "head":
            level = rend[1:] if rend[1:].isdigit() else "3"
            el.tag = f"h{min(max(int(level), 1), 6)}"
        elif el.tag == "hi":
            el.tag = _HI_TAGS.get(rend, "span")
        elif el.tag == "list":
            el.tag = "ol" if rend == "ol" else "ul"
        elif el.tag == "cell":
            el.tag = "th" if el.get("role") == "head" else "td"
        elif el.tag == "code":
            el.tag = "pre" if "\n" in "".join(el.itertext()) else "code"
        elif el.tag == "ref":
            el.set("href", el.get("target") or "")
        el.tag = _RENAMES.get(el.tag, el.tag)
        kept = {k: el.get(k) for k in _KEEP_ATTRS.get(el.tag, ()) if el.get(k)}
        el.attrib.clear()
        for key, value in kept.items():
            el.set(key, _http_url(value, base) or value if key in {"href", "src"} else value)
    for empty in [p for p in body.iter("p") if len(p) == 0 and not (p.text or "").strip()]:
        _remove_keeping_tail(empty)
    head = htmllib.escape(body.text or "", quote=False)
    return head + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in body
    )


def _remove_keeping_tail(el: Any) -> None:
    parent, previous = el.getparent(), el.getprevious()
    if el.tail and previous is not None:
        previous.tail = (previous.tail or "") + el.tail
    elif el.tail:
        parent.text = (parent.text or "") + el.tail
    parent.remove(el)
