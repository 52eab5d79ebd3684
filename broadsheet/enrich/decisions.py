"""Story and wire-copy decisions, taken one at a time in a global order that every process replays.

Clustering and copy detection are online: each article's answer depends on every earlier one. The
state they need (story centroids, copy shingles, the vector index) lives in each worker's memory,
and the database holds the decisions. Before deciding, a worker locks the one `DecisionLock` row
(serialising decisions across processes and hosts), replays the decisions other workers took since
its last look — in `seq` order, so its state ends where theirs did — then decides, numbers the
decision and commits. A restarted worker replays the last `REPLAY_DAYS` of decisions.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.enrich.cluster import OnlineStoryClusterer
from broadsheet.enrich.embed import article_vector_tag
from broadsheet.enrich.models import DecisionLock, Enrichment, Story
from broadsheet.enrich.neardup import DuplicateIndex, shingles
from broadsheet.enrich.vindex import VectorIndex, vector_from_bytes

log = logging.getLogger(__name__)

REPLAY_DAYS = 4  # a story takes no article after 72 h of silence; a little more for margin
TEXT_CHARS = 20_000  # what clustering and copy detection read of an article


@dataclass
class Decision:
    story_id: int
    duplicate_of: int | None
    merged: list[tuple[int, int]]  # (story merged away, story kept)
    moved: list[tuple[int, int]] = field(default_factory=list)  # (earlier article, story it joins)


@dataclass
class DecisionState:
    """DecisionState is one process's copy of the online models, caught up to decision `seq`."""

    seq: int = 0
    clusterer: OnlineStoryClusterer = field(default_factory=OnlineStoryClusterer)
    copies: DuplicateIndex = field(default_factory=DuplicateIndex)
    vectors: VectorIndex = field(default_factory=VectorIndex)
    story_rows: dict[str, int] = field(default_factory=dict)  # clusterer story key -> Story id
    primed: bool = False

    def catch_up(self) -> None:
        """catch_up replays every decision taken since this state's last one."""
        rows = Enrichment.objects.filter(seq__gt=self.seq)
        if not self.primed:
            since = timezone.now() - timedelta(days=REPLAY_DAYS)
            rows = rows.filter(article__fetched_at__gte=since)
            self.primed = True
        rows = (
            rows.select_related("article")
            .only(*_REPLAY_FIELDS)
            # The story row each decision stands for now: the one it was merged into, if any.
            .annotate(live_story=Coalesce("story__merged_into_id", "story_id"))
            .order_by("seq")
        )
        vector_tag = article_vector_tag()
        filed: list[tuple[str, int]] = []  # (article, the story row it is in now)
        for enrichment in rows.iterator(chunk_size=500):
            self._replay(enrichment, vector_tag)
            if enrichment.story_id is not None:
                filed.append((str(enrichment.article_id), enrichment.live_story))  # type: ignore[attr-defined]
        # The database's decisions win: a fresh process learns which row each story key stands
        # for. Only once every decision is replayed: the row is where the article is now, which
        # a later article may have taken it back to (`take_moves`); its key is likewise the now one.
        for article_id, row in filed:
            self.story_rows[self.clusterer.story(article_id)] = row

    def root(self, key: str) -> str:
        """root follows the clusterer's merges to the story key that stands for key now."""
        while key in self.clusterer.merged_into:
            key = self.clusterer.merged_into[key]
        return key

    def map_merges(self, gone_keys: set[str]) -> list[tuple[int, int]]:
        """map_merges turns the clusterer's new merges into (story row gone, story row kept) pairs."""
        merged = []
        for gone in sorted(gone_keys):
            kept = self.root(gone)
            gone_row, kept_row = self.story_rows.get(gone), self.story_rows.get(kept)
            if gone_row is None:
                continue
            if kept_row is None:
                self.story_rows[kept] = gone_row
            elif kept_row != gone_row:
                merged.append((gone_row, kept_row))
                self.story_rows[gone] = kept_row
        return merged

    def map_moves(self, moves: list[tuple[str, str, str]]) -> list[tuple[int, int]]:
        """map_moves turns the clusterer's moves into (article id, story row it now belongs to)."""
        moved = []
        for article_id, _, to in moves:
            row = self.story_rows.get(self.root(to))
            if row is not None:
                moved.append((int(article_id), row))
        return moved

    def _replay(self, enrichment: Enrichment, vector_tag: str) -> None:
        article = enrichment.article
        # A vector made another way (an older version, int8 against fp32) is not comparable with
        # the new ones: the article is replayed on its words alone.
        vector = None
        if enrichment.vector and enrichment.vector_tag == vector_tag:
            vector = vector_from_bytes(bytes(enrichment.vector))
        self.copies.add(str(article.pk), _text(article))
        self.clusterer.add(
            str(article.pk), article.title, _text(article), article.published_at, vector
        )
        # The same moves the decider took (the same state, the same order); the database has them.
        self.clusterer.take_moves()
        if vector is not None:
            self.vectors.add(np.array([article.pk], dtype=np.int64), vector[None, :])
        self.seq = max(self.seq, enrichment.seq or 0)


