"""Story clustering ("full coverage"): online grouping of articles that report the same event.

Each article is decided when it arrives: it joins the live story it is most similar to, if that
similarity reaches THRESHOLD, else it starts a story. Similarity is average link: the mean
cosine between the article and the story's articles, computed from the story's summed vectors.
A story that has changed may turn out to be the same as another one: when their average link
reaches MERGE they are merged, and the later label gives way to the earlier one.

Vectors are TF-IDF over content words with document frequencies counted as articles arrive (a
live system cannot know the future). Names and numbers (capitalised words inside a sentence,
multi-word names, figures) and title words weigh more, and a sentence weighs less the later it
comes (news says what happened first): two earthquakes in Iran differ mostly by place, date and
magnitude. Stories live for WINDOW_HOURS after their last article when publication times are
known; two articles whose opening lines name different years, or name figures but none in common,
are unlikely to be one story. A sentence vector (`vector`, e.g. from `embed.embed_texts` of the
title and lead, as the pipeline computes it) is optional: short articles (headlines, teasers) lean
on it, full articles blend it in at a small weight. A story of one or two full articles is thin
evidence, so joining or merging with it asks a little more (SMALL_BONUS / size): the first report
of a second event of one kind then starts its own story instead of seeding a mixed one.

An online decision is final for the arriving article, but not for the ones before it: the first
report of an event often lands in the story of a similar earlier event, because its own story did
not exist yet. So a young story (at most RECLAIM_SIZE articles) looks through the latest members of
its nearest neighbours and takes back each one that is more like it than like the rest of its own
story (leave-one-out average link, with the joining rules above). `add` reports such moves through
`take_moves`. This keeps the features of each live story's latest RECLAIM_RECENT articles (term
weights as compact arrays and the sentence vector, a few KB each) until the story expires.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from broadsheet.enrich.textutil import STOPWORDS, sentences, tokens, words

THRESHOLD = 0.2  # average link at or above which an article joins a story
MERGE = 0.23  # average link at or above which two stories are merged
WINDOW_HOURS = 72.0  # a story with no article for this long takes no more
TITLE_WEIGHT = 2.0
NAME_WEIGHT = 5.0
PHRASE_WEIGHT = 2.0
NUMBER_WEIGHT = 10.0  # figures (tolls, magnitudes, scores, dates) tell two events of one kind apart
LEAD_DECAY = 3.0  # sentence n weighs 1 / (1 + n / LEAD_DECAY): news says what happened first
SMALL_BONUS = 0.1  # full articles: joining a story of n articles needs THRESHOLD + this / n
LONG_VECTOR_WEIGHT = 0.2  # share of the lead-vector cosine in the similarity of full articles
LONG_VECTOR_BASE = 0.1  # taken off that cosine: unrelated news leads still score above 0
FIGURE_PENALTY = 0.6  # factor when two full articles' openings name numbers, none shared
FIGURE_SENTENCES = 3  # the opening sentences searched for numbers
MAX_FIGURES = 500  # numbers kept per story
YEAR_PENALTY = 0.5  # similarity factor when the opening lines name different years
HEAD_CHARS = 400  # the opening of a text that is searched for a year
MAX_TOKENS = 2_000  # words of one sentence used; bounds the cost of huge pages
MAX_SENTENCES = 200  # sentences of an article used
MAX_TERMS = 300  # terms kept per article vector (the heaviest)
STORY_TERMS = 1_000  # terms kept per story (the heaviest)
VECTOR_WEIGHT = 0.7  # share of the sentence-vector cosine in the similarity of short articles
SHORT_SCALE = 3.5  # headline-only TF-IDF cosines run this much lower than full-text ones
SHORT_WORDS = 16  # an article of at most this many words (a headline, a teaser) is short
RECLAIM_SIZE = 3  # a story of at most this many articles may take back its neighbours' members
RECLAIM_STORIES = 5  # the neighbours searched: the stories most like the young one
RECLAIM_RECENT = 64  # the latest members of each neighbour looked at (bounds the cost)
# Sentence vectors help to group paraphrased headlines; on full articles they blur two events of one
# kind (two Iran earthquakes) that names and numbers keep apart, so there they weigh little.

# Weekdays date an event ("on Sunday"): they stay in.
_STOP = STOPWORDS - {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
logger = logging.getLogger(__name__)
_FIGURE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b")

Vector = dict[str, float]


@dataclass
class Story:
    """Story is one cluster's compact state: summed article vectors, size, years, last article time."""

    id: str
    terms: Vector = field(default_factory=dict)
    size: int = 0
    last_seen: float | None = None
    vector: np.ndarray | None = None  # the sum of its articles' sentence vectors
    years: set[str] = field(default_factory=set)
    figures: set[str] = field(default_factory=set)  # the numbers its articles' openings name
    short: int = 0  # how many of its articles are short
    vectors: int = 0  # how many of its articles brought a sentence vector

    def absorb(
        self,
        terms: Vector,
        vector: np.ndarray | None,
        years: set[str],
        size: int = 1,
        short: int = 0,
        vectors: int = 1,
        figures: set[str] | None = None,
    ) -> None:
        """absorb adds an article's (or another story's summed) vectors into this story."""
        for t, w in terms.items():
            self.terms[t] = self.terms.get(t, 0.0) + w
        if len(self.terms) > STORY_TERMS * 1.5:
            self.terms = dict(sorted(self.terms.items(), key=lambda kv: -kv[1])[:STORY_TERMS])
        if vector is not None:
            self.vector = vector.copy() if self.vector is None else self.vector + vector
            self.vectors += vectors
        self.years |= years
        if figures and len(self.figures) < MAX_FIGURES:
            self.figures |= figures
        self.size += size
        self.short += short

    def to_dict(self) -> dict[str, Any]:
        """to_dict returns the story's state as JSON-ready data."""
        return {
            "id": self.id, "terms": self.terms, "size": self.size, "last_seen": self.last_seen,
            "vector": None if self.vector is None else self.vector.tolist(), "years": sorted(self.years), "short": self.short,
            "figures": sorted(self.figures),
            "vectors": self.vectors,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Story:
        """from_dict rebuilds a story from to_dict's data."""
        return cls(
            id=data["id"], terms=dict(data["terms"]), size=int(data["size"]), last_seen=data.get("last_seen"),
            vector=None if data.get("vector") is None else np.asarray(data["vector"], dtype=np.float32), years=set(data.get("years", ())), short=int(data.get("short", 0)),
            figures=set(data.get("figures", ())),
            vectors=int(data.get("vectors", 0)),
        )  # fmt: skip


@dataclass(slots=True)
class Member:
    """Member is what a live article brought to its story, kept so that it can be moved out again."""

    order: int  # arrival number
    keys: tuple[str, ...]  # its terms (interned: the strings are shared with other articles)
    weights: np.ndarray  # float32, one per key
    vector: np.ndarray | None
    years: set[str]
    figures: set[str]
    short: int

    def terms(self) -> Vector:
        return dict(zip(self.keys, self.weights.tolist(), strict=True))


def _dot(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)


def timestamp(value: Any) -> float | None:
    """timestamp reads a publication time (epoch seconds, ISO 8601 text or datetime); None if unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def head_years(title: str, text: str) -> set[str]:
    """head_years returns the years named in an article's title and opening lines (its dateline)."""
    return set(_YEAR.findall(f"{title}\n{text[:HEAD_CHARS]}"))


def lead_figures(title: str, text: str) -> set[str]:
    """lead_figures returns the numbers (not years) named in an article's title and first sentences."""
    lead = " ".join([title, *sentences(text[: HEAD_CHARS * 4])[:FIGURE_SENTENCES]])
    return {f.replace(",", "") for f in _FIGURE.findall(lead) if not _YEAR.fullmatch(f)}


def is_short(title: str, text: str) -> bool:
    """is_short tells a headline or teaser (at most SHORT_WORDS words) from a full article."""
    return len(text.split(None, SHORT_WORDS + 1)) + len(title.split()) <= SHORT_WORDS


def term_counts(title: str, text: str) -> dict[str, float]:
    """term_counts returns weighted term counts: content words, names and numbers, title boosted."""
    counts: defaultdict[str, float] = defaultdict(float)
    for part, weight in ((title, TITLE_WEIGHT), (text, 1.0)):
        for n, sentence in enumerate(sentences(part)[:MAX_SENTENCES] if part else ()):
            weight_n = weight / (1.0 + n / LEAD_DECAY) if LEAD_DECAY else weight
            toks = tokens(sentence)[:MAX_TOKENS]
            run: list[str] = []
            for i, tok in enumerate(toks):
                low = tok.casefold()
                if low.endswith("'s"):
                    low = low[:-2]
                # A capital inside a sentence marks a name; a short first line (a headline) is
                # capitalised throughout, so there the first word counts too.
                name = low not in _STOP and (
                    tok[0].isdigit() or (tok[0].isupper() and (i > 0 or len(toks) < 12))
                )
                if name:
                    run.append(low)
                else:
                    if len(run) > 1:
                        counts["_".join(run)] += weight_n * PHRASE_WEIGHT
                    run = []
                if low in _STOP or (len(low) < 2 and low.isascii()):
                    continue
                boost = (NUMBER_WEIGHT if tok[0].isdigit() else NAME_WEIGHT) if name else 1.0
                counts[low] += weight_n * boost
            if len(run) > 1:
                counts["_".join(run)] += weight_n * PHRASE_WEIGHT
    return dict(counts)


class OnlineStoryClusterer:
    """OnlineStoryClusterer assigns each arriving article to a story, merging stories that meet."""

    def __init__(
        self,
        *,
        threshold: float = THRESHOLD,
        merge: float = MERGE,
        window_hours: float = WINDOW_HOURS,
        vector_weight: float = VECTOR_WEIGHT,
        year_penalty: float = YEAR_PENALTY,
    ) -> None:
        self.threshold = threshold
        self.merge = merge
        self.window = window_hours * 3600.0
        self.vector_weight = vector_weight
        self.year_penalty = year_penalty
        self.df: Counter[str] = Counter()
        self.docs = 0
        self.stories: dict[str, Story] = {}
        self.index: dict[str, set[str]] = {}  # term -> stories whose summed vector holds it
        self.story_of: dict[str, str] = {}  # article id -> story id it joined (maybe merged since)
        self.merged_into: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}  # live story id -> its articles, oldest first
        self.features: dict[str, Member] = {}  # live article id -> what it brought
        self._moves: list[tuple[str, str, str]] = []  # (article, story left, story joined)
        self._arrivals = 0
        self._next = 0
        self._latest: float | None = None  # the latest publication time seen
        self._expired_at: float | None = None

    # -- features -------------------------------------------------------------------------------

    def warm_start(self, documents: Iterable[tuple[str, str]]) -> None:
        """warm_start counts document frequencies of past (title, text) pairs without clustering them."""
        for title, text in documents:
            self.docs += 1
            self.df.update(term_counts(title, text).keys())

    def idf(self, term: str) -> float:
        """idf returns the inverse document frequency of a term among the articles seen so far."""
        return math.log((self.docs + 1) / (self.df.get(term, 0) + 1)) + 1.0

    def weights(self, title: str, text: str, *, count: bool = True) -> Vector:
        """weights returns an article's unit TF-IDF vector (counting it into the frequencies first)."""
        counts = term_counts(title, text)
        if count:
            self.docs += 1
            self.df.update(counts.keys())
        vec = {t: (1.0 + math.log(c) if c >= 1 else c) * self.idf(t) for t, c in counts.items()}
        if len(vec) > MAX_TERMS:
            vec = dict(sorted(vec.items(), key=lambda kv: -kv[1])[:MAX_TERMS])
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {t: w / norm for t, w in vec.items()} if norm else {}

    # -- the online step ------------------------------------------------------------------------

    def add(
        self,
        id: str,
        title: str = "",
        text: str = "",
        published: Any = None,
        vector: Sequence[float] | np.ndarray | None = None,
    ) -> str:
        """add assigns an article to a story (joining or starting one) and returns the story id."""
        title, text = title or "", text or ""
        when = timestamp(published)
        if when is not None:
            self._expire_now_and_then(when)
        terms = self.weights(title, text)
        years = head_years(title, text)
        figures = lead_figures(title, text)
        short = int(is_short(title, text))
        unit = None if vector is None else np.asarray(vector, dtype=np.float32)
        best, best_sim = None, 0.0
        for story in self._candidates(terms, unit is not None and bool(short), when):
            sim = self._link(terms, unit, years, 1, short, 1, story, figures)
            if not short and not story.short and sim < self.threshold + SMALL_BONUS / story.size:
                continue  # one or two full articles are thin evidence: a small story asks more
            if sim > best_sim:
                best, best_sim = story, sim
        if best is None or best_sim < self.threshold:
            best = Story(id=f"s{self._next}")
            self._next += 1
            self.stories[best.id] = best
        best.absorb(terms, unit, years, 1, short, figures=figures)
        if when is not None:
            best.last_seen = max(best.last_seen or when, when)
        self._index(best)
        self.story_of[id] = best.id
        self._remember(id, best.id, terms, unit, years, figures, short)
        self._merge_from(best, when)
        story = self.stories[self.story(id)]
        if story.size <= RECLAIM_SIZE:
            self._reclaim(story, when)
        return self.story(id)

    def take_moves(self) -> list[tuple[str, str, str]]:
        """take_moves returns (and forgets) the articles moved since the last call: (article, from, to).

        Story ids are as they were at the move; follow `merged_into` for where they stand now.
        """
        moves, self._moves = self._moves, []
        return moves

    def story(self, article_id: str) -> str:
        """story returns the current story id of an article (following merges)."""
        sid = self.story_of[article_id]
        while sid in self.merged_into:
            sid = self.merged_into[sid]
        return sid

    def expire(self, now: float) -> list[str]:
        """expire drops stories with no article within the window before `now`; returns their ids."""
        gone = [
            s.id
            for s in self.stories.values()
            if s.last_seen is not None and now - s.last_seen > self.window
        ]
        for sid in gone:
            self._drop(sid)
        return gone

    def _expire_now_and_then(self, when: float) -> None:
        self._latest = max(self._latest or when, when)
        if self._expired_at is None or self._latest - self._expired_at > self.window / 4:
            self._expired_at = self._latest
            self.expire(
                now=self._latest - self.window
            )  # a margin: late articles still find stories

    # -- state ----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """state returns the clusterer's live state as JSON-ready data (stories and frequencies)."""
        return {
            "docs": self.docs, "df": dict(self.df), "next": self._next,
            "stories": [s.to_dict() for s in self.stories.values()],
        }  # fmt: skip

    @classmethod
    def restore(cls, state: dict[str, Any], **options: Any) -> OnlineStoryClusterer:
        """restore rebuilds a clusterer from `state()` data (article-to-story links are not kept)."""
        clusterer = cls(**options)
        clusterer.docs = int(state["docs"])
        clusterer.df = Counter(state["df"])
        clusterer._next = int(state["next"])
        for data in state["stories"]:
            story = Story.from_dict(data)
            clusterer.stories[story.id] = story
            clusterer._index(story)
        return clusterer

    # -- internals ------------------------------------------------------------------------------

    def _index(self, story: Story) -> None:
        for t in story.terms:
            self.index.setdefault(t, set()).add(story.id)

    def _remember(
        self,
        id: str,
        sid: str,
        terms: Vector,
        vector: np.ndarray | None,
        years: set[str],
        figures: set[str],
        short: int,
    ) -> None:
        self._arrivals += 1
        self.features[id] = Member(
            order=self._arrivals,
            keys=tuple(sys.intern(t) for t in terms),
            weights=np.fromiter(terms.values(), dtype=np.float32, count=len(terms)),
            vector=vector,
            years=years,
            figures=figures,
            short=short,
        )
        members = self.members.setdefault(sid, [])
        members.append(id)
        self._trim(members)

    def _trim(self, members: list[str]) -> None:
        """_trim forgets all but a story's latest RECLAIM_RECENT members: only those are ever moved.

        A story that runs for weeks would otherwise keep every article's features in memory.
        """
        while len(members) > RECLAIM_RECENT:
            self.features.pop(members.pop(0), None)

    def _reclaim(self, young: Story, when: float | None) -> None:
        """_reclaim moves to a young story the neighbours' recent members that fit it better."""
        link_to = functools.partial(
            self._link, young.terms, young.vector, young.years, young.size, young.short,
            young.vectors, figures=young.figures,
        )  # fmt: skip
        neighbours = [
            s for s in self._candidates(young.terms, False, when, exclude=young.id) if s.size >= 2
        ]
        neighbours.sort(key=lambda s: -link_to(story=s))
        for other in neighbours[:RECLAIM_STORIES]:
            for aid in list(self.members.get(other.id, ())):
                if other.size < 2:
                    break
                member = self.features[aid]
                terms = member.terms()
                rest = _without(other, member, terms)
                stay = self._link(terms, member.vector, member.years, 1, member.short, 1, rest, member.figures)  # fmt: skip
                move = self._link(terms, member.vector, member.years, 1, member.short, 1, young, member.figures)  # fmt: skip
                if move < self.threshold or move <= stay:
                    continue
                if not member.short and not young.short and move < self.threshold + SMALL_BONUS / young.size:  # fmt: skip
                    continue
                # Years and figures are unions that cannot be taken apart: `other` keeps the
                # moved article's, which can only make joining it a little stricter.
                other.absorb(
                    {t: -w for t, w in terms.items()},
                    None if member.vector is None else -member.vector,
                    set(), -1, -member.short, vectors=-int(member.vector is not None),
                )  # fmt: skip
                young.absorb(terms, member.vector, member.years, 1, member.short, figures=member.figures)  # fmt: skip
                self.members[other.id].remove(aid)
                self.members[young.id].append(aid)
                self.members[young.id].sort(key=lambda a: self.features[a].order)
                self._trim(self.members[young.id])
                self.story_of[aid] = young.id
                self._moves.append((aid, other.id, young.id))
        self._index(young)

    def _drop(self, sid: str) -> None:
        for aid in self.members.pop(sid, ()):
            self.features.pop(aid, None)
        story = self.stories.pop(sid)
        for t in story.terms:
            ids = self.index.get(t)
            if ids is not None:
                ids.discard(sid)
                if not ids:
                    del self.index[t]

    def _alive(self, story: Story, when: float | None) -> bool:
        return when is None or story.last_seen is None or abs(when - story.last_seen) <= self.window

    def _candidates(
        self, terms: Vector, vector: bool, when: float | None, exclude: str = ""
    ) -> list[Story]:
        ids: set[str] = set()
        for t in terms:
            ids |= self.index.get(t, set())
        if vector:  # a paraphrase may share no word: every story with a vector is a candidate
            ids |= {s.id for s in self.stories.values() if s.vector is not None}
        ids.discard(exclude)
        return [
            self.stories[s]
            for s in sorted(ids)
            if s in self.stories and self._alive(self.stories[s], when)
        ]

    def _link(
        self,
        terms: Vector,
        vector: np.ndarray | None,
        years: set[str],
        size: int,
        short: int,
        vectors: int,
        story: Story,
        figures: set[str] | None = None,
    ) -> float:
        """_link is the average cosine between the members of a group (summed vectors) and a story's."""
        sim = _dot(terms, story.terms) / (size * story.size)
        short_share = (short + story.short) / (size + story.size)
        if vector is not None and story.vector is not None and short:
            share = self.vector_weight * short_share
            vsim = float(np.dot(vector, story.vector)) / (vectors * story.vectors)
            sim = (1 - share) * sim + share * vsim
        elif vector is not None and story.vector is not None and LONG_VECTOR_WEIGHT:
            vsim = float(np.dot(vector, story.vector)) / (vectors * story.vectors)
            sim = (1 - LONG_VECTOR_WEIGHT) * sim + LONG_VECTOR_WEIGHT * (vsim - LONG_VECTOR_BASE)
            sim *= 1.0 + (SHORT_SCALE - 1.0) * short_share
        else:
            sim *= 1.0 + (SHORT_SCALE - 1.0) * short_share
        if years and story.years and not years & story.years:
            sim *= self.year_penalty
        if figures and story.figures and not figures & story.figures and short_share < 0.5:
            sim *= FIGURE_PENALTY
        return sim

    def _merge_from(self, story: Story, when: float | None) -> None:
        while True:
            best, best_sim = None, self.merge
            for other in self._candidates(
                story.terms, story.vector is not None and story.short > 0, when, exclude=story.id
            ):
                sim = self._link(
                    story.terms,
                    story.vector,
                    story.years,
                    story.size,
                    story.short,
                    story.vectors,
                    other,
                    story.figures,
                )
                small = min(story.size, other.size)
                if not story.short and not other.short and sim < self.merge + SMALL_BONUS / small:
                    continue
                if sim >= best_sim:
                    best, best_sim = other, sim
            if best is None:
                return
            keep, gone = sorted((story, best), key=lambda s: int(s.id[1:]))
            keep.absorb(
                gone.terms,
                gone.vector,
                gone.years,
                gone.size,
                gone.short,
                gone.vectors,
                gone.figures,
            )
            if gone.last_seen is not None:
                keep.last_seen = max(keep.last_seen or gone.last_seen, gone.last_seen)
            joined = self.members.setdefault(keep.id, []) + self.members.pop(gone.id, [])
            self.members[keep.id] = sorted(joined, key=lambda a: self.features[a].order)
            self._trim(self.members[keep.id])
            self._drop(gone.id)
            self._index(keep)
            self.merged_into[gone.id] = keep.id
            story = keep


