"""Story clustering ("full coverage"): online grouping of articles that report the same event.

Each article is decided when it arrives: it joins the live story whose centroid is most similar
(cosine over TF-IDF weights) if that similarity reaches a threshold, else it starts a story. A
story that has grown may then turn out to be the same as another one: the two are merged, and
the later label gives way to the earlier. Document frequencies are counted as articles arrive
(a live system cannot know the future). Names and numbers (capitalised words inside a sentence,
years, figures) and title words weigh more: two earthquakes in Iran differ mostly by place,
date and magnitude. A sentence vector (`vector`, e.g. from `embed.embed_texts`) is optional;
when given it is blended into the similarity.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from broadsheet.enrich.textutil import STOPWORDS, sentences, tokens, words

# Weekdays date an event ("on Sunday"): they stay in.
_STOP = STOPWORDS - {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

THRESHOLD = 0.2  # cosine to a story centroid at or above which an article joins it
MERGE = 0.5  # cosine between two story centroids at or above which they are merged
WINDOW_HOURS = 72.0  # a story with no article for this long takes no more
TITLE_WEIGHT = 2.0
NAME_WEIGHT = 5.0
PHRASE_WEIGHT = 2.0
LEAD_WEIGHT = 1.0
LEAD_SENTENCES = 3
MAX_TOKENS = 2_000  # words of an article used; bounds the cost of huge pages
MAX_TERMS = 200  # terms kept per article vector (the heaviest)
CENTROID_TERMS = 400  # terms kept per story centroid
IDF_POWER = 1.0
LINK = "avg"
VECTOR_WEIGHT = 0.5  # share of the sentence-vector cosine in the blended similarity


@dataclass
class Story:
    """Story is one cluster's compact state: summed term weights, size, last article time."""

    id: str
    terms: dict[str, float] = field(default_factory=dict)
    size: int = 0
    last_seen: float | None = None
    vector: list[float] | None = None
    norm: float = 0.0

    def absorb(self, terms: dict[str, float], vector: Sequence[float] | None, weight: int = 1) -> None:
        """absorb adds an article's (or a story's) weights into this story's centroid."""
        for t, w in terms.items():
            self.terms[t] = self.terms.get(t, 0.0) + w * weight
        if len(self.terms) > CENTROID_TERMS * 2:
            keep = sorted(self.terms.items(), key=lambda kv: -kv[1])[:CENTROID_TERMS]
            self.terms = dict(keep)
        if vector is not None:
            if self.vector is None:
                self.vector = [x * weight for x in vector]
            else:
                self.vector = [a + b * weight for a, b in zip(self.vector, vector, strict=False)]
        self.size += weight
        self.norm = math.sqrt(sum(w * w for w in self.terms.values()))


def _cosine(a: dict[str, float], b: dict[str, float], norm_b: float) -> float:
    if not norm_b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b) / norm_b


def _vcos(a: Sequence[float] | None, b: Sequence[float] | None) -> float | None:
    if a is None or b is None:
        return None
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def _timestamp(value: Any) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def term_counts(title: str, text: str) -> Counter[str]:
    """term_counts returns weighted term counts: content words, names and numbers, title boosted."""
    counts: Counter[str] = Counter()
    for part, weight in ((title, TITLE_WEIGHT), (text, 1.0)):
        if not part:
            continue
        for n, sentence in enumerate(sentences(part)):
            toks = tokens(sentence)[:MAX_TOKENS]
            lead = LEAD_WEIGHT if n < LEAD_SENTENCES else 1.0
            run: list[str] = []
            for i, tok in enumerate(toks + ["."]):
                low = tok.casefold()
                if low.endswith("'s"):
                    low = low[:-2]
                name = tok[0].isupper() and low not in _STOP and (i > 0 or len(toks) < 12)
                if name and i < len(toks):
                    run.append(low)
                else:
                    if len(run) > 1:
                        counts["_".join(run)] += weight * lead * PHRASE_WEIGHT
                    run = []
                if low in _STOP or (len(low) < 2 and low.isascii()) or i == len(toks):
                    continue
                w = weight * lead
                if tok[0].isdigit() or (i > 0 and tok[0].isupper()):
                    w *= NAME_WEIGHT
                counts[low] += w
    return counts


