"""Near-duplicate (syndicated wire copy) detection: word shingles, an inverted index, containment.

A copy of a wire story keeps most of its word sequences while it loses its tail, gains a dateline, a
footer or a local paragraph, or has a few words changed. So two articles are duplicates when the
smaller one's shingles are mostly found in the larger one (containment |A∩B| / min(|A|, |B|)), not
when their shingle sets are nearly equal (Jaccard punishes truncation and insertions). Articles
from other outlets that quote the same statement share some shingles too; the thresholds below
were chosen on the dev set so that such partial reuse (20-50% of 5-grams) stays apart.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from broadsheet.enrich.textutil import words

SHINGLE = 5  # words per shingle
MAX_WORDS = 5_000  # words of an article that are compared; bounds time and memory per article
MIN_SHINGLES = 8  # fewer distinct shingles than this: too short to call a copy
CONTAINMENT = 0.5  # min-containment at or above which two articles are copies
MAX_SIZE_RATIO = 8.0  # a copy is at most this many times shorter than its original
MAX_POSTINGS = 64  # a shingle shared by more articles than this is boilerplate: not used to find candidates

_MASK = (1 << 64) - 1
# Copy edits that change words but not content: spelled units, "says"/"said", US/U.S.
_SAME = {
    "says": "said", "say": "said", "saying": "said", "stated": "said",
    "percent": "pct", "pc": "pct", "%": "pct",
    "kilometres": "km", "kilometers": "km", "kilometre": "km", "kilometer": "km",
    "miles": "km", "mile": "km", "mi": "km",
    "metres": "m", "meters": "m", "feet": "m", "ft": "m",
    "kg": "kg", "kilograms": "kg", "pounds": "kg", "lbs": "kg",
    "mph": "kmh", "kph": "kmh",
}  # fmt: skip
_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred thousand million billion trillion".split()
)
_DROP = frozenset({"per", "cent", "the", "a", "an", "s", "u"})


def normal_words(text: str) -> list[str]:
    """normal_words returns the case-folded words of a text with numbers, units and edits unified."""
    out: list[str] = []
    for w in words(text)[:MAX_WORDS]:
        if w in _DROP:
            continue
        if any(c.isdigit() for c in w) or w in _NUMBER_WORDS:
            w = "#"
            if out and out[-1] == "#":
                continue
        out.append(_SAME.get(w, w))
    return out


def shingles(text: str, k: int = SHINGLE) -> set[int]:
    """shingles returns the 64-bit hashes of the k-word shingles of a text's normal words."""
    ids = [zlib.crc32(w.encode()) for w in normal_words(text)]
    if len(ids) < k:
        return set()
    out = set()
    for i in range(len(ids) - k + 1):
        h = 0
        for t in ids[i : i + k]:
            h = ((h * 0x100000001B3) ^ t) & _MASK
        out.add(h)
    return out


@dataclass
class DuplicateIndex:
    """DuplicateIndex holds shingle sets of recent articles and files each new one under a copy group."""

    containment: float = CONTAINMENT
    k: int = SHINGLE
    signatures: dict[str, frozenset[int]] = field(default_factory=dict)
    group_of: dict[str, str] = field(default_factory=dict)
    postings: dict[int, list[str]] = field(default_factory=dict)

    def match(self, text: str) -> tuple[str, float] | None:
        """match returns the indexed article the text is a copy of, with its containment, or None."""
        sig = shingles(text, self.k)
        return self._best(sig)[0] if len(sig) >= MIN_SHINGLES else None

    def add(self, id: str, text: str) -> str | None:
        """add indexes an article and returns the copy group it joins (None: it starts its own)."""
        if id in self.signatures:
            self.remove(id)
        sig = frozenset(shingles(text, self.k))
        best, _ = self._best(sig) if len(sig) >= MIN_SHINGLES else (None, 0)
        group = self.group_of[best[0]] if best else None
        self.signatures[id] = sig
        self.group_of[id] = group or id
        for h in sig:
            self.postings.setdefault(h, []).append(id)
        return group

    def remove(self, id: str) -> None:
        """remove forgets an article (older than the window the caller keeps)."""
        sig = self.signatures.pop(id, frozenset())
        self.group_of.pop(id, None)
        for h in sig:
            ids = self.postings.get(h)
            if ids is not None:
                ids.remove(id)
                if not ids:
                    del self.postings[h]

    def _best(self, sig: frozenset[int] | set[int]) -> tuple[tuple[str, float] | None, int]:
        hits: Counter[str] = Counter()
        for h in sig:
            ids = self.postings.get(h)
            if ids and len(ids) <= MAX_POSTINGS:
                hits.update(ids)
        best: tuple[str, float] | None = None
        for other, n in hits.items():
            other_sig = self.signatures[other]
            small, large = sorted((len(other_sig), len(sig)))
            if small < MIN_SHINGLES or large > MAX_SIZE_RATIO * small or n < self.containment * small / 2:
                continue
            score = len(sig & other_sig) / small
            if score >= self.containment and (best is None or score > best[1]):
                best = (other, score)
        return best, len(hits)


def nlp_dedupe(rows: Iterable[dict[str, Any]], **options: Any) -> Iterator[dict[str, Any]]:
    """nlp_dedupe files each {"id","text"} row under a copy group in stream order: {"id","group"}."""
    index = DuplicateIndex(**{k: v for k, v in options.items() if k in ("containment", "k")})
    for row in rows:
        rid = str(row["id"])
        group = index.add(rid, str(row.get("text") or ""))
        yield {"id": rid, "group": group or rid}
