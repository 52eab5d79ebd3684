"""Reads of articles."""

from __future__ import annotations

from django.db.models import QuerySet

from broadsheet.articles.models import Article


def article_list_latest(*, limit: int = 50) -> QuerySet[Article]:
    """article_list_latest returns the newest articles with their sources."""
    return Article.objects.select_related("source").order_by("-published_at", "-id")[:limit]
