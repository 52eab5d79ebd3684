"""Reads of a reader's read and starred state."""

from __future__ import annotations

from django.db.models import QuerySet

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article


def starred_articles(*, user: User) -> QuerySet[Article]:
    """starred_articles returns what a reader saved for later, newest save first."""
    return (
        Article.objects.filter(reader_states__user=user, reader_states__starred_at__isnull=False)
        .select_related("source")
        .order_by("-reader_states__starred_at")
    )
