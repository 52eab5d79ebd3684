"""Comment text: cleaning what readers type, normalising it for duplicate checks, and rendering it.

Comments are plain text. Rendering escapes everything and then turns http(s) URLs, and nothing
else, into links with rel="nofollow ugc noopener"; no HTML a reader writes ever reaches a page.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Characters that change how text looks without being text: bidi overrides, zero-width joiners,
# the BOM. They hide spam from duplicate checks and flip lines on screen, so they go.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")

# What counts as a link for moderation: scheme URLs, www. hosts and bare domains with a common TLD.
_SCHEME_URL = re.compile(r"""https?://[^\s<>"'`]+""", re.IGNORECASE)
_LINKLIKE = re.compile(
    r"""(?:https?://|www\.)[^\s<>"'`]+"""
    # Bounded label lengths and counts: "a.a.a.…" must cost linear time, not quadratic.
    r"""|\b(?:[a-z0-9-]{1,63}\.){1,8}(?:com|net|org|info|biz|io|co|xyz|top|shop|store|online|site|ru|cn|ly|me|us|uk|de|click|link|live|app)\b(?:/[^\s<>"'`]*)?""",
    re.IGNORECASE,
)
_TRAILING_PUNCT = ".,;:!?'\""


def comment_clean(raw: str) -> str:
    """comment_clean turns what a reader submitted into the plain text stored: NFC, no control or
    invisible characters, Unix newlines, at most one blank line in a row, trimmed."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", _INVISIBLE.sub("", text)).replace("\t", " ")
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def text_normalise(text: str) -> str:
    """text_normalise is the form two texts share when they say the same thing: NFKC, case-folded,
    invisible characters dropped, every run of non-word characters one space."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).casefold()
    return " ".join(re.findall(r"\w+", text))


def text_digest(text: str) -> str:
    """text_digest is the sha256 of a text's normalised form."""
    return hashlib.sha256(text_normalise(text).encode()).hexdigest()


def links_count(text: str) -> int:
    """links_count counts URLs, www. hosts and bare domains in a text."""
    return len(_LINKLIKE.findall(text))


def _split_url(url: str) -> tuple[str, str]:
    """_split_url trims trailing punctuation (and an unbalanced closing bracket) off a matched URL."""
    opened, closed = url.count("("), url.count(")")
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING_PUNCT:
            end -= 1
        elif last == ")" and opened < closed:
            closed -= 1
            end -= 1
        else:
            break
    return url[:end], url[end:]


def _display(url: str, limit: int = 70) -> str:
    shown = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def comment_html(text: str) -> SafeString:
    """comment_html renders a comment's plain text as HTML: escaped, http(s) URLs linked, paragraphs."""
    pieces: list[str] = []
    position = 0
    for match in _SCHEME_URL.finditer(text):
        url, tail = _split_url(match.group(0))
        pieces.append(escape(text[position : match.start()]))
        if re.fullmatch(r"https?://[^/?#]+.*", url, re.IGNORECASE):
            pieces.append(
                f'<a href="{escape(url)}" rel="nofollow ugc noopener">{escape(_display(url))}</a>'
            )
        else:
            pieces.append(escape(url))
        pieces.append(escape(tail))
        position = match.end()
    pieces.append(escape(text[position:]))
    html = "".join(pieces)
    paragraphs = [p.replace("\n", "<br>") for p in html.split("\n\n") if p.strip()]
    return mark_safe("".join(f"<p>{p}</p>" for p in paragraphs))  # noqa: S308 - every piece escaped above