# What replaying a decision reads: not the article's HTML nor the enrichment's other results.
_REPLAY_FIELDS = (
    "seq", "vector", "vector_tag", "story_id", "article__id", "article__title", "article__text",
    "article__summary", "article__published_at",
)  # fmt: skip
_state = DecisionState()
_state_lock = threading.Lock()


def state() -> DecisionState:
    """state returns this process's decision state (call inside `decide`, which catches it up)."""
    return _state


def reset() -> None:
    """reset forgets this process's state (tests; a changed database)."""
    global _state
    with _state_lock:
        _state = DecisionState()


def catch_up() -> None:
    """catch_up replays the decisions other processes took, before `decide` takes the lock.

    Committed decisions are a gap-free prefix of `seq` (each is numbered under the lock and
    committed before the next is numbered), so replaying them early is safe; `decide` then has
    only the few taken meanwhile left to replay while it holds the lock (on SQLite: the database's
    only write lock, which the other workers' stores wait for).
    """
    with _state_lock:
        _state.catch_up()


def decide(
    *,
    article: Article,
    enrichment: Enrichment,
    vector: np.ndarray | None,
    signature: frozenset[int] | None = None,
) -> Decision:
    """decide files an article under a story and a copy group, after every earlier decision.

    Must run inside the caller's transaction: the lock row is held until it commits.
    signature: the article's `copy_signature`, computed before the lock is taken.
    """
    with _state_lock:
        lock, _ = DecisionLock.objects.select_for_update().get_or_create(pk=1)
        st = _state
        st.catch_up()
        text = _text(article)
        group = st.copies.add(str(article.pk), text, signature=signature)
        before = set(st.clusterer.merged_into)
        key = st.clusterer.add(str(article.pk), article.title, text, article.published_at, vector)
        merged = st.map_merges(set(st.clusterer.merged_into) - before)
        story_id = st.story_rows.get(key)
        if story_id is None:
            story_id = Story.objects.create(title=article.title[:1000]).pk
            st.story_rows[key] = story_id
        moved = st.map_moves(st.clusterer.take_moves())
        if vector is not None:
            st.vectors.add(np.array([article.pk], dtype=np.int64), vector[None, :])
        lock.seq += 1
        lock.save(update_fields=["seq"])
        st.seq = lock.seq
        enrichment.seq = lock.seq
        duplicate_of = int(group) if group is not None and group != str(article.pk) else None
        return Decision(story_id=story_id, duplicate_of=duplicate_of, merged=merged, moved=moved)


def copy_signature(article: Article) -> frozenset[int]:
    """copy_signature is what wire-copy detection compares of an article (its text's shingles)."""
    return shingles(_text(article))


def _text(article: Article) -> str:
    return (article.text or article.summary or "")[:TEXT_CHARS]


def stories_merge(merged: list[tuple[int, int]]) -> None:
    """stories_merge moves the articles of stories merged away into the story that stays."""
    with transaction.atomic():
        for gone, kept in merged:
            Enrichment.objects.filter(story_id=gone).update(story_id=kept)
            Story.objects.filter(pk=gone).update(
                merged_into_id=kept, article_count=0, source_count=0
            )


def articles_move(moved: list[tuple[int, int]]) -> set[int]:
    """articles_move files earlier articles under the story that took them back; returns the stories they left."""
    left: set[int] = set()
    with transaction.atomic():
        for article_id, story_id in moved:
            old = (
                Enrichment.objects.filter(article_id=article_id)
                .values_list("story_id", flat=True)
                .first()
            )
            if old is not None and old != story_id:
                left.add(old)
            Enrichment.objects.filter(article_id=article_id).update(story_id=story_id)
    return left - {story_id for _, story_id in moved}
