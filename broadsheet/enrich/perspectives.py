"""Perspectives: how each outlet frames a story — the words and sentences it uses that the others don't."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from broadsheet.enrich.textutil import content_words, sentences

TERMS_PER_SOURCE = 5
SENTENCES_PER_SOURCE = 2
MAX_SENTENCES = 200  # per source: bounds the cost of a huge article
MIN_WORDS = 8


@dataclass
class Perspective:
    source: str
    article_ids: list[int] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)


def perspectives(articles: Sequence[tuple[int, str, str, str]]) -> list[Perspective]:
    """perspectives contrasts each source's coverage of a story with the other sources'.

    Takes (article_id, source name, title, text). A source's angle is its words weighted by how
    much more it uses them than the rest of the story (a log-odds ratio with a uniform prior), and
    its distinctive sentences are those that carry most of that weight. Needs two sources or more.
    """
    by_source: dict[str, list[tuple[int, str]]] = {}
    for article_id, source, title, text in articles:
        by_source.setdefault(source, []).append((article_id, f"{title}. {text}"))
    if len(by_source) < 2:
        return []
    counts = {
        s: Counter(w for _, t in items for w in content_words(t)) for s, items in by_source.items()
    }
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    out = []
    for source, items in by_source.items():
        mine = counts[source]
        rest = total - mine
        n_mine, n_rest = sum(mine.values()) or 1, sum(rest.values()) or 1
        vocab = len(total) or 1
        weight = {
            w: math.log((mine[w] + 1) / (n_mine + vocab))
            - math.log((rest[w] + 1) / (n_rest + vocab))
            for w in mine
            if mine[w] >= 2 or rest[w] == 0
        }
        distinctive = {w: v for w, v in weight.items() if v > 0}
        terms = [
            w for w, _ in sorted(distinctive.items(), key=lambda kv: -kv[1])[:TERMS_PER_SOURCE]
        ]
        candidates = [
            s for _, t in items for s in sentences(t)[:MAX_SENTENCES] if len(s.split()) >= MIN_WORDS
        ]
        scored = sorted(
            candidates,
            key=lambda s: (
                -sum(distinctive.get(w, 0.0) for w in set(content_words(s)))
                / math.sqrt(len(s.split()))
            ),
        )
        out.append(
            Perspective(
                source=source,
                article_ids=[i for i, _ in items],
                terms=terms,
                sentences=scored[:SENTENCES_PER_SOURCE],
            )
        )
    return out
