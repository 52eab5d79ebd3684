"""Shared text helpers for the enrich steps: word tokens, sentences, stopwords (no models, no data files)."""

from __future__ import annotations

import re
import unicodedata

# Longest text the enrich steps look at; news articles are far shorter, so this only bounds the
# cost of pathological input (a 200,000-word page).
MAX_CHARS = 200_000

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
    don't down during each few for from further had hadn't has hasn't have haven't having he he'd
    he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into
    is isn't it it's its itself just let's me more most mustn't my myself no nor not now of off on
    once only or other ought our ours ourselves out over own per same shan't she she'd she'll she's
    should shouldn't so some such than that that's the their theirs them themselves then there
    there's these they they'd they'll they're they've this those through to too under until up upon
    us very via was wasn't we we'd we'll we're we've were weren't what what's when when's where
    where's which while who who's whom whose why why's will with won't would wouldn't yet you you'd
    you'll you're you've your yours yourself yourselves
    said says say saying told according also just like get got one two new year years week
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
    mr mrs ms dr
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())

# Han, kana and Thai are written without spaces: each character counts as a word there.
_NO_SPACE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_NO_SPACE}]|[^\W_{_NO_SPACE}]+(?:['\u2019][^\W_{_NO_SPACE}]+)*")
_SENT_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])[\"'\u201d\u2019)\]]*\s+")
_ABBREV = re.compile(
    r"(?:^|[^\w.])(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Gov|Sen|Rep|Lt|Col|Sgt|Capt|Prof|No|vs|Inc|Corp|Co|Ltd|"
    r"U\.S|U\.K|U\.N|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec|[A-Z])\.$"
)


def normalize(text: str) -> str:
    """normalize applies NFKC, unifies apostrophes and caps the length at MAX_CHARS."""
    return unicodedata.normalize("NFKC", text[:MAX_CHARS]).replace("\u2019", "'")


def tokens(text: str) -> list[str]:
    """tokens returns the words of a text with their case kept (apostrophes inside words kept)."""
    return _WORD.findall(normalize(text))


def words(text: str) -> list[str]:
    """words returns the case-folded words of a text, stopwords included."""
    return [w.casefold() for w in tokens(text)]


def content_words(text: str) -> list[str]:
    """content_words returns the case-folded words of a text without stopwords or 1-letter words."""
    return [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or not w.isascii())]


def sentences(text: str) -> list[str]:
    """sentences splits a text into sentences by rule (line breaks always end one)."""
    out: list[str] = []
    for block in normalize(text).split("\n"):
        block = " ".join(block.split())
        start = 0
        for m in _SENT_END.finditer(block):
            piece = block[start : m.start()]
            nxt = block[m.end() : m.end() + 1]
            # Only the end of the piece can hold the abbreviation: searching all of it would make
            # a long run of skipped breaks quadratic.
            if _ABBREV.search(piece[-8:]) or (nxt and nxt.islower()):
                continue
            out.append(block[start : m.end()].strip())
            start = m.end()
        tail = block[start:].strip()
        if tail:
            out.append(tail)
    return [s for s in out if s]
