"""Enrichment tasks: thin wrappers taking ids."""

from __future__ import annotations

from django_tasks import task

from broadsheet.enrich import services


@task()
def articles_enrich_task(article_ids: list[int]) -> int:
    """articles_enrich_task enriches a batch of stored articles in order; returns how many failed."""
    return len(services.articles_enrich(article_ids=article_ids))


@task()
def article_enrich_task(article_id: int) -> bool:
    """article_enrich_task enriches one stored article (tasks queued before batches existed)."""
    return services.article_enrich(article_id=article_id) is not None
