"""Changes readers make together: following, comments, reports, and moderators' decisions.

Every comment passes the policy in moderation.py before anyone sees it; every moderation decision
(the policy's holds and rejections too) is written to ModerationAction, the audit log.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

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
from broadsheet.community.moderation import (
    HELD,
    REJECTED,
    RecentText,
    comment_assess,
    policy_from_settings,
)
from broadsheet.community.selectors import follow_field, user_is_banned
from broadsheet.community.text import comment_clean, text_digest
from broadsheet.core.ratelimit import RateLimited, ip_bucket, ratelimit_hit
from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest.models import Source

_RECENT_OWN = 20
_RECENT_SAME = 50
_SEVERITY: dict[str, int] = {"approved": 0, "held": 1, "rejected": 2, "removed": 3}


class CommentError(Exception):
    """CommentError is a request the reader can fix (empty text, too long, no such parent): a 400."""


class CommentForbidden(CommentError):
    """CommentForbidden is a request this reader may not make (banned, not the author, too late): a 403."""


def _opt(name: str) -> Any:
    return settings.BROADSHEET[name]


def follow_set(*, user: User, target: Tag | Source | Story, on: bool) -> bool:
    """follow_set follows (on=True) or unfollows a tag, source or story; returns whether it is followed now."""
    match: dict[str, Any] = {"user": user, follow_field(target): target}
    if on:
        try:
            with transaction.atomic():
                Follow.objects.get_or_create(**match)
        except IntegrityError:
            pass  # a concurrent request followed it first: it is followed either way
    else:
        Follow.objects.filter(**match).delete()
    return on


def _limit(key: str, limit: int, window: int) -> None:
    wait = ratelimit_hit(key=key, limit=limit, window=window)
    if wait is not None:
        raise RateLimited(wait, "You are posting too fast. Please wait and try again.")


def _posting_limits(*, user: User, ip: str) -> None:
    """_posting_limits counts one post against the author's and the address's limits (RateLimited beyond)."""
    _limit(f"comment:user-min:{user.pk}", _opt("BROADSHEET_COMMENT_PER_MINUTE"), 60)
    _limit(f"comment:user-hour:{user.pk}", _opt("BROADSHEET_COMMENT_PER_HOUR"), 3600)
    if _account_age(user) < timedelta(hours=_opt("BROADSHEET_COMMENT_NEW_ACCOUNT_HOURS")):
        _limit(f"comment:new-hour:{user.pk}", _opt("BROADSHEET_COMMENT_NEW_ACCOUNT_PER_HOUR"), 3600)
    if ip:
        _limit(f"comment:ip-hour:{ip_bucket(ip)}", _opt("BROADSHEET_COMMENT_IP_PER_HOUR"), 3600)


def _account_age(user: User) -> timedelta:
    return timezone.now() - user.date_joined


def _check_text(raw: str) -> str:
    text = comment_clean(raw or "")
    if not text:
        raise CommentError("Write something first.")
    limit = _opt("BROADSHEET_COMMENT_MAX_CHARS")
    if len(text) > limit:
        raise CommentError(f"Comments are limited to {limit} characters.")
    return text


def _check_may_post(user: User) -> None:
    if not user.is_authenticated or not user.is_active:
        raise CommentForbidden("Sign in to comment.")
    if user_is_banned(user=user):
        raise CommentForbidden("You can no longer post comments here.")


def _recent_texts(*, user: User, digest: str, exclude: int | None = None) -> list[RecentText]:
    since = timezone.now() - timedelta(seconds=_opt("BROADSHEET_COMMENT_DUPLICATE_WINDOW"))
    recent = Comment.objects.filter(created_at__gte=since, deleted_at__isnull=True)
    if exclude is not None:
        recent = recent.exclude(pk=exclude)
    own = recent.filter(author=user).order_by("-created_at")[:_RECENT_OWN]
    same = (
        recent.filter(text_hash=digest).exclude(author=user).order_by("-created_at")[:_RECENT_SAME]
    )
    return [RecentText(author=c.author_id, text=c.text) for c in [*own, *same]]


def _log(
    *,
    kind: str,
    actor: User | None,
    comment: Comment | None = None,
    target_user: User | None = None,
    reason: str = "",
    before: str = "",
    after: str = "",
) -> ModerationAction:
    return ModerationAction.objects.create(
        kind=kind,
        actor=actor,
        comment=comment,
        target_user=target_user
        if target_user is not None
        else (comment.author if comment else None),
        reason=reason[:500],
        state_before=before,
        state_after=after,
    )


def comment_post(
    *, user: User, article: Article, text: str, parent_id: int | None = None, ip: str = ""
) -> Comment:
    """comment_post stores a reader's comment after the rate limits and the moderation policy.

    A reply to a reply attaches to the top-level comment. Raises CommentError (bad input),
    CommentForbidden (banned, signed out) or RateLimited; returns the comment in whatever state
    the policy gave it (approved, held or rejected).
    """
    _check_may_post(user)
    text = _check_text(text)
    parent = None
    if parent_id is not None:
        parent = (
            Comment.objects.filter(pk=parent_id, article=article, deleted_at__isnull=True)
            .exclude(state__in=[CommentState.REJECTED, CommentState.REMOVED])
            .select_related("parent")
            .first()
        )
        if parent is None:
            raise CommentError("The comment you are replying to is gone.")
        parent = parent.parent or parent
    _posting_limits(user=user, ip=ip)
    digest = text_digest(text)
    assessment = comment_assess(
        text,
        author_age=_account_age(user),
        recent_texts=_recent_texts(user=user, digest=digest),
        author=user.pk,
        policy=policy_from_settings(),
    )
    with transaction.atomic():
        comment = Comment.objects.create(
            article=article,
            author=user,
            parent=parent,
            text=text,
            text_hash=digest,
            state=assessment.verdict,
            reasons=list(assessment.reasons),
            scores=assessment.scores,
        )
        if assessment.verdict in (HELD, REJECTED):
            _log(
                kind=ModerationAction.Kind.HOLD
                if assessment.verdict == HELD
                else ModerationAction.Kind.REJECT,
                actor=None,
                comment=comment,
                reason="; ".join(assessment.reasons),
                before="new",
                after=assessment.verdict,
            )
    return comment


def comment_editable(*, comment: Comment, user: Any) -> bool:
    """comment_editable says whether user may still edit comment (its author, within the edit window)."""
    window = timedelta(seconds=_opt("BROADSHEET_COMMENT_EDIT_WINDOW"))
    return bool(
        getattr(user, "is_authenticated", False)
        and comment.author_id == user.pk
        and comment.deleted_at is None
        and comment.state in (CommentState.APPROVED, CommentState.HELD)
        and timezone.now() - comment.created_at <= window
    )


def comment_edit(*, user: User, comment: Comment, text: str) -> Comment:
    """comment_edit changes a comment's text within the edit window and assesses it again; an edit
    can keep or worsen a comment's state, never clear a hold."""
    _check_may_post(user)
    if not comment_editable(comment=comment, user=user):
        raise CommentForbidden("This comment can no longer be edited.")
    text = _check_text(text)
    _limit(f"comment:edit-min:{user.pk}", _opt("BROADSHEET_COMMENT_PER_MINUTE"), 60)
    digest = text_digest(text)
    assessment = comment_assess(
        text,
        author_age=_account_age(user),
        recent_texts=_recent_texts(user=user, digest=digest, exclude=comment.pk),
        author=user.pk,
        policy=policy_from_settings(),
    )
    before = comment.state
    after = max(before, assessment.verdict, key=lambda s: _SEVERITY.get(s, 0))
    with transaction.atomic():
        comment.text = text
        comment.text_hash = digest
        comment.edited_at = timezone.now()
        comment.state = after
        if assessment.reasons:
            comment.reasons = list(assessment.reasons)
        comment.scores = assessment.scores
        comment.save(update_fields=["text", "text_hash", "edited_at", "state", "reasons", "scores"])
        if after != before:
            _log(
                kind=ModerationAction.Kind.HOLD if after == HELD else ModerationAction.Kind.REJECT,
                actor=None,
                comment=comment,
                reason="edited: " + "; ".join(assessment.reasons),
                before=before,
                after=after,
            )
    return comment


