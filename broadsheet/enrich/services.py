"""Enriching an article: the heavy, parallel part (embedding, hashtags, key points), then the decisions
(story, wire copies) in global order, then related coverage. A failure never loses the article: it
stays visible as not enriched, and the scheduler retries it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.enrich import decisions
from broadsheet.enrich.cluster import story_title, what_changed
from broadsheet.enrich.embed import article_vector_tag
from broadsheet.enrich.hashtags import Hashtag, TagInput, hashtags_many, keyphrases
from broadsheet.enrich.models import ArticleTag, Enrichment, RelatedArticle, Story, Tag
from broadsheet.enrich.related import Candidate, related_rank
from broadsheet.enrich.summarize import key_points, story_summary
from broadsheet.enrich.vindex import vector_from_bytes, vector_to_bytes

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Articles per re-queued enrichment task: as many as one page-fetch task stores (ENTRY_BATCH).
ENRICH_BATCH = 20
TEXT_CHARS = 60_000  # a 200,000-word page is enriched from its first ~10,000 words
STORY_SUMMARY_ARTICLES = 8


@dataclass
class Computed:
    vector: np.ndarray | None
    tags: list[Hashtag]
    keyphrases: list[str]
    key_points: list[str]
    # Computed here, outside the decision lock (on SQLite: the database's write lock).
    signature: frozenset[int] | None = None


def articles_compute(*, articles: list[Article]) -> list[Computed]:
    """articles_compute runs the pure enrichment steps on several articles, NER as one batch."""
    texts = [(article.text or "")[:TEXT_CHARS] for article in articles]
    tags = hashtags_many(
        [
            TagInput(a.title, text, a.language or "en")
            for a, text in zip(articles, texts, strict=True)
        ],
        k=8,
    )
    return [
        Computed(
            vector=_embed(article.title, text),
            tags=article_tags,
            keyphrases=keyphrases(
                title=article.title, text=text, k=10, lang=article.language or "en"
            ),
            key_points=key_points(text, title=article.title, n=3),
            signature=decisions.copy_signature(article),
        )
        for article, text, article_tags in zip(articles, texts, tags, strict=True)
    ]


def _embed(title: str, text: str) -> np.ndarray | None:
    from broadsheet.enrich.embed import ModelMissing, embed_article

    # One text per call: the int8 model's vectors would shift with their batch neighbours, and at
    # article length a batch is slower anyway (padding; bench/enrich.py).
    try:
        return embed_article(title, text)
    except ModelMissing as exc:
        # Without the model, stories and related coverage fall back to words alone.
        log.warning("embedding skipped: %s", exc)
        return None


def article_enrich(*, article_id: int) -> Enrichment | None:
    """article_enrich computes and stores everything enrichment adds to one article; idempotent."""
    outcome = _enrich(article_ids=[article_id]).get(article_id)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def articles_enrich(*, article_ids: list[int]) -> list[int]:
    """articles_enrich enriches a batch of articles in the given (arrival) order; returns those that failed.

    One article failing never loses the others: it is marked FAILED for the scheduler to retry.
    """
    outcomes = _enrich(article_ids=article_ids)
    return [pk for pk, outcome in outcomes.items() if isinstance(outcome, Exception)]


def _enrich(*, article_ids: list[int]) -> dict[int, Enrichment | Exception | None]:
    # Enrichment never reads the article's HTML (the largest column).
    found = Article.objects.defer("body_html").in_bulk(article_ids)
    outcomes: dict[int, Enrichment | Exception | None] = {pk: None for pk in article_ids}
    todo: list[tuple[Article, Enrichment]] = []
    for pk in dict.fromkeys(article_ids):
        if pk not in found:
            continue
        enrichment, _ = Enrichment.objects.get_or_create(article=found[pk])
        outcomes[pk] = enrichment
        if enrichment.state != Enrichment.State.DONE:
            todo.append((found[pk], enrichment))
    if not todo:
        return outcomes
    computed = _compute_reusing([article for article, _ in todo])
    stored: list[int] = []
    # Stored one by one, in order: story clustering is online, and each article commits alone.
    for (article, enrichment), result in zip(todo, computed, strict=True):
        if isinstance(result, Exception):
            outcomes[article.pk] = _failed(article.pk, result)
            continue
        try:
            decisions.catch_up()
            with transaction.atomic():
                _store(article, enrichment, result)
            stored.append(article.pk)
        except Exception as exc:
            outcomes[article.pk] = _failed(article.pk, exc)
            decisions.reset()  # the in-memory state may be half-updated: replay it from the database
    _search_reindex(stored)
    return outcomes


def _search_reindex(article_ids: list[int]) -> None:
    """_search_reindex gives search the batch's new hashtags in one transaction (they are filters)."""
    if not article_ids:
        return
    from broadsheet.search.services import search_index_articles

    try:
        search_index_articles(article_ids=article_ids)
    except Exception:  # noqa: BLE001 - enrichment is stored; `broadsheet search-reindex` repairs the index
        log.exception("search: re-indexing enriched articles %s failed", article_ids)


