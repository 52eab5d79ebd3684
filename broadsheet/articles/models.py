"""Articles, the feed entries that point to them, and tombstones for deleted ones."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from broadsheet.ingest.models import Feed, Source


class Article(models.Model):
    """One extracted, sanitized article, stored once however many feeds carry it."""

    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    feed = models.ForeignKey(
        Feed,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        help_text="The first feed it was seen in",
    )
    url = models.URLField(max_length=2000, help_text="The page as fetched (after redirects)")
    canonical_url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=1000)
    byline = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now, db_index=True)
    language = models.CharField(max_length=16, blank=True, db_index=True)
    body_html = models.TextField(blank=True, help_text="Sanitized; templates render only this")
    text = models.TextField(blank=True)
    summary = models.TextField(blank=True, help_text="The feed's own summary, as plain text")
    lead_image = models.URLField(max_length=2000, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    content_hash = models.CharField(max_length=64, db_index=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        # A source's page, newest first: without it SQLite sorts every article of the source
        # (5 s for a 92k-article source in 1M).
        indexes = [
            models.Index(fields=["source", "published_at", "id"], name="article_source_date_idx")
        ]

    def __str__(self) -> str:
        return self.title


class FeedEntry(models.Model):
    """One item of one feed. The per-feed entry key makes re-polling idempotent."""

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"
        CHALLENGED = "challenged"
        SKIPPED = "skipped"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=64, help_text="sha256 of GUID, else URL, else title+content")
    guid = models.CharField(max_length=2000, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    canonical_url = models.URLField(max_length=2000, blank=True, db_index=True)
    title = models.CharField(max_length=1000, blank=True)
    summary = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PENDING, db_index=True
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="entry_feed_key_uniq")]

    def __str__(self) -> str:
        return self.title or self.url or self.key


class Tombstone(models.Model):
    """A canonical URL that was deleted on purpose and must never be stored again."""

    canonical_url = models.URLField(max_length=2000, unique=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.canonical_url
