"""Where enrichment listens to the pipeline (connected in EnrichConfig.ready)."""

from __future__ import annotations

from typing import Any


def on_articles_stored(*, created_ids: list[int], **kwargs: Any) -> None:
    """on_articles_stored queues the new articles' enrichment (the signal is sent after commit)."""
    from django.conf import settings

    if created_ids and settings.BROADSHEET["BROADSHEET_ENRICH"]:
        from broadsheet.enrich.tasks import article_enrich_task

        for article_id in created_ids:
            article_enrich_task.enqueue(article_id)


def on_scheduler_tick(*, stale_after: int, **kwargs: Any) -> None:
    """on_scheduler_tick re-queues enrichments that were lost or failed with attempts to spare."""
    from django.conf import settings

    if not settings.BROADSHEET["BROADSHEET_ENRICH"]:
        return
    from broadsheet.enrich.services import enrichments_due
    from broadsheet.enrich.tasks import article_enrich_task

    for article_id in enrichments_due(stale_after=stale_after):
        article_enrich_task.enqueue(article_id)
