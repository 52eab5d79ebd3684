"""What readers do together: follow tags, sources and stories (comments and moderation join here)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest.models import Source


class Follow(models.Model):
    """A reader follows exactly one hashtag, source or story."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    tag = models.ForeignKey(
        Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(tag__isnull=False, source__isnull=True, story__isnull=True)
                    | Q(tag__isnull=True, source__isnull=False, story__isnull=True)
                    | Q(tag__isnull=True, source__isnull=True, story__isnull=False)
                ),
                name="follow_exactly_one",
            ),
            models.UniqueConstraint(
                fields=["user", "tag"], condition=Q(tag__isnull=False), name="follow_tag_uniq"
            ),
            models.UniqueConstraint(
                fields=["user", "source"],
                condition=Q(source__isnull=False),
                name="follow_source_uniq",
            ),
            models.UniqueConstraint(
                fields=["user", "story"], condition=Q(story__isnull=False), name="follow_story_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.tag_id or self.source_id or self.story_id}"