class OnlineStoryClusterer:
    """OnlineStoryClusterer assigns each arriving article to a story, merging stories that meet."""

    def __init__(
        self,
        *,
        threshold: float = THRESHOLD,
        merge: float = MERGE,
        window_hours: float = WINDOW_HOURS,
        vector_weight: float = VECTOR_WEIGHT,
    ) -> None:
        self.threshold = threshold
        self.merge = merge
        self.window = window_hours * 3600.0
        self.vector_weight = vector_weight
        self.df: Counter[str] = Counter()
        self.docs = 0
        self.stories: dict[str, Story] = {}
        self.index: dict[str, set[str]] = {}  # term -> stories whose centroid holds it
        self.story_of: dict[str, str] = {}  # article id -> story id (possibly merged away)
        self.merged_into: dict[str, str] = {}
        self._next = 0

    def warm_start(self, documents: Iterable[tuple[str, str]]) -> None:
        """warm_start counts document frequencies of past (title, text) pairs without clustering them."""
        for title, text in documents:
            self.docs += 1
            self.df.update(term_counts(title, text).keys())

    def idf(self, term: str) -> float:
        """idf returns the inverse document frequency of a term among the articles seen so far."""
        return (math.log((self.docs + 1) / (self.df.get(term, 0) + 1)) + 1.0) ** IDF_POWER

    def weights(self, title: str, text: str) -> dict[str, float]:
        """weights returns an article's L2-normalised TF-IDF vector, counting it into the frequencies."""
        counts = term_counts(title, text)
        self.docs += 1
        self.df.update(counts.keys())
        vec = {t: (1.0 + math.log(c)) * self.idf(t) if c >= 1 else c * self.idf(t) for t, c in counts.items()}
        if len(vec) > MAX_TERMS:
            vec = dict(sorted(vec.items(), key=lambda kv: -kv[1])[:MAX_TERMS])
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {t: w / norm for t, w in vec.items()} if norm else {}

    def story(self, article_id: str) -> str:
        """story returns the current story id of an article (following merges)."""
        sid = self.story_of[article_id]
        while sid in self.merged_into:
            sid = self.merged_into[sid]
        return sid

    def add(
        self,
        id: str,
        title: str = "",
        text: str = "",
        published: Any = None,
        vector: Sequence[float] | None = None,
    ) -> str:
        """add assigns an article to a story (joining or starting one) and returns the story id."""
        when = _timestamp(published)
        terms = self.weights(title or "", text or "")
        best, best_sim = None, 0.0
        for story in self._candidates(terms, when):
            sim = self._similarity(terms, vector, story)
            if sim > best_sim:
                best, best_sim = story, sim
        if best is None or best_sim < self.threshold:
            best = Story(id=f"s{self._next}")
            self._next += 1
            self.stories[best.id] = best
        best.absorb(terms, vector)
        if when is not None:
            best.last_seen = max(best.last_seen or when, when)
        for t in best.terms:
            self.index.setdefault(t, set()).add(best.id)
        self.story_of[id] = best.id
        if best.size > 1:
            self._merge_around(best, when)
        return self.story(id)

    def _alive(self, story: Story, when: float | None) -> bool:
        return when is None or story.last_seen is None or when - story.last_seen <= self.window

    def _candidates(self, terms: dict[str, float], when: float | None) -> list[Story]:
        ids: set[str] = set()
        for t in terms:
            ids |= self.index.get(t, set())
        return [self.stories[s] for s in ids if s in self.stories and self._alive(self.stories[s], when)]

    def _similarity(self, terms: dict[str, float], vector: Sequence[float] | None, story: Story, size: int = 1) -> float:
        if LINK == "avg":
            sim = _cosine(terms, story.terms, 1.0) / (story.size * size)
        else:
            sim = _cosine(terms, story.terms, story.norm)
        vsim = _vcos(vector, story.vector)
        if vsim is None:
            return sim
        return (1 - self.vector_weight) * sim + self.vector_weight * vsim

    def _merge_around(self, story: Story, when: float | None) -> None:
        unit = {t: w / story.norm for t, w in story.terms.items()} if story.norm else {}
        for other in self._candidates(unit, when):
            if other.id == story.id or other.size < 1:
                continue
            if LINK == "avg":
                sim = self._similarity(story.terms, None, other, story.size)
            else:
                sim = self._similarity(unit, story.vector, other)
            if sim >= self.merge:
                keep, gone = sorted((story, other), key=lambda s: int(s.id[1:]))
                keep.absorb({t: w / gone.size for t, w in gone.terms.items()}, None, weight=gone.size)
                if gone.vector is not None:
                    keep.vector = [a + b for a, b in zip(keep.vector or [0.0] * len(gone.vector), gone.vector, strict=False)]
                if gone.last_seen is not None:
                    keep.last_seen = max(keep.last_seen or gone.last_seen, gone.last_seen)
                for t in keep.terms:
                    self.index.setdefault(t, set()).add(keep.id)
                del self.stories[gone.id]
                self.merged_into[gone.id] = keep.id
                return self._merge_around(keep, when)
        return None


def nlp_cluster(rows: Iterable[dict[str, Any]], **options: Any) -> Iterator[dict[str, Any]]:
    """nlp_cluster assigns {"id","title"?,"text"?,"published"?} rows to stories in stream order."""
    tunable = ("threshold", "merge", "window_hours", "vector_weight")
    clusterer = OnlineStoryClusterer(**{k: options[k] for k in tunable if k in options})
    if options.get("warm"):
        rows = list(rows)
        clusterer.warm_start((str(r.get("title") or ""), str(r.get("text") or "")) for r in rows)
    ids = []
    for row in rows:
        ids.append(str(row["id"]))
        clusterer.add(ids[-1], str(row.get("title") or ""), str(row.get("text") or ""), row.get("published"))
    for rid in ids:
        yield {"id": rid, "cluster": clusterer.story(rid)}
