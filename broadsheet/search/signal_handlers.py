"""Where search listens to the pipeline and to enrichment (connected in SearchConfig.ready)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def _index(*article_ids: int) -> None:
    from broadsheet.search.services import search_index_articles

    try:
        search_index_articles(article_ids=article_ids)
    except Exception:  # noqa: BLE001 - the articles are stored; `broadsheet search-reindex` repairs the index
        logger.exception("search: indexing articles %s failed", list(article_ids))


def on_articles_stored(*, article_ids: list[int], **kwargs: Any) -> None:
    """on_articles_stored indexes a stored batch at once (the signal is sent after commit); failures are logged."""
    _index(*article_ids)


def on_enrichment_saved(*, instance: Any, **kwargs: Any) -> None:
    """on_enrichment_saved re-indexes an article once enrichment has given it hashtags (a filter)."""
    from broadsheet.enrich.models import Enrichment

    if instance.state == Enrichment.State.DONE:
        transaction.on_commit(partial(_index, instance.article_id))
