"""Full-text search over articles, the same on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Work per query is bounded: the database returns at most the newest BROADSHEET_SEARCH_CANDIDATES
matches (newest first is a descending scan of the date-ordered doc_key; source, language and tag
filters are tokens intersected inside the full-text index, a date range is a key range), and
relevance ranks only those candidates: matches in the title first, newer first among equals. bm25 was measured and dropped: FTS5 computes its IDF by walking each term's whole doclist,
~20 ms for a term in 200k articles, ~100 ms at 1M; PostgreSQL's ranks have no IDF at all.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from broadsheet.articles.models import Article
from broadsheet.search.index import key_range, language_code, meta_tokens, ts_lexeme
from broadsheet.search.tokenize import RUN, Phrase, Query, normalize, parse_query

MAX_LIMIT = 50
MAX_OFFSET = 1000
SORTS = ("relevance", "new")


@dataclass(frozen=True)
class SearchPage:
    """One page of search results."""

    articles: list[Article]  # with .source selected
    has_next: bool
    query_tokens: list[str]  # for highlighting


@dataclass(frozen=True)
class _Filters:
    meta: list[str]
    low: int | None
    high: int | None


def _fts_phrase(phrase: Phrase) -> str:
    return '"' + " ".join(phrase.tokens) + '"' + (" *" if phrase.prefix else "")


def fts_expression(query: Query, *, meta: list[str]) -> str:
    """fts_expression writes a parsed query as an FTS5 MATCH string: every token quoted, columns fixed."""
    expr = "doc : (" + " AND ".join(_fts_phrase(p) for p in query.include) + ")"
    if meta:
        expr += " AND meta : (" + " AND ".join(f'"{token}"' for token in meta) + ")"
    if query.exclude:
        expr = f"({expr}) NOT doc : (" + " OR ".join(_fts_phrase(p) for p in query.exclude) + ")"
    return expr


def _ts_phrase(phrase: Phrase) -> str:
    lexemes = [ts_lexeme(t) for t in phrase.tokens]
    if phrase.prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


def tsquery_literal(query: Query, *, meta: list[str]) -> str:
    """tsquery_literal writes a parsed query as a tsquery, bypassing PostgreSQL's parser."""
    parts = [_ts_phrase(p) for p in query.include] + [ts_lexeme("#" + token) for token in meta]
    parts += [f"!{_ts_phrase(p)}" for p in query.exclude]
    return " & ".join(parts)


def title_needles(query: Query) -> list[str]:
    """title_needles are substrings of " title tokens " that mean a phrase of the query is in the title."""
    return [" " + " ".join(p.tokens) + ("" if p.prefix else " ") for p in query.include]


def _order(query: Query, sort: str, params: list[str | int]) -> str:
    if sort == "new":
        return "doc_key DESC"
    # Relevance: how many of the query's phrases the title holds, then the newest first.
    needles = title_needles(query)
    params.extend(needles)
    score = " + ".join(
        ["CASE WHEN INSTR(' ' || title_tokens || ' ', %s) > 0 THEN 1 ELSE 0 END"] * len(needles)
    )
    return f"({score}) DESC, doc_key DESC"