def _failed(article_id: int, exc: Exception) -> Exception:
    """_failed records a failed attempt, for the scheduler to retry; returns the exception."""
    log.error("enrichment of article %s failed", article_id, exc_info=exc)
    Enrichment.objects.filter(pk=article_id).update(
        state=Enrichment.State.FAILED,
        attempts=F("attempts") + 1,
        error=f"{type(exc).__name__}: {exc}"[:2000],
        updated_at=timezone.now(),
    )
    return exc


def _compute_reusing(articles: list[Article]) -> list[Computed | Exception]:
    """_compute_reusing computes each distinct article once, taking an identical one's results.

    Syndicated copies often carry the same title and text word for word (one agency story on many
    sites). The heavy steps (NER, embedding, keyphrases, key points) are pure functions of title,
    text and language, so a copy identical to an article already enriched, or to another in
    the batch, takes those results instead of computing them again: the cheap check first.
    Its own story, copy group and related coverage are still decided for it.
    """
    idents = [(a.title, (a.text or "")[:TEXT_CHARS], a.language or "en") for a in articles]
    first: dict[tuple[str, str, str], int] = {}  # identity -> index of its first article here
    for i, ident in enumerate(idents):
        first.setdefault(ident, i)
    distinct = sorted(first.values())
    found: dict[int, Computed | Exception] = {}
    for i in distinct:
        twin = _twin_computed(articles[i])
        if twin is not None:
            found[i] = twin
    todo = [i for i in distinct if i not in found]
    found.update(zip(todo, _compute_each([articles[i] for i in todo]), strict=True))
    # The same title and text: the same shingles too, so the signature is shared as well.
    return [found[first[ident]] for ident in idents]


def _twin_computed(article: Article) -> Computed | None:
    """_twin_computed rebuilds an identical, already enriched article's results; None when there is none."""
    twin = (
        Enrichment.objects.filter(
            state=Enrichment.State.DONE,
            vector_tag=article_vector_tag(),  # its vector is comparable with the ones made now
            vector__isnull=False,
            article__content_hash=article.content_hash,
            article__title=article.title,
            article__language=article.language,
            article__text=article.text,
        )
        .exclude(article_id=article.pk)
        .only("article_id", "vector", "keyphrases", "key_points")
        .order_by("article_id")
        .first()
    )
    if twin is None or twin.vector is None:
        return None
    tags = [
        Hashtag(display=f"#{row.tag.name}", slug=row.tag.slug, kind=row.tag.kind, score=row.score)
        for row in ArticleTag.objects.filter(article_id=twin.article_id)
        .select_related("tag")
        .order_by("rank")
    ]
    return Computed(
        vector=vector_from_bytes(bytes(twin.vector)),
        tags=tags,
        keyphrases=list(twin.keyphrases),
        key_points=list(twin.key_points),
        signature=decisions.copy_signature(article),
    )


def _compute_each(articles: list[Article]) -> list[Computed | Exception]:
    """_compute_each computes the batch at once, or, when that fails, each article on its own."""
    try:
        return list(articles_compute(articles=articles))
    except Exception as exc:
        if len(articles) == 1:
            return [exc]
    results: list[Computed | Exception] = []
    for article in articles:
        try:
            results.append(articles_compute(articles=[article])[0])
        except Exception as exc:
            results.append(exc)
    return results


def _store(article: Article, enrichment: Enrichment, computed: Computed) -> None:
    tags_store(article=article, tags=computed.tags)
    decision = decisions.decide(
        article=article,
        enrichment=enrichment,
        vector=computed.vector,
        signature=computed.signature,
    )
    if decision.merged:
        decisions.stories_merge(decision.merged)
    left = decisions.articles_move(decision.moved) if decision.moved else set()
    for moved_id, story_id in decision.moved:
        _what_changed_refresh(article_id=moved_id, story_id=story_id)
    enrichment.story_id = decision.story_id
    enrichment.duplicate_of_id = decision.duplicate_of
    enrichment.vector = vector_to_bytes(computed.vector) if computed.vector is not None else None
    enrichment.vector_tag = article_vector_tag() if computed.vector is not None else ""
    enrichment.key_points = computed.key_points
    enrichment.keyphrases = computed.keyphrases
    enrichment.what_changed = _what_changed(article, decision.story_id, enrichment.seq or 0)
    enrichment.state = Enrichment.State.DONE
    enrichment.error = ""
    enrichment.enriched_at = enrichment.updated_at = timezone.now()
    # An UPDATE, not save(): save() would make search re-index this one article in a transaction
    # of its own (its post_save handler); `_enrich` re-indexes the whole batch at once instead.
    Enrichment.objects.filter(pk=enrichment.pk).update(
        **{name: getattr(enrichment, name) for name in _STORED_FIELDS}
    )
    # A wire copy adds no sentence of its own to the story: its summary stays as it was.
    story_refresh(story_id=decision.story_id, summarize=decision.duplicate_of is None or bool(left))
    for story_id in sorted(left):  # the stories that gave articles back: counts, title, summary
        story_refresh(story_id=story_id)
    related_store(article=article, vector=computed.vector)


