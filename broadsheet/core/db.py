"""Database helpers shared by the apps that write in bulk."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def commit_without_flush_wait(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """commit_without_flush_wait lets the current transaction commit without waiting for the WAL flush.

    For rows that can be derived again (articles re-fetched from their publisher, search index
    rows rebuilt from articles). On PostgreSQL each commit otherwise waits for an fsync, and a
    worker waiting on one leaves its core idle: at 10,000 articles that was a quarter of ingest
    time (bench/ingest.py). A server crash can lose the last fraction of a second of such commits,
    whole and in order, never corrupt them; the entries they settled stay pending and are retried.
    This is what SQLite's `synchronous=NORMAL` in WAL mode (our embedded setting) already does.
    Call it inside `transaction.atomic()`: `SET LOCAL` ends with the transaction.
    """
    connection = connections[using]
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
