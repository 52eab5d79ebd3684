"""Where enrichment listens to the pipeline (connected in EnrichConfig.ready)."""

from __future__ import annotations

from typing import Any


def on_articles_stored(*, created_ids: list[int], **kwargs: Any) -> None:
    """on_articles_stored queues the new articles' enrichment (the signal is sent after commit)."""
    from django.conf import settings

    if created_ids and settings.BROADSHEET["BROADSHEET_ENRICH"]:
        _enqueue(list(created_ids))


def on_scheduler_tick(*, stale_after: int, **kwargs: Any) -> None:
    """on_scheduler_tick re-queues enrichments that were lost or failed with attempts to spare."""
    from django.conf import settings

    if not settings.BROADSHEET["BROADSHEET_ENRICH"]:
        return
    from broadsheet.enrich.services import enrichments_due

    _enqueue(enrichments_due(stale_after=stale_after))


def _enqueue(article_ids: list[int]) -> None:
    # One task per batch: NER runs on the batch at once, and the articles keep their order.
    from broadsheet.enrich.services import ENRICH_BATCH
    from broadsheet.enrich.tasks import articles_enrich_task

    for start in range(0, len(article_ids), ENRICH_BATCH):
        articles_enrich_task.enqueue(article_ids[start : start + ENRICH_BATCH])
