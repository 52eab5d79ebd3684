"""Background tasks: thin wrappers that take ids and call the pipeline. Enqueue them after commit."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django_tasks import task

from broadsheet.articles import pipeline


@task()
def feeds_refresh_task(feed_ids: list[int]) -> int:
    """feeds_refresh_task polls a batch of feeds and queues their new entries' pages."""
    return pipeline.feeds_refresh(feed_ids=feed_ids, enqueue_entries=enqueue_entries)


@task()
def entries_process_task(entry_ids: list[int]) -> int:
    """entries_process_task fetches and stores a batch of entries' pages."""
    return pipeline.entries_process(entry_ids=entry_ids)


def enqueue_entries(entry_ids: list[int]) -> None:
    """enqueue_entries queues page processing once the entries are committed."""
    transaction.on_commit(partial(entries_process_task.enqueue, entry_ids))


def enqueue_feeds(feed_ids: list[int]) -> None:
    """enqueue_feeds queues a feed batch's refresh once the claim is committed."""
    transaction.on_commit(partial(feeds_refresh_task.enqueue, feed_ids))
