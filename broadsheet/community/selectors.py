"""Reads of what readers follow, and their personal "For you" page."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article
from broadsheet.community.models import Follow


def for_you_articles(*, user: User) -> QuerySet[Article]:
    """for_you_articles returns the articles of the tags, sources and stories a reader follows, newest first."""
    follows = Follow.objects.filter(user=user)
    match = (
        Q(article_tags__tag__in=follows.filter(tag__isnull=False).values("tag"))
        | Q(source__in=follows.filter(source__isnull=False).values("source"))
        | Q(enrichment__story__in=follows.filter(story__isnull=False).values("story"))
    )
    ids = Article.objects.filter(match).values("id")
    return (
        Article.objects.filter(id__in=ids).select_related("source").order_by("-published_at", "-id")
    )