def _page_sqlite(
    query: Query, f: _Filters, sort: str, cap: int, page: tuple[int, int]
) -> list[int]:
    fts = "SELECT rowid FROM search_fts WHERE search_fts MATCH %s"
    params: list[str | int] = [fts_expression(query, meta=f.meta)]
    if f.low is not None:
        fts += " AND rowid >= %s"
        params.append(f.low)
    if f.high is not None:
        fts += " AND rowid < %s"
        params.append(f.high)
    fts += " ORDER BY rowid DESC LIMIT %s"
    params.append(cap)
    order = _order(query, sort, params)
    params.extend(page)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT article_id FROM search_searchdocument"
            f" WHERE doc_key IN ({fts}) ORDER BY {order} LIMIT %s OFFSET %s",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def _page_postgres(
    query: Query, f: _Filters, sort: str, cap: int, page: tuple[int, int]
) -> list[int]:
    matches = "SELECT article_id, doc_key, title_tokens FROM search_searchdocument WHERE vector @@ %s::tsquery"
    params: list[str | int] = [tsquery_literal(query, meta=f.meta)]
    if f.low is not None:
        matches += " AND doc_key >= %s"
        params.append(f.low)
    if f.high is not None:
        matches += " AND doc_key < %s"
        params.append(f.high)
    matches += " ORDER BY doc_key DESC LIMIT %s"
    params.append(cap)
    order = _order(query, sort, params).replace("INSTR(", "STRPOS(")
    params.extend(page)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT article_id FROM ({matches}) AS candidates ORDER BY {order} LIMIT %s OFFSET %s",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def search_articles(
    *,
    query: str,
    source_id: int | None = None,
    tag_slug: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    language: str | None = None,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
    load: QuerySet[Article] | None = None,
) -> SearchPage:
    """search_articles finds articles matching a query and filters: two SQL queries, bounded work.

    load is the queryset the page's articles are read from (default: with their source), so a
    caller that shows more (cards, panels) reads each article once.

    Raises ValueError for a limit outside 1..50, an offset outside 0..1000 or an unknown sort.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"offset must be between 0 and {MAX_OFFSET}")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    parsed = parse_query(query)
    tokens = parsed.highlight_tokens()
    if not parsed.include:
        return SearchPage(articles=[], has_next=False, query_tokens=tokens)
    low, high = key_range(since=since, until=until)
    filters = _Filters(
        meta=meta_tokens(
            source_id=source_id,
            language=language_code(language or ""),
            tag_slugs=[tag_slug] if tag_slug else [],
        ),
        low=low,
        high=high,
    )
    want = offset + limit + 1
    cap = (
        max(settings.BROADSHEET["BROADSHEET_SEARCH_CANDIDATES"], want)
        if sort == "relevance"
        else want
    )
    fetch = _page_postgres if connection.vendor == "postgresql" else _page_sqlite
    window = fetch(parsed, filters, sort, cap, (limit + 1, offset))
    ids = window[:limit]
    found = (Article.objects.select_related("source") if load is None else load).in_bulk(ids)
    return SearchPage(
        articles=[found[i] for i in ids if i in found],
        has_next=len(window) > limit,
        query_tokens=tokens,
    )


def _hits(text: str, wanted: set[str], stop: int | None = None) -> Iterator[tuple[int, int]]:
    """_hits yields the spans of text that match wanted tokens, in order, touching ones merged;
    runs starting at or after stop are not read."""
    pending: tuple[int, int] | None = None
    for match in RUN.finditer(text):
        if stop is not None and match.start() >= stop:
            break
        if pending and pending[1] < match.start():
            yield pending  # nothing from here on can touch it
            pending = None
        run = match.group()
        if match.group(2):
            if normalize(run)[:64] in wanted:
                if pending:
                    yield pending
                pending = match.span()
            continue
        folded = normalize(run)
        if len(folded) != len(run):
            continue  # width-changing folds: offsets would not line up; skip marking this run
        for i in range(len(run)):
            if folded[i : i + 2] in wanted or (folded[i] in wanted):
                end = match.start() + (i + 2 if folded[i : i + 2] in wanted else i + 1)
                start = match.start() + i
                if pending and pending[1] >= start:
                    pending = (pending[0], max(pending[1], end))
                else:
                    if pending:
                        yield pending
                    pending = (start, end)
    if pending:
        yield pending


def highlight(text: str, tokens: list[str], *, max_chars: int = 240) -> str:
    """highlight returns an HTML-escaped snippet of text around the first hit, hits wrapped in <mark>."""
    text = text[:100_000]
    wanted = set(tokens)
    first = next(_hits(text, wanted), None) if wanted else None
    start = 0
    if first and first[0] > max_chars // 3:
        start = first[0] - max_chars // 3
        space = text.rfind(" ", start - 20, first[0])
        start = space + 1 if space >= start - 20 and space != -1 else start
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + max_chars // 2 else end
    # Only as far as the snippet reaches: the rest of a long article is never scanned.
    spans = list(_hits(text, wanted, stop=end)) if first else []
    out = ["…" if start > 0 else ""]
    pos = start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)
