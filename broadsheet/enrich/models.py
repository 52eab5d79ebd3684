"""What enrichment adds to an article: hashtags, key points, a story, a wire-copy group, related links."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from broadsheet.articles.models import Article


class Tag(models.Model):
    """A hashtag: a canonical entity or topic, with a page of its own."""

    class Kind(models.TextChoices):
        PERSON = "person"
        ORG = "org"
        PLACE = "place"
        EVENT = "event"
        TOPIC = "topic"

    slug = models.SlugField(max_length=120, unique=True, allow_unicode=True)
    name = models.CharField(
        max_length=120, help_text="CamelCase display without '#', e.g. NorthKorea"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TOPIC)
    article_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"#{self.name}"


class ArticleTag(models.Model):
    """One hashtag of one article, ranked."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="article_tags")
    rank = models.PositiveSmallIntegerField(default=0)
    score = models.FloatField(default=0.0)

    class Meta:
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["article", "tag"], name="article_tag_uniq")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.tag_id}"


class Story(models.Model):
    """All outlets' coverage of one event: a cluster of articles, kept up to date as they arrive."""

    title = models.CharField(max_length=1000, blank=True)
    lead_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    article_count = models.PositiveIntegerField(default=0)
    source_count = models.PositiveIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.JSONField(
        default=list, blank=True, help_text="[[sentence, [citation numbers]], ...]"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_published_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"story {self.pk}"


class Enrichment(models.Model):
    """An article's enrichment: its state (so a failure is visible and retried) and its results."""

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="enrichment"
    )
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    enriched_at = models.DateTimeField(null=True, blank=True)
    # The order in which story and copy decisions were taken: every process replays them in it.
    seq = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    key_points = models.JSONField(default=list, blank=True)
    keyphrases = models.JSONField(default=list, blank=True)
    vector = models.BinaryField(
        null=True, blank=True, help_text="float32 sentence embedding of title + lead"
    )
    vector_tag = models.CharField(
        max_length=40,
        blank=True,
        help_text="How the vector was made (embed.article_vector_tag); others are not compared",
    )
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrichments"
    )
    duplicate_of = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wire_copies",
        help_text="The canonical article of this one's syndicated-copy group",
    )
    what_changed = models.JSONField(
        default=list, blank=True, help_text="Sentences new to the story"
    )

    def __str__(self) -> str:
        return f"enrichment of {self.article_id}: {self.state}"


class RelatedArticle(models.Model):
    """A related article from (preferably) another outlet, chosen by meaning, tags and recency."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField(default=0)
    score = models.FloatField(default=0.0)

    class Meta:
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["article", "related"], name="related_uniq")]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.related_id}"


class DecisionLock(models.Model):
    """A single row locked while story and copy decisions are taken, so they happen one at a time.

    Embedding, tagging and summarising run in parallel on every worker; only the cheap decisions
    that depend on every earlier one (which story, which copy group) are serialised, in `seq` order.
    """

    seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"decisions up to {self.seq}"