def _without(story: Story, member: Member, terms: Vector) -> Story:
    """_without is a story as it would be without one of its members (for a leave-one-out link).

    Its terms are a view (the story's weights less the member's), not a copy of up to
    STORY_TERMS weights: the view is only read, by `_dot`, through the member's own terms.
    """
    rest = Story(id=story.id, size=story.size - 1, short=story.short - member.short)
    rest.terms = _Less(story.terms, terms)  # type: ignore[assignment]
    if story.vector is not None and member.vector is not None:
        rest.vector = story.vector - member.vector
        rest.vectors = story.vectors - 1
    else:
        rest.vector, rest.vectors = story.vector, story.vectors
    rest.years, rest.figures = story.years, story.figures
    return rest


class _Less(Mapping[str, float]):
    """_Less reads as `whole` minus `part` (term weights), computing only the entries asked for."""

    def __init__(self, whole: Vector, part: Vector) -> None:
        self.whole, self.part = whole, part

    def __getitem__(self, term: str) -> float:
        return self.whole[term] - self.part.get(term, 0.0)

    def __contains__(self, term: object) -> bool:
        return term in self.whole

    def __len__(self) -> int:
        return len(self.whole)

    def __iter__(self) -> Iterator[str]:
        return iter(self.whole)


def story_title(articles: Sequence[dict[str, Any]]) -> str:
    """story_title returns the most central headline of a story: the one most like the others."""
    titles = [str(a.get("title") or "").strip() for a in articles]
    titles = [t for t in titles if t]
    if len(titles) <= 2:
        return titles[0] if titles else ""
    bags = [Counter(w for w in words(t) if w not in _STOP) for t in titles]
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    units = []
    for bag in bags:
        vec = {w: math.log((len(bags) + 1) / (df[w] + 1)) + 1.0 for w in bag}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        units.append({w: v / norm for w, v in vec.items()})
    total: Vector = {}
    for unit in units:
        for w, v in unit.items():
            total[w] = total.get(w, 0.0) + v
    # Centrality: cosine to the sum of the other headlines; ties go to the earlier article.
    scores = [_dot(unit, total) - 1.0 for unit in units]
    return titles[max(range(len(titles)), key=lambda i: (scores[i], -i))]


