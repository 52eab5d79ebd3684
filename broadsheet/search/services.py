"""Writes to the search index: one article (idempotent upsert) or all of them, in batches."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Substr

from broadsheet.articles.models import Article
from broadsheet.core.db import commit_without_flush_wait
from broadsheet.enrich.models import ArticleTag
from broadsheet.search.index import IndexRow, index_row, ts_lexeme

logger = logging.getLogger(__name__)

# tsvector limits: positions run to 16383 and a lexeme keeps at most 256 of them.
_MAX_POSITION = 16383
_MAX_POSITIONS_PER_LEXEME = 255


def _rows(article_ids: Sequence[int] | None, *, after: int = 0, limit: int = 0) -> list[IndexRow]:
    text_chars = settings.BROADSHEET["BROADSHEET_SEARCH_TEXT_KB"] * 1000
    articles = Article.objects.order_by("id")
    if article_ids is not None:
        articles = articles.filter(id__in=article_ids)
    else:
        articles = articles.filter(id__gt=after)[:limit]
    values = articles.annotate(text_head=Substr("text", 1, text_chars)).values_list(
        "id", "title", "text_head", "byline", "source__name", "source_id", "language",
        "published_at", "fetched_at",
    )  # fmt: skip
    rows = list(values)
    tags: dict[int, list[str]] = {}
    pairs = ArticleTag.objects.filter(article_id__in=[row[0] for row in rows])
    for article_id, slug in pairs.values_list("article_id", "tag__slug"):
        tags.setdefault(article_id, []).append(slug)
    return [
        index_row(
            article_id=aid,
            title=title,
            text=text,
            byline=byline,
            source_name=source_name or "",
            source_id=source_id,
            language=language,
            published_at=published_at,
            fetched_at=fetched_at,
            tag_slugs=tags.get(aid, []),
            text_chars=text_chars,
        )
        for aid, title, text, byline, source_name, source_id, language, published_at, fetched_at in rows
    ]


def tsvector_literal(doc_tokens: list[str], meta: list[str]) -> str:
    """tsvector_literal writes tokens with their positions as a tsvector, bypassing PostgreSQL's parser.

    Filters go in as '#'-prefixed lexemes without positions: no query token can spell them.
    """
    positions: dict[str, list[int]] = {}
    for pos, token in enumerate(doc_tokens[:_MAX_POSITION], start=1):
        kept = positions.setdefault(token, [])
        if len(kept) < _MAX_POSITIONS_PER_LEXEME:
            kept.append(pos)
    words = [ts_lexeme(token) + ":" + ",".join(map(str, kept)) for token, kept in positions.items()]
    return " ".join(words + [ts_lexeme("#" + token) for token in meta])


def _write_sqlite(rows: list[IndexRow], gone: list[int]) -> None:
    ids = [row.article_id for row in rows] + gone
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            # The trigger search_document_deleted drops the matching FTS rows.
            cursor.execute(
                f"DELETE FROM search_searchdocument WHERE article_id IN ({marks})", chunk
            )
        # A leftover FTS row at a new key (an interrupted write) would refuse the insert.
        cursor.executemany(
            "DELETE FROM search_fts WHERE rowid = %s", [(row.doc_key,) for row in rows]
        )
        cursor.executemany(
            "INSERT INTO search_searchdocument (article_id, doc_key, source_id, language, title_tokens)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (r.article_id, r.doc_key, r.source_id, r.language, " ".join(r.title_tokens))
                for r in rows
            ],
        )
        cursor.executemany(
            "INSERT INTO search_fts (rowid, doc, meta) VALUES (%s, %s, %s)",
            [(r.doc_key, " ".join(r.doc_tokens), " ".join(r.meta)) for r in rows],
        )


def _write_postgres(rows: list[IndexRow], gone: list[int]) -> None:
    with connection.cursor() as cursor:
        if gone:
            cursor.execute("DELETE FROM search_searchdocument WHERE article_id = ANY(%s)", [gone])
        cursor.executemany(
            "INSERT INTO search_searchdocument"
            " (article_id, doc_key, source_id, language, title_tokens, vector)"
            " VALUES (%s, %s, %s, %s, %s, %s::tsvector)"
            " ON CONFLICT (article_id) DO UPDATE SET doc_key = EXCLUDED.doc_key,"
            " source_id = EXCLUDED.source_id, language = EXCLUDED.language,"
            " title_tokens = EXCLUDED.title_tokens, vector = EXCLUDED.vector",
            [
                (
                    r.article_id,
                    r.doc_key,
                    r.source_id,
                    r.language,
                    " ".join(r.title_tokens),
                    tsvector_literal(r.doc_tokens, r.meta),
                )  # fmt: skip
                for r in rows
            ],
        )


def _write(rows: list[IndexRow], gone: list[int]) -> None:
    if connection.vendor == "postgresql":
        _write_postgres(rows, gone)
    else:
        _write_sqlite(rows, gone)


def search_index_article(*, article_id: int) -> None:
    """search_index_article (re)indexes one article, or drops its row when the article is gone; idempotent."""
    search_index_articles(article_ids=[article_id])


def search_index_articles(*, article_ids: Sequence[int]) -> None:
    """search_index_articles (re)indexes a batch of articles in one transaction; gone ones lose their rows."""
    rows = _rows(list(article_ids))
    found = {row.article_id for row in rows}
    with transaction.atomic():
        commit_without_flush_wait()
        _write(rows, [i for i in article_ids if i not in found])


def search_index_rebuild(*, batch_size: int = 1000) -> int:
    """search_index_rebuild (re)indexes every article in id order, one transaction per batch; returns the count."""
    done, after = 0, 0
    while True:
        rows = _rows(None, after=after, limit=batch_size)
        if not rows:
            break
        with transaction.atomic():
            commit_without_flush_wait()
            _write(rows, [])
        done += len(rows)
        after = rows[-1].article_id
        if done % (batch_size * 50) == 0:
            logger.info("search index: %d articles", done)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE search_searchdocument")
        else:
            # One segment instead of hundreds: fewer seeks per query.
            cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
    return done
