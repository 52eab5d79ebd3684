"""Reads for readers together: what they follow, their "For you" page, comment threads, the moderation queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article
from broadsheet.community.models import (
    Comment,
    CommentReport,
    CommentState,
    Follow,
    ModerationAction,
    PostingBan,
)
from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest.models import Source

MODERATORS_GROUP = "moderators"


def for_you_articles(*, user: User) -> QuerySet[Article]:
    """for_you_articles returns the articles of the tags, sources and stories a reader follows, newest first."""
    follows = Follow.objects.filter(user=user)
    match = (
        Q(article_tags__tag__in=follows.filter(tag__isnull=False).values("tag"))
        | Q(source__in=follows.filter(source__isnull=False).values("source"))
        | Q(enrichment__story__in=follows.filter(story__isnull=False).values("story"))
    )
    ids = Article.objects.filter(match).values("id")
    return (
        Article.objects.filter(id__in=ids).select_related("source").order_by("-published_at", "-id")
    )


def follow_field(target: Any) -> str:
    """follow_field names the Follow column for a target: "tag", "source" or "story"."""
    for model, field in ((Tag, "tag"), (Source, "source"), (Story, "story")):
        if isinstance(target, model):
            return field
    raise TypeError(f"cannot follow a {type(target).__name__}")


def follow_exists(*, user: User, target: Tag | Source | Story) -> bool:
    """follow_exists says whether a reader follows a tag, source or story."""
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(user=user, **{follow_field(target): target}).exists()


def follows_list(*, user: User) -> list[Follow]:
    """follows_list returns everything a reader follows, newest first, with its target loaded."""
    return list(
        Follow.objects.filter(user=user)
        .select_related("tag", "source", "story")
        .order_by("-created_at", "-id")
    )


def user_can_moderate(*, user: Any) -> bool:
    """user_can_moderate says whether a user is staff or in the "moderators" group."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_staff or user.groups.filter(name=MODERATORS_GROUP).exists())


def user_is_banned(*, user: Any) -> bool:
    """user_is_banned says whether a moderator has banned the user from posting."""
    if not getattr(user, "is_authenticated", False):
        return False
    return PostingBan.objects.filter(user=user).exists()


def _shown() -> Q:
    return Q(state=CommentState.APPROVED, deleted_at__isnull=True)


def _own_pending(viewer: Any) -> Q:
    """A reader also sees their own comments the policy held or rejected, marked as such."""
    if not getattr(viewer, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(
        author=viewer,
        state__in=[CommentState.HELD, CommentState.REJECTED],
        deleted_at__isnull=True,
    )


@dataclass
class CommentSection:
    """CommentSection is one page of an article's thread as a given reader sees it."""

    page: Page
    comments: list[Comment]
    count: int
    viewer_banned: bool


def comment_section(*, article: Article, viewer: Any, page_number: Any = 1) -> CommentSection:
    """comment_section returns a page of top-level comments (newest first) with their replies loaded,
    in a fixed number of queries however long the thread is."""
    count = comment_count(article=article)
    signed_in = viewer is not None and getattr(viewer, "is_authenticated", False)
    if count == 0 and not signed_in:
        # Most articles have no comments, and a signed-out reader has none pending: one query.
        return CommentSection(
            page=Paginator([], 1).get_page(1), comments=[], count=0, viewer_banned=False
        )
    visible_reply = Comment.objects.filter(parent=OuterRef("pk")).filter(_shown())
    top = (
        Comment.objects.filter(article=article, parent__isnull=True)
        .filter(_shown() | _own_pending(viewer) | Q(Exists(visible_reply)))
        .select_related("author")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Comment.objects.filter(_shown() | _own_pending(viewer))
                .select_related("author")
                .order_by("created_at", "id"),
                to_attr="shown_replies",
            )
        )
        .order_by("-created_at", "-id")
    )
    per_page = settings.BROADSHEET["BROADSHEET_COMMENTS_PER_PAGE"]
    page = Paginator(top, per_page).get_page(page_number)
    return CommentSection(
        page=page,
        comments=list(page.object_list),
        count=count,
        viewer_banned=user_is_banned(user=viewer),
    )


def comment_count(*, article: Article) -> int:
    """comment_count is how many comments readers can see under an article."""
    return Comment.objects.filter(article=article).filter(_shown()).count()


def comment_counts(*, article_ids: list[int]) -> dict[int, int]:
    """comment_counts maps each article id to its number of visible comments (absent: none)."""
    rows = (
        Comment.objects.filter(article_id__in=article_ids)
        .filter(_shown())
        .values("article_id")
        .annotate(n=Count("id"))
    )
    return {row["article_id"]: row["n"] for row in rows}


def comment_page_number(*, comment: Comment) -> int:
    """comment_page_number is the page of its article's thread a comment (or its parent) is on."""
    top = comment.parent or comment
    newer = (
        Comment.objects.filter(article_id=top.article_id, parent__isnull=True)
        .filter(_shown())
        .filter(Q(created_at__gt=top.created_at) | Q(created_at=top.created_at, id__gt=top.id))
        .count()
    )
    return newer // settings.BROADSHEET["BROADSHEET_COMMENTS_PER_PAGE"] + 1


def moderation_queue(*, limit: int = 100) -> list[Comment]:
    """moderation_queue lists comments awaiting a moderator: held ones and visible ones with open
    reports, most reported first, then oldest first."""
    open_reports = Count("reports", filter=Q(reports__resolved_at__isnull=True))
    return list(
        Comment.objects.filter(deleted_at__isnull=True)
        .annotate(open_reports=open_reports)
        .filter(Q(state=CommentState.HELD) | Q(state=CommentState.APPROVED, open_reports__gt=0))
        .select_related("author", "article", "author__posting_ban")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=CommentReport.objects.filter(resolved_at__isnull=True)
                .select_related("reporter")
                .order_by("created_at"),
                to_attr="open_report_list",
            )
        )
        .order_by("-open_reports", "created_at", "id")[:limit]
    )


def moderation_log(*, limit: int = 200) -> list[ModerationAction]:
    """moderation_log returns the latest moderation actions, newest first."""
    return list(
        ModerationAction.objects.select_related("actor", "target_user", "comment").order_by(
            "-created_at", "-id"
        )[:limit]
    )