def timeline(articles: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """timeline returns a story's articles oldest first (articles without a time come last)."""
    dated = [(timestamp(a.get("published")), n, a) for n, a in enumerate(articles)]
    return [a for _, _, a in sorted(dated, key=lambda x: (x[0] is None, x[0] or 0.0, x[1]))]


NEW_SENTENCE = 0.5  # a sentence whose best match in earlier coverage is below this is new
MIN_SENTENCE_WORDS = 5  # shorter lines (bylines, captions, "Read more") are not news
_BOILERPLATE = re.compile(
    r"(?i)\b(copyright|all rights reserved|subscribe|sign up|newsletter|follow us|click here|read more|"
    r"contributed to this report|reporting by|editing by|this story has been (?:corrected|updated))\b"
)


def what_changed(
    previous_texts: Sequence[str], new_text: str, *, threshold: float = NEW_SENTENCE
) -> list[str]:
    """what_changed returns the sentences of a new article that earlier coverage did not already say."""
    seen: list[Vector] = []
    df: Counter[str] = Counter()
    old_bags = [
        _sentence_bag(s) for text in previous_texts for s in sentences(text)[:MAX_SENTENCES]
    ]
    new_sents = [s for s in sentences(new_text)[:MAX_SENTENCES]]
    new_bags = [_sentence_bag(s) for s in new_sents]
    for bag in old_bags + new_bags:
        df.update(bag.keys())
    n = len(old_bags) + len(new_bags)

    def unit(bag: Counter[str]) -> Vector:
        vec = {w: c * (math.log((n + 1) / (df[w] + 1)) + 1.0) for w, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {w: v / norm for w, v in vec.items()}

    seen = [unit(bag) for bag in old_bags if bag]
    index: dict[str, list[int]] = {}
    for i, vec in enumerate(seen):
        for w in vec:
            index.setdefault(w, []).append(i)
    out: list[str] = []
    for sentence, bag in zip(new_sents, new_bags, strict=True):
        if len(sentence.split()) < MIN_SENTENCE_WORDS or _BOILERPLATE.search(sentence) or not bag:
            continue
        vec = unit(bag)
        near = {i for w in vec for i in index.get(w, ())}
        if max((_dot(vec, seen[i]) for i in near), default=0.0) < threshold:
            out.append(sentence)
            # A sentence repeated within the new article is new only once.
            seen.append(vec)
            for w in vec:
                index.setdefault(w, []).append(len(seen) - 1)
    return out


def _sentence_bag(sentence: str) -> Counter[str]:
    return Counter(w for w in words(sentence) if w not in _STOP and (len(w) > 1 or not w.isascii()))


EMBED_BATCH = 64  # rows read ahead to embed articles together


def nlp_cluster(rows: Iterable[dict[str, Any]], **options: Any) -> Iterator[dict[str, Any]]:
    """nlp_cluster assigns {"id","title"?,"text"?,"published"?,"vector"?} rows to stories in stream order.

    Articles without a "vector" are embedded (title and lead) with `embed.embed_texts` when its model
    is installed (option embed=False turns that off); without it they are clustered on words alone.
    """
    tunable = ("threshold", "merge", "window_hours", "vector_weight", "year_penalty")
    clusterer = OnlineStoryClusterer(**{k: options[k] for k in tunable if k in options})
    embedder = _embedder() if options.get("embed", True) else None
    ids: list[str] = []
    for batch in _batches(rows, EMBED_BATCH):
        vectors = _vectors(batch, embedder)
        for row, vector in zip(batch, vectors, strict=True):
            ids.append(str(row["id"]))
            title, text = str(row.get("title") or ""), str(row.get("text") or "")
            clusterer.add(ids[-1], title, text, row.get("published"), vector)
    for rid in ids:
        yield {"id": rid, "cluster": clusterer.story(rid)}


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _embedder() -> Callable[[list[str]], np.ndarray] | None:
    try:
        from broadsheet.enrich import embed

        embed.load()
    except Exception as exc:  # no model built, no onnxruntime: words alone still cluster
        logger.warning("story clustering without sentence vectors: %s", exc)
        return None
    # The token bound the pipeline embeds articles with (embed.embed_article).
    return functools.partial(embed.embed_texts, max_tokens=embed.ARTICLE_TOKENS)


def _vectors(
    batch: list[dict[str, Any]], embedder: Callable[[list[str]], np.ndarray] | None
) -> list[Any]:
    vectors: list[Any] = [row.get("vector") for row in batch]
    todo = [i for i, row in enumerate(batch) if vectors[i] is None]
    if embedder is not None and todo:
        texts = [_embed_text(batch[i]) for i in todo]
        for i, vec in zip(todo, embedder(texts), strict=True):
            vectors[i] = vec
    return vectors


def _embed_text(row: dict[str, Any]) -> str:
    from broadsheet.enrich.embed import ARTICLE_LEAD_CHARS, article_text

    # The enrichment pipeline embeds an article's title and lead the same way (embed.embed_article).
    title, text = str(row.get("title") or ""), str(row.get("text") or "")
    return article_text(title, text[:ARTICLE_LEAD_CHARS])
