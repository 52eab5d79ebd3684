"""Enrichment tasks: thin wrappers taking ids."""

from __future__ import annotations

from django_tasks import task

from broadsheet.enrich import services


@task()
def article_enrich_task(article_id: int) -> bool:
    """article_enrich_task enriches one stored article."""
    return services.article_enrich(article_id=article_id) is not None
