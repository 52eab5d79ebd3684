"""Related coverage: rank candidate articles by meaning, shared hashtags and recency, other outlets first."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_SIMILARITY = 0.35  # below this cosine an article is about something else, tags or not
MEANING, TAGS, RECENCY = 0.75, 0.15, 0.10
RECENCY_HOURS = 72.0


@dataclass(frozen=True)
class Candidate:
    id: int
    source_id: int | None
    similarity: float  # cosine of the sentence embeddings
    shared_tags: int
    hours_apart: float


def related_score(c: Candidate) -> float:
    """related_score blends meaning, shared hashtags and closeness in time into one number."""
    tags = min(c.shared_tags, 3) / 3
    recency = math.exp(-abs(c.hours_apart) / RECENCY_HOURS)
    return MEANING * c.similarity + TAGS * tags + RECENCY * recency


def related_rank(
    *, source_id: int | None, candidates: Iterable[Candidate], k: int = 6
) -> list[tuple[int, float]]:
    """related_rank picks up to k related articles: other outlets first, then by blended score."""
    kept = [c for c in candidates if c.similarity >= MIN_SIMILARITY]
    kept.sort(key=lambda c: (source_id is not None and c.source_id == source_id, -related_score(c)))
    return [(c.id, round(related_score(c), 4)) for c in kept[:k]]


def nlp_related(
    rows: Iterable[dict[str, Any]], *, k: int = 5, **options: Any
) -> Iterator[dict[str, Any]]:
    """nlp_related answers {"id","text","title"?,"source"?} rows with {"id","related":[ids]} by meaning."""
    items = list(rows)
    if not items:
        return
    vectors = _vectors([f"{r.get('title', '')}. {str(r.get('text', ''))[:2000]}" for r in items])
    sims = vectors @ vectors.T
    for i, row in enumerate(items):
        sims[i, i] = -1.0
        order = np.argsort(-sims[i])
        candidates = [
            Candidate(
                id=int(j),
                source_id=hash(items[j].get("source")) if items[j].get("source") else None,
                similarity=float(sims[i, j]),
                shared_tags=0,
                hours_apart=0.0,
            )
            for j in order[: 4 * k]
        ]
        own = hash(row.get("source")) if row.get("source") else None
        ranked = related_rank(source_id=own, candidates=candidates, k=k)
        yield {"id": row["id"], "related": [items[j]["id"] for j, _ in ranked]}


def _vectors(texts: list[str]) -> np.ndarray:
    from broadsheet.enrich.embed import ModelMissing, embed_texts

    try:
        return embed_texts(texts)
    except ModelMissing:
        return _tfidf(texts)


def _tfidf(texts: list[str]) -> np.ndarray:
    # The fallback when the embedding model is not built: unit TF-IDF vectors over the input.
    from broadsheet.enrich.textutil import content_words

    docs = [content_words(t) for t in texts]
    vocab: dict[str, int] = {}
    for d in docs:
        for w in set(d):
            vocab.setdefault(w, len(vocab))
    df = np.zeros(len(vocab))
    for d in docs:
        for w in set(d):
            df[vocab[w]] += 1
    idf = np.log((len(docs) + 1) / (df + 1)) + 1
    out = np.zeros((len(docs), len(vocab)), dtype=np.float32)
    for i, d in enumerate(docs):
        for w in d:
            out[i, vocab[w]] += 1
        out[i] = np.log1p(out[i]) * idf
        norm = np.linalg.norm(out[i])
        if norm:
            out[i] /= norm
    return out