def comment_delete(*, user: User, comment: Comment) -> Comment:
    """comment_delete lets an author delete their own comment: the text is wiped, the row stays so
    replies keep their place (shown as "[deleted]")."""
    if not user.is_authenticated or comment.author_id != user.pk:
        raise CommentForbidden("You can only delete your own comments.")
    if comment.deleted_at is None:
        comment.deleted_at = timezone.now()
        comment.text = ""
        comment.text_hash = ""
        comment.save(update_fields=["deleted_at", "text", "text_hash"])
        CommentReport.objects.filter(comment=comment, resolved_at__isnull=True).update(
            resolved_at=comment.deleted_at
        )
    return comment


def comment_report(
    *, user: User, comment: Comment, reason: str, note: str = "", ip: str = ""
) -> bool:
    """comment_report files a reader's report (once per reader and comment); enough open reports
    hide the comment until a moderator looks. Returns whether a new report was filed."""
    _check_may_post(user)
    if comment.author_id == user.pk:
        raise CommentError("You cannot report your own comment.")
    if comment.state != CommentState.APPROVED or comment.deleted_at is not None:
        raise CommentError("This comment is not shown, so there is nothing to report.")
    if reason not in CommentReport.Reason.values:
        raise CommentError("Choose a reason.")
    if CommentReport.objects.filter(comment=comment, reporter=user).exists():
        return False
    _limit(f"report:user-hour:{user.pk}", _opt("BROADSHEET_REPORT_PER_HOUR"), 3600)
    if ip:
        _limit(f"report:ip-hour:{ip_bucket(ip)}", _opt("BROADSHEET_REPORT_IP_PER_HOUR"), 3600)
    try:
        with transaction.atomic():
            CommentReport.objects.create(
                comment=comment, reporter=user, reason=reason, note=comment_clean(note)[:500]
            )
            Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
            open_reports = CommentReport.objects.filter(
                comment=comment, resolved_at__isnull=True
            ).count()
            if open_reports >= _opt("BROADSHEET_COMMENT_REPORT_HIDE"):
                hidden = Comment.objects.filter(pk=comment.pk, state=CommentState.APPROVED).update(
                    state=CommentState.HELD
                )
                if hidden:
                    _log(
                        kind=ModerationAction.Kind.AUTO_HIDE,
                        actor=None,
                        comment=comment,
                        reason=f"{open_reports} reports",
                        before=CommentState.APPROVED,
                        after=CommentState.HELD,
                    )
    except IntegrityError:
        return False  # the same reader's concurrent report won
    return True


