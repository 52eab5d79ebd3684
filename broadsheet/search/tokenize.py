"""Our own normaliser, applied to documents and queries alike, so both databases see the same tokens.

NFKC, casefold, Latin accents stripped; words split on anything that is not a letter, digit or mark.
Runs of Han, Hangul, Hiragana and Katakana have no spaces between words (and Korean particles stick
to nouns), so a run becomes overlapping character bigrams followed by its last character alone:
"북한은" -> 북한 한은 은. A query "북한" is then the bigram 북한, found inside 북한은 and 북한이.
The trailing single character lets a one-character query match anywhere in a run (as a prefix of a
bigram or as the run's end). Tokens never hold quotes, operators, spaces or NUL bytes, which is what
makes every query safe to hand to FTS5 or to_tsquery once quoted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from operator import add

import regex

MAX_TOKEN_CHARS = 64
MAX_QUERY_CHARS = 512
MAX_QUERY_PHRASES = 8
MAX_PHRASE_TOKENS = 16

# Hangul (jamo, compatibility jamo, syllables), kana (without the middle dot), CJK ideographs.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005\u3040-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\U00020000-\U0002fa1f"
)
RUN = regex.compile(rf"([{_CJK}]+)|([[\p{{L}}\p{{N}}\p{{M}}]--[{_CJK}]]+)", regex.V1)
# Fast paths (the stdlib engine is ~2x quicker): no CJK, and no combining marks.
_HAS_CJK = re.compile(f"[{_CJK}]")
_HAS_MARK = regex.compile(r"\p{M}")
_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")
_WORD_PLAIN = re.compile(r"[^\W_]+")
_RUN_PLAIN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_QUERY_PART = regex.compile(r'(-?)"([^"]*)(?:"|$)|(-?)([^\s"]+)')


def _latin_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        stripped = "".join(
            c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c)
        )
        if stripped != chr(cp):
            table[cp] = stripped
    table.update({ord("ø"): "o", ord("ł"): "l", ord("đ"): "d", ord("ħ"): "h", ord("ı"): "i"})
    return table


_LATIN = _latin_table()
_ACCENTED = re.compile("[" + "".join(map(chr, sorted(_LATIN))) + "]")


def normalize(text: str) -> str:
    """normalize folds text to the form tokens are cut from: NFKC, casefolded, Latin accents stripped."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    return _ACCENTED.sub(lambda m: _LATIN[ord(m.group())], text)


def _cut(text: str) -> list[str]:
    marks = not text.isascii() and _HAS_MARK.search(text)
    if not _HAS_CJK.search(text):
        words = (_WORD if marks else _WORD_PLAIN).findall(text)
        return [w if len(w) <= MAX_TOKEN_CHARS else w[:MAX_TOKEN_CHARS] for w in words]
    out: list[str] = []
    for cjk, word in (RUN if marks else _RUN_PLAIN).findall(text):
        if word:
            out.append(word[:MAX_TOKEN_CHARS])
        else:
            out.extend(map(add, cjk[:-1], cjk[1:]))  # overlapping bigrams (none for one character)
            out.append(cjk[-1])
    return out


def tokens(text: str) -> list[str]:
    """tokens cuts a document's text into its search tokens, in order (positions matter for phrases)."""
    return _cut(normalize(text))


@dataclass(frozen=True)
class Phrase:
    """Consecutive tokens that must appear in this order; `prefix` makes the last a prefix match."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed query: every `include` phrase must match, no `exclude` phrase may."""

    include: tuple[Phrase, ...]
    exclude: tuple[Phrase, ...]

    def highlight_tokens(self) -> list[str]:
        """highlight_tokens lists the included tokens once each, for marking hits."""
        seen: dict[str, None] = {}
        for phrase in self.include:
            for token in phrase.tokens:
                seen.setdefault(token, None)
        return list(seen)


def _phrase(text: str) -> Phrase | None:
    runs = RUN.findall(normalize(text))
    if not runs:
        return None
    out = _cut(" ".join(cjk or word for cjk, word in runs))
    last_cjk = runs[-1][0]
    prefix = False
    if len(last_cjk) > 1:
        out.pop()  # the trailing single character: only the bigrams must match at the end
    elif last_cjk:
        prefix = True  # one character: the start of a bigram, or a run's last character
    if len(out) > MAX_PHRASE_TOKENS:
        out, prefix = out[:MAX_PHRASE_TOKENS], False  # cut short: the last token kept is whole
    return Phrase(tuple(out), prefix)


def parse_query(raw: str) -> Query:
    """parse_query reads words (AND-ed), "quoted phrases" and -excluded ones; never raises, bounded."""
    raw = raw[:MAX_QUERY_CHARS].replace("\x00", " ")
    include: list[Phrase] = []
    exclude: list[Phrase] = []
    for match in _QUERY_PART.finditer(raw):
        negative = bool(match.group(1) or match.group(3))
        text = match.group(2) if match.group(2) is not None else match.group(4)
        phrase = _phrase(text)
        if phrase is None:
            continue
        target = exclude if negative else include
        if phrase not in target and len(include) + len(exclude) < MAX_QUERY_PHRASES:
            target.append(phrase)
    return Query(tuple(include), tuple(exclude))
