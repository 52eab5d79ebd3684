"""What each reader has read and starred ("saved for later"), shared by the site and the feed-reader APIs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from broadsheet.articles.models import Article


class ArticleState(models.Model):
    """One reader's state of one article. A missing row means unread and not starred."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="article_states"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reader_states")
    read_at = models.DateTimeField(null=True, blank=True)
    starred_at = models.DateTimeField(null=True, blank=True, help_text="Saved for later")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="article_state_uniq")
        ]
        indexes = [
            models.Index(fields=["user", "starred_at"], name="state_starred_idx"),
            models.Index(fields=["user", "read_at"], name="state_read_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.article_id}"