_STORED_FIELDS = (
    "story_id", "duplicate_of_id", "vector", "vector_tag", "key_points", "keyphrases", "what_changed", "state",
    "error", "enriched_at", "updated_at", "seq",
)  # fmt: skip


def tags_store(*, article: Article, tags: list[Hashtag]) -> None:
    """tags_store replaces an article's hashtags, creating Tag rows on first use.

    A handful of statements whatever the number of tags: each one is a round trip, and on SQLite
    every one of them runs while this worker holds the database's only write lock.
    Tag counters are shared rows that concurrent workers update: they are locked in primary-key
    order first, so two transactions never wait on each other's locks in opposite orders (a
    deadlock on PostgreSQL; SQLite ignores the lock, having one writer).
    """
    with transaction.atomic(savepoint=False):  # the counter locks need one (the caller's, usually)
        _tags_replace(article, tags)


def _tags_replace(article: Article, tags: list[Hashtag]) -> None:
    old_ids = list(ArticleTag.objects.filter(article=article).values_list("tag_id", flat=True))
    ArticleTag.objects.filter(article=article).delete()
    ranked = sorted(enumerate(tags), key=lambda pair: pair[1].slug)
    slugs = [tag.slug[:120] for _, tag in ranked]
    rows = {row.slug: row for row in Tag.objects.filter(slug__in=slugs)}
    missing = [
        Tag(slug=slug, name=tag.display.lstrip("#")[:120], kind=tag.kind)
        for slug, (_, tag) in zip(slugs, ranked, strict=True)
        if slug not in rows
    ]
    if missing:
        # ignore_conflicts: another worker may create the same tag meanwhile; read back either way.
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        rows |= {row.slug: row for row in Tag.objects.filter(slug__in=[t.slug for t in missing])}
    ArticleTag.objects.bulk_create(
        [
            ArticleTag(article=article, tag=rows[slug], rank=rank, score=float(tag.score))
            for slug, (rank, tag) in zip(slugs, ranked, strict=True)
        ]
    )
    delta: dict[int, int] = {}
    for tag_id in old_ids:
        delta[tag_id] = delta.get(tag_id, 0) - 1
    for slug in slugs:
        delta[rows[slug].pk] = delta.get(rows[slug].pk, 0) + 1
    changed = sorted(pk for pk, n in delta.items() if n)
    if not changed:
        return
    list(Tag.objects.select_for_update().filter(pk__in=changed).order_by("pk").values_list("pk"))
    for n in sorted({delta[pk] for pk in changed}):
        ids = [pk for pk in changed if delta[pk] == n]
        Tag.objects.filter(pk__in=ids).update(article_count=F("article_count") + n)


def _what_changed_refresh(*, article_id: int, story_id: int) -> None:
    """_what_changed_refresh recomputes what a moved article added against its new story's earlier reports."""
    enrichment = Enrichment.objects.filter(article_id=article_id).only("seq").first()
    article = Article.objects.filter(pk=article_id).only("id", "text").first()
    if enrichment is None or article is None:
        return
    changed = _what_changed(article, story_id, enrichment.seq or 0)
    Enrichment.objects.filter(pk=enrichment.pk).update(what_changed=changed)


def _what_changed(article: Article, story_id: int, seq: int) -> list[str]:
    # Earlier coverage: the story's reports decided before this one, newest first. Wire copies are
    # left out: each repeats an original (usually in the story too) and would only cost time.
    earlier = list(
        Article.objects.filter(
            enrichment__story_id=story_id,
            enrichment__seq__lt=seq,
            enrichment__duplicate_of__isnull=True,
        )
        .exclude(pk=article.pk)
        .order_by("-published_at")
        .values_list("text", flat=True)[:10]
    )
    if not earlier:
        return []
    return what_changed([t[:TEXT_CHARS] for t in earlier], (article.text or "")[:TEXT_CHARS])[:5]