_ACTIONS = {
    "approve": (ModerationAction.Kind.APPROVE, CommentState.APPROVED),
    "reject": (ModerationAction.Kind.REJECT, CommentState.REJECTED),
    "remove": (ModerationAction.Kind.REMOVE, CommentState.REMOVED),
}


def comment_moderate(*, moderator: User, comment: Comment, action: str, reason: str) -> Comment:
    """comment_moderate applies a moderator's approve, reject or remove, resolves the open reports,
    and records it in the audit log. Reject and remove need a reason."""
    if action not in _ACTIONS:
        raise CommentError(f"Unknown action {action!r}.")
    reason = comment_clean(reason)[:500]
    if action != "approve" and not reason:
        raise CommentError("Give a reason.")
    kind, after = _ACTIONS[action]
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        before = locked.state
        locked.state = after
        locked.save(update_fields=["state"])
        CommentReport.objects.filter(comment=locked, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        _log(
            kind=kind,
            actor=moderator,
            comment=locked,
            reason=reason or "approved",
            before=before,
            after=after,
        )
    comment.state = after
    return comment


def user_ban(*, moderator: User, user: User, reason: str) -> PostingBan:
    """user_ban stops a reader from posting and reporting, and rejects their comments still held."""
    reason = comment_clean(reason)[:500]
    if not reason:
        raise CommentError("Give a reason.")
    with transaction.atomic():
        ban, created = PostingBan.objects.get_or_create(
            user=user, defaults={"reason": reason, "banned_by": moderator}
        )
        if created:
            _log(
                kind=ModerationAction.Kind.BAN,
                actor=moderator,
                target_user=user,
                reason=reason,
                before="may post",
                after="banned",
            )
        for held in Comment.objects.filter(
            author=user, state=CommentState.HELD
        ).select_for_update():
            held.state = CommentState.REJECTED
            held.save(update_fields=["state"])
            _log(
                kind=ModerationAction.Kind.REJECT,
                actor=moderator,
                comment=held,
                reason=f"author banned: {reason}",
                before=CommentState.HELD,
                after=CommentState.REJECTED,
            )
    return ban


def user_unban(*, moderator: User, user: User, reason: str) -> bool:
    """user_unban lets a banned reader post again; returns whether a ban was lifted."""
    with transaction.atomic():
        deleted, _ = PostingBan.objects.filter(user=user).delete()
        if deleted:
            _log(
                kind=ModerationAction.Kind.UNBAN,
                actor=moderator,
                target_user=user,
                reason=comment_clean(reason)[:500] or "ban lifted",
                before="banned",
                after="may post",
            )
    return bool(deleted)


def comments_handle_account_deletion(*, user: User, remove: bool) -> int:
    """comments_handle_account_deletion detaches a departing reader's comments (shown as "deleted
    account"); with remove=True their text is wiped too (shown as "[deleted]" where replies hang
    under it). Call it before deleting the user; returns how many comments it changed."""
    with transaction.atomic():
        comments = Comment.objects.filter(author=user)
        if remove:
            changed = comments.update(author=None, text="", text_hash="", deleted_at=timezone.now())
        else:
            changed = comments.update(author=None)
        CommentReport.objects.filter(reporter=user).update(reporter=None)
    return changed
