"""Changes to a reader's read and starred state: the one place the site and the reader APIs write it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article
from broadsheet.reading.models import ArticleState


def articles_mark(
    *, user: User, article_ids: Iterable[int], read: bool | None = None, starred: bool | None = None
) -> int:
    """articles_mark sets read and/or starred for the given articles; None leaves a flag as it is.

    Returns how many articles were touched. Idempotent: marking twice keeps the first timestamp.
    """
    ids = sorted(set(article_ids))
    if not ids or (read is None and starred is None):
        return 0
    now = timezone.now()
    with transaction.atomic():
        existing = {
            s.article_id: s for s in ArticleState.objects.filter(user=user, article_id__in=ids)
        }
        new = [ArticleState(user=user, article_id=i) for i in ids if i not in existing]
        rows = [*existing.values(), *new]
        for state in rows:
            if read is not None:
                state.read_at = (state.read_at or now) if read else None
            if starred is not None:
                state.starred_at = (state.starred_at or now) if starred else None
        ArticleState.objects.bulk_create(new, ignore_conflicts=True)
        ArticleState.objects.bulk_update(list(existing.values()), ["read_at", "starred_at"])
    return len(ids)


def articles_mark_all_read(*, user: User, articles: QuerySet[Article], chunk: int = 2000) -> int:
    """articles_mark_all_read marks every article of a queryset read (a stream's "mark all as read").

    Works in chunks of ids, so a stream of a million articles costs bounded memory; rows already
    read keep their first timestamp. Returns how many articles were newly marked.
    """
    now = timezone.now()
    marked = ArticleState.objects.filter(
        user=user, read_at__isnull=True, article_id__in=articles.values("id")
    ).update(read_at=now)
    missing = articles.exclude(id__in=ArticleState.objects.filter(user=user).values("article_id"))
    last = 0
    while True:
        ids = list(missing.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:chunk])
        if not ids:
            return marked
        ArticleState.objects.bulk_create(
            [ArticleState(user=user, article_id=i, read_at=now) for i in ids], ignore_conflicts=True
        )
        marked += len(ids)
        last = ids[-1]