def story_refresh(*, story_id: int, summarize: bool = True) -> None:
    """story_refresh recomputes a story's title, counts, time span and cross-source summary.

    Only the texts the summary reads (the latest STORY_SUMMARY_ARTICLES) are loaded, and
    summarize=False keeps the summary the story has, when it has one: the article that came in is
    a wire copy, and re-reading texts is the costly part of a growing story's refresh.
    """
    articles = list(
        Article.objects.filter(enrichment__story_id=story_id)
        .order_by("published_at", "id")
        .only("id", "title", "published_at", "fetched_at", "source_id")
    )
    if not articles:
        return
    times = [a.published_at or a.fetched_at for a in articles]
    title = story_title([{"title": a.title} for a in articles])
    lead_id = next((a.id for a in articles if a.title.strip() == title), articles[0].id)
    fields: dict[str, object] = {}
    if summarize or not Story.objects.filter(pk=story_id).exclude(summary=[]).exists():
        fields["summary"] = _story_summary([a.id for a in articles[-STORY_SUMMARY_ARTICLES:]])
    Story.objects.filter(pk=story_id).update(
        title=title[:1000],
        lead_article_id=lead_id,
        first_published_at=min(times),
        last_published_at=max(times),
        article_count=len(articles),
        source_count=len({a.source_id for a in articles}),
        updated_at=timezone.now(),
        **fields,
    )


def _story_summary(article_ids: list[int]) -> list[list[object]]:
    if len(article_ids) < 2:
        return []
    rows = Article.objects.only("id", "title", "text").in_bulk(article_ids)
    chosen = [(pk, rows[pk].title, (rows[pk].text or "")[:TEXT_CHARS]) for pk in article_ids]
    return [[s, c] for s, c in story_summary(chosen, n=4)]


def related_store(*, article: Article, vector: np.ndarray | None, k: int = 6) -> list[int]:
    """related_store picks and saves an article's related coverage; returns the chosen ids."""
    candidates = _candidates(article, vector)
    ranked = related_rank(source_id=article.source_id, candidates=candidates, k=k)
    RelatedArticle.objects.filter(article=article).delete()
    RelatedArticle.objects.bulk_create(
        [
            RelatedArticle(article=article, related_id=rid, rank=i, score=score)
            for i, (rid, score) in enumerate(ranked)
        ]
    )
    return [rid for rid, _ in ranked]


def _candidates(article: Article, vector: np.ndarray | None) -> list[Candidate]:
    hits: dict[int, float] = {}
    if vector is not None:
        hits = dict(decisions.state().vectors.search(vector, k=40))
    tag_ids = list(ArticleTag.objects.filter(article=article).values_list("tag_id", flat=True))
    shared = dict(
        ArticleTag.objects.filter(tag_id__in=tag_ids)
        .exclude(article=article)
        .values("article_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("article_id", "n")[:40]
    )
    ids = (set(hits) | set(shared)) - {article.pk} - _copy_group(article)
    rows = Article.objects.filter(pk__in=ids).values_list(
        "id", "source_id", "published_at", "fetched_at"
    )
    when = article.published_at or article.fetched_at
    return [
        Candidate(
            id=pk,
            source_id=source_id,
            similarity=hits.get(pk, 0.0) if vector is not None else 0.5,
            shared_tags=shared.get(pk, 0),
            hours_apart=_hours(when, published or fetched),
        )
        for pk, source_id, published, fetched in rows
    ]


def _copy_group(article: Article) -> set[int]:
    # Never offer an article's own wire copies (or the original it copies) as "related".
    root = (
        Enrichment.objects.filter(pk=article.pk).values_list("duplicate_of_id", flat=True).first()
        or article.pk
    )
    members = set(
        Enrichment.objects.filter(duplicate_of_id=root).values_list("article_id", flat=True)
    )
    return members | {root}


def _hours(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 3600


def enrichments_due(*, stale_after: int) -> list[int]:
    """enrichments_due returns articles never enriched (a lost task) or failed with attempts to spare."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=stale_after)
    missing = list(
        Article.objects.filter(enrichment__isnull=True, fetched_at__lt=cutoff).values_list(
            "id", flat=True
        )[:1000]
    )
    # A pending row makes the article visible as "not yet enriched" and stops it being re-queued
    # on every pass while its task waits.
    Enrichment.objects.bulk_create(
        [Enrichment(article_id=pk, updated_at=now) for pk in missing], ignore_conflicts=True
    )
    retry = list(
        Enrichment.objects.filter(
            state__in=[Enrichment.State.FAILED, Enrichment.State.PENDING],
            attempts__lt=MAX_ATTEMPTS,
            updated_at__lt=cutoff,
        ).values_list("article_id", flat=True)[:1000]
    )
    Enrichment.objects.filter(article_id__in=retry).update(updated_at=now)
    return missing + retry
