"""Publishers and the feeds we poll, with their health and a log of every fetch."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Source(models.Model):
    """A publisher: one outlet, whatever number of feeds it has."""

    name = models.CharField(max_length=200)
    homepage = models.URLField(max_length=2000, blank=True)
    host = models.CharField(
        max_length=255, unique=True, help_text="Registered host, e.g. koreaherald.com"
    )
    image_hosts = models.JSONField(
        default=list, blank=True, help_text="Hosts its images are served from"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Feed(models.Model):
    """One RSS/Atom/JSON feed URL, its conditional-GET validators, schedule and health."""

    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="feeds"
    )
    url = models.URLField(max_length=2000, unique=True)
    host = models.CharField(max_length=255, db_index=True)
    title = models.CharField(max_length=500, blank=True)
    site_url = models.URLField(max_length=2000, blank=True)
    category = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Conditional GET.
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)

    # Schedule.
    interval = models.PositiveIntegerField(
        default=3600, help_text="Seconds between polls when healthy"
    )
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)

    # Health.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error_kind = models.CharField(max_length=40, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    entry_count = models.PositiveIntegerField(
        default=0, help_text="Entries in the last parsed document"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["active", "next_check_at"], name="feed_due_idx")]

    def __str__(self) -> str:
        return self.title or self.url

    @property
    def is_failing(self) -> bool:
        return self.consecutive_failures > 0


class FetchLog(models.Model):
    """One fetch of a feed or page: what we asked, what came back, how long it took."""

    class Outcome(models.TextChoices):
        OK = "ok"
        NOT_MODIFIED = "not_modified"
        ERROR = "error"
        CHALLENGE = "challenge"

    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.CASCADE, related_name="fetch_logs"
    )
    url = models.URLField(max_length=2000)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    error_kind = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.url}"
