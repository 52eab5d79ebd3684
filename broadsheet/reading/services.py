"""Changes to a reader's read and starred state: the one place the site and the reader APIs write it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from broadsheet.accounts.models import User
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
