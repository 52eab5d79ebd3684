"""Reads of feeds and sources."""

from __future__ import annotations

from django.db.models import QuerySet

from broadsheet.ingest.models import Feed


def feed_health_list() -> QuerySet[Feed]:
    """feed_health_list returns every feed with its source, failing ones first."""
    return Feed.objects.select_related("source").order_by("-consecutive_failures", "title", "id")


def feeds_for_export() -> QuerySet[Feed]:
    """feeds_for_export returns the active feeds in a stable order for OPML export."""
    return Feed.objects.filter(active=True).order_by("category", "title", "id")
