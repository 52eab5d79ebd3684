"""Reads of a reader's read and starred state."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article
from broadsheet.reading.models import ArticleState


def starred_articles(*, user: User) -> QuerySet[Article]:
    """starred_articles returns what a reader saved for later, newest save first."""
    return (
        Article.objects.filter(reader_states__user=user, reader_states__starred_at__isnull=False)
        .select_related("source")
        .order_by("-reader_states__starred_at")
    )


def states_for(*, user: User, article_ids: Iterable[int]) -> dict[int, tuple[bool, bool]]:
    """states_for returns (read, starred) for each of the given articles the reader has a state for."""
    ids = list(set(article_ids))
    if not ids:
        return {}
    rows = ArticleState.objects.filter(user=user, article_id__in=ids).values_list(
        "article_id", "read_at", "starred_at"
    )
    return {aid: (read is not None, starred is not None) for aid, read, starred in rows}


def read_ids(*, user: User, article_ids: Iterable[int]) -> set[int]:
    """read_ids returns which of the given articles the reader has read."""
    ids = list(set(article_ids))
    return set(
        ArticleState.objects.filter(
            user=user, article_id__in=ids, read_at__isnull=False
        ).values_list("article_id", flat=True)
    )


def starred_ids(*, user: User, limit: int = 10_000) -> list[int]:
    """starred_ids returns the ids of what a reader saved, newest save first (at most limit)."""
    return list(
        ArticleState.objects.filter(user=user, starred_at__isnull=False)
        .order_by("-starred_at", "-article_id")
        .values_list("article_id", flat=True)[:limit]
    )


def unread_in(*, user: User, articles: QuerySet[Article]) -> QuerySet[Article]:
    """unread_in narrows articles to those the reader has not read."""
    return articles.exclude(
        id__in=ArticleState.objects.filter(user=user, read_at__isnull=False).values("article_id")
    )
