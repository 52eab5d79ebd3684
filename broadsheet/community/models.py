"""What readers do together: follow tags, sources and stories; comment, report, and moderate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from broadsheet.articles.models import Article
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


class CommentState(models.TextChoices):
    APPROVED = "approved", "approved"
    HELD = "held", "held for moderation"
    REJECTED = "rejected", "rejected"
    REMOVED = "removed", "removed by a moderator"


class Comment(models.Model):
    """A reader's plain-text comment on an article; replies hang one level below a top-level comment.

    Deleting keeps the row (text wiped, `deleted_at` set) so a thread with replies keeps its shape;
    a null author is a deleted account.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    text = models.TextField(help_text="Plain text as the reader wrote it (cleaned); never HTML")
    text_hash = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the normalised text, for duplicate checks"
    )
    state = models.CharField(
        max_length=8, choices=CommentState.choices, default=CommentState.APPROVED
    )
    reasons = models.JSONField(default=list, blank=True, help_text="Why the policy held it")
    scores = models.JSONField(default=dict, blank=True)
    report_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["article", "parent", "state", "created_at"], name="comment_thread_idx"
            ),
            models.Index(fields=["author", "created_at"], name="comment_author_idx"),
            models.Index(fields=["text_hash", "created_at"], name="comment_hash_idx"),
            models.Index(fields=["state", "created_at"], name="comment_state_idx"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.article_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CommentReport(models.Model):
    """One reader's report of one comment; open until a moderator acts on the comment."""

    class Reason(models.TextChoices):
        SPAM = "spam", "spam or advertising"
        ABUSE = "abuse", "abusive or hateful"
        OFF_TOPIC = "off_topic", "off topic"
        OTHER = "other", "something else"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comment_reports",
    )
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.OTHER)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=Q(reporter__isnull=False),
                name="comment_report_once",
            )
        ]

    def __str__(self) -> str:
        return f"report of {self.comment_id} by {self.reporter_id}"


class PostingBan(models.Model):
    """A reader a moderator banned from commenting and reporting (the account itself stays)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posting_ban"
    )
    reason = models.CharField(max_length=500)
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ban of {self.user_id}"


class ModerationAction(models.Model):
    """The audit log: every moderation decision, by whom (null: the automatic policy), why, and the change."""

    class Kind(models.TextChoices):
        HOLD = "hold", "held"
        REJECT = "reject", "rejected"
        APPROVE = "approve", "approved"
        REMOVE = "remove", "removed"
        AUTO_HIDE = "auto_hide", "hidden by reports"
        BAN = "ban", "banned from posting"
        UNBAN = "unban", "ban lifted"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="moderation_log"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    state_before = models.CharField(max_length=16, blank=True)
    state_after = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_id or 'policy'}"
