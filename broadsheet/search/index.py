"""What of an article is searchable, declared once, and how it becomes an index row.

Fields: title, the first BROADSHEET_SEARCH_TEXT_KB of the text, byline and source name (all in one
token stream; the title's tokens are kept apart too, for ranking). Filters: source, language and
hashtags become "meta" tokens that the full-text index intersects with the query (no joins), and
the date (published_at, fetched_at when unknown) is folded into the sort key, so a date range is a
key range. Hashtags arrive after indexing (enrichment runs later), so a finished enrichment
re-indexes its article.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import regex

from broadsheet.search.tokenize import tokens

# doc_key = seconds since 1970 << ID_BITS | article id's low bits: unique for ids below 2**29.
ID_BITS = 29
MAX_SECONDS = (1 << (63 - ID_BITS)) - 1


@dataclass(frozen=True)
class IndexRow:
    """One article, ready for either database's index."""

    article_id: int
    doc_key: int
    source_id: int | None
    language: str
    title_tokens: list[str]
    doc_tokens: list[str]
    meta: list[str]


def meta_tokens(*, source_id: int | None, language: str, tag_slugs: list[str]) -> list[str]:
    """meta_tokens are the filters as tokens, intersected with the query by the full-text index itself."""
    out = [f"s{source_id}"] if source_id is not None else []
    if language:
        out.append(f"l{language}")
    out += [tag_token(slug) for slug in tag_slugs]
    return out


def ts_lexeme(token: str) -> str:
    """ts_lexeme quotes a token as a tsvector/tsquery lexeme."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tag_token(slug: str) -> str:
    """tag_token spells a tag slug (which may hold any letter and hyphens) as one plain token."""
    return "t" + hashlib.blake2b(slug.encode(), digest_size=8).hexdigest()


def seconds(when: datetime) -> int:
    """seconds clamps a datetime to the whole seconds a doc_key can hold."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(int(when.timestamp()), 0), MAX_SECONDS)


def doc_key(*, article_id: int, when: datetime) -> int:
    """doc_key orders articles by date with the id as tie-break, in one 64-bit integer."""
    return (seconds(when) << ID_BITS) | (article_id & ((1 << ID_BITS) - 1))


def key_range(*, since: datetime | None, until: datetime | None) -> tuple[int | None, int | None]:
    """key_range turns an inclusive date range into bounds on doc_key (low inclusive, high exclusive)."""
    low = seconds(since) << ID_BITS if since is not None else None
    high = (seconds(until) + 1) << ID_BITS if until is not None else None
    return low, high


_LANGUAGE = regex.compile(r"[^a-z0-9]")


def language_code(raw: str) -> str:
    """language_code folds a language tag to the form stored and filtered on ("pt-BR" -> "ptbr")."""
    return _LANGUAGE.sub("", raw.casefold())[:16]


def index_row(
    *,
    article_id: int,
    title: str,
    text: str,
    byline: str,
    source_name: str,
    source_id: int | None,
    language: str,
    published_at: datetime | None,
    fetched_at: datetime,
    tag_slugs: list[str],
    text_chars: int,
) -> IndexRow:
    """index_row tokenises one article's searchable fields (the one place that lists them)."""
    title_tokens = tokens(title)
    doc_tokens = [
        *title_tokens,
        *tokens(text[:text_chars]),
        *tokens(byline),
        *tokens(source_name),
    ]
    language = language_code(language)
    return IndexRow(
        article_id=article_id,
        doc_key=doc_key(article_id=article_id, when=published_at or fetched_at),
        source_id=source_id,
        language=language,
        title_tokens=title_tokens,
        doc_tokens=doc_tokens,
        meta=meta_tokens(source_id=source_id, language=language, tag_slugs=tag_slugs),
    )
