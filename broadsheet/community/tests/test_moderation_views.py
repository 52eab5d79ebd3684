"""The moderation queue: who may see it, approve / reject / remove / ban, and the audit log."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article
from broadsheet.community import services
from broadsheet.community.models import (
    Comment,
    CommentReport,
    CommentState,
    ModerationAction,
    PostingBan,
)
from broadsheet.community.tests.conftest import moderator_client, signed_in

LINKS = "Offers: https://a.example/1 https://b.example/2 https://c.example/3"


def test_only_moderators_see_the_queue(
    client: Client, reader_client: Client, moderator: User, make_user: Callable[..., User]
) -> None:
    queue = reverse("community:moderation")
    assert client.get(queue).status_code == 302  # to sign-in
    assert reader_client.get(queue).status_code == 403
    assert moderator_client(moderator).get(queue).status_code == 200
    staff = make_user("staffer", is_staff=True)
    assert moderator_client(staff).get(queue).status_code == 200
    comment = Comment.objects.create(
        article=Article.objects.create(
            canonical_url="https://n.example/1",
            url="https://n.example/1",
            title="t",
            content_hash="x",
        ),
        text="hi",
        state=CommentState.HELD,
    )
    assert (
        reader_client.post(
            reverse("community:moderation_comment", args=[comment.pk]), {"action": "approve"}
        ).status_code
        == 403
    )
    comment.refresh_from_db()
    assert comment.state == CommentState.HELD


def test_queue_lists_held_and_reported(
    reader: User, moderator: User, article: Article, make_user: Callable[..., User]
) -> None:
    held = services.comment_post(user=reader, article=article, text=LINKS)
    shown = services.comment_post(
        user=reader, article=article, text="An ordinary comment on the vote."
    )
    quiet = services.comment_post(
        user=reader, article=article, text="Nobody minds this one at all."
    )
    services.comment_report(user=make_user(), comment=shown, reason="spam", note="looks like <ads>")
    page = moderator_client(moderator).get(reverse("community:moderation")).content.decode()
    assert f'id="q-{held.pk}"' in page and f'id="q-{shown.pk}"' in page
    assert f'id="q-{quiet.pk}"' not in page
    assert "3 links" in page and "spam or advertising" in page and "&lt;ads&gt;" in page


def test_approve_reject_remove_are_logged(
    reader: User, moderator: User, article: Article, make_user: Callable[..., User]
) -> None:
    mod = moderator_client(moderator)
    first = services.comment_post(user=reader, article=article, text=LINKS)
    second = services.comment_post(
        user=reader, article=article, text=LINKS.replace("Offers", "Deals")
    )
    url = lambda c: reverse("community:moderation_comment", args=[c.pk])  # noqa: E731
    assert mod.post(url(first), {"action": "approve"}).status_code == 302
    assert mod.post(url(second), {"action": "reject"}).status_code == 400  # a reason is required
    assert mod.post(url(second), {"action": "reject", "reason": "advertising"}).status_code == 302
    assert mod.post(url(second), {"action": "explode", "reason": "x"}).status_code == 400
    assert mod.get(url(second)).status_code == 405
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (CommentState.APPROVED, CommentState.REJECTED)
    reporter = make_user()
    services.comment_report(user=reporter, comment=first, reason="abuse")
    assert (
        mod.post(
            url(first), {"action": "remove", "reason": "abusive after all"}, HTTP_HX_REQUEST="true"
        ).status_code
        == 200
    )
    first.refresh_from_db()
    assert first.state == CommentState.REMOVED
    assert not CommentReport.objects.filter(resolved_at__isnull=True).exists()
    manual = list(
        ModerationAction.objects.filter(actor=moderator)
        .order_by("id")
        .values_list("kind", "comment_id", "state_before", "state_after", "reason")
    )
    assert manual == [
        ("approve", first.pk, "held", "approved", "approved"),
        ("reject", second.pk, "held", "rejected", "advertising"),
        ("remove", first.pk, "approved", "removed", "abusive after all"),
    ]
    assert all(
        a.created_at and a.target_user_id == reader.pk
        for a in ModerationAction.objects.filter(actor=moderator)
    )
    log = mod.get(reverse("community:moderation_log")).content.decode()
    assert "advertising" in log and "abusive after all" in log and "policy" in log


def test_ban_stops_posting_and_rejects_what_is_held(
    reader: User, reader_client: Client, moderator: User, article: Article
) -> None:
    mod = moderator_client(moderator)
    held = services.comment_post(user=reader, article=article, text=LINKS)
    ban_url = reverse("community:moderation_user", args=[reader.pk])
    assert mod.post(ban_url, {"action": "ban"}).status_code == 400  # a reason is required
    assert mod.post(ban_url, {"action": "ban", "reason": "spam run"}).status_code == 302
    assert PostingBan.objects.get(user=reader).banned_by == moderator
    held.refresh_from_db()
    assert held.state == CommentState.REJECTED
    response = reader_client.post(
        reverse("community:thread", args=[article.pk]), {"text": "Can I still post?"}
    )
    assert response.status_code == 403
    other = services.comment_post(
        user=moderator, article=article, text="Moderator's own note here."
    )
    assert (
        reader_client.post(
            reverse("community:comment_report", args=[other.pk]), {"reason": "spam"}
        ).status_code
        == 403
    )
    ban = ModerationAction.objects.get(kind="ban")
    assert (ban.actor, ban.target_user, ban.reason, ban.state_before, ban.state_after) == (
        moderator,
        reader,
        "spam run",
        "may post",
        "banned",
    )
    assert ModerationAction.objects.filter(kind="reject", comment=held, actor=moderator).exists()
    assert mod.post(ban_url, {"action": "unban", "reason": "appeal accepted"}).status_code == 302
    assert not PostingBan.objects.exists()
    assert ModerationAction.objects.filter(kind="unban", reason="appeal accepted").exists()
    assert (
        reader_client.post(
            reverse("community:thread", args=[article.pk]), {"text": "Back again, behaving."}
        ).status_code
        == 302
    )


def test_moderator_cannot_ban_themselves(moderator: User) -> None:
    response = moderator_client(moderator).post(
        reverse("community:moderation_user", args=[moderator.pk]),
        {"action": "ban", "reason": "oops"},
    )
    assert response.status_code == 400 and not PostingBan.objects.exists()


def test_every_policy_decision_is_logged(
    reader: User, make_user: Callable[..., User], article: Article
) -> None:
    services.comment_post(user=reader, article=article, text="A fine and civil comment.")
    held = services.comment_post(user=reader, article=article, text=LINKS)
    rejected = services.comment_post(
        user=reader, article=article, text=" ".join(f"https://s{i}.example/" for i in range(7))
    )
    rows = list(
        ModerationAction.objects.order_by("id").values_list(
            "kind", "comment_id", "actor", "state_after"
        )
    )
    assert rows == [("hold", held.pk, None, "held"), ("reject", rejected.pk, None, "rejected")]


def test_reports_feed_the_queue_and_approval_clears_them(
    reader: User, moderator: User, article: Article, make_user: Callable[..., User]
) -> None:
    comment = services.comment_post(
        user=reader, article=article, text="Contested but fine opinion."
    )
    for _ in range(3):
        services.comment_report(user=make_user(), comment=comment, reason="abuse")
    comment.refresh_from_db()
    assert comment.state == CommentState.HELD
    mod = moderator_client(moderator)
    assert f'id="q-{comment.pk}"' in mod.get(reverse("community:moderation")).content.decode()
    mod.post(
        reverse("community:moderation_comment", args=[comment.pk]),
        {"action": "approve", "reason": "fair comment"},
    )
    comment.refresh_from_db()
    assert comment.state == CommentState.APPROVED
    assert f'id="q-{comment.pk}"' not in mod.get(reverse("community:moderation")).content.decode()
    services.comment_report(user=make_user(), comment=comment, reason="abuse")
    comment.refresh_from_db()
    assert comment.state == CommentState.APPROVED  # one new report is not three
    assert signed_in(reader).get(reverse("community:comment", args=[comment.pk])).status_code == 302
