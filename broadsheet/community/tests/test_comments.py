"""Comments through the real forms: posting with and without htmx, replies, edits, deletes, reports,
abuse limits, escaping, and the comment section's queries."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article
from broadsheet.community import services
from broadsheet.community.models import Comment, CommentReport, CommentState, ModerationAction
from broadsheet.community.tests.conftest import signed_in
from broadsheet.community.tests.test_text import VECTORS, assert_inert

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def post_comment(client: Client, article: Article, text: str, **extra: str) -> Any:
    data = {"text": text, "next": reverse("web:article", args=[article.pk]), **extra}
    hx: dict[str, Any] = {k: v for k, v in extra.items() if k.startswith("HTTP_")}
    for key in hx:
        data.pop(key)
    return client.post(reverse("community:thread", args=[article.pk]), data, **hx)


def section_html(article: Article, user: object = None, query: str = "") -> str:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(f"/articles/{article.pk}/{query}")
    request.user = user or AnonymousUser()  # type: ignore[assignment]
    template = Template("{% load community %}{% comments_for article %}")
    return template.render(Context({"article": article, "request": request, "user": request.user}))


# --- posting ----------------------------------------------------------------------------------


def test_post_without_javascript_redirects_to_the_comment(
    reader_client: Client, article: Article
) -> None:
    response = post_comment(reader_client, article, "A fair summary of the vote.")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/articles/{article.pk}/#comment-{comment.pk}"
    assert comment.state == CommentState.APPROVED
    page = reader_client.get(f"/articles/{article.pk}/").content.decode()
    assert f'id="comment-{comment.pk}"' in page
    assert "A fair summary of the vote." in page
    assert "No comments yet" not in page


def test_post_with_htmx_returns_the_comment_and_a_fresh_form(
    reader_client: Client, article: Article
) -> None:
    response = post_comment(reader_client, article, "Posted without a reload.", **HX)
    comment = Comment.objects.get()
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<li id="comment-{comment.pk}"')
    assert "Posted without a reload." in body
    assert f'id="comment-form-{article.pk}" class="comment-form" hx-swap-oob="outerHTML"' in body
    assert "<html" not in body


def test_post_with_htmx_updates_the_count_in_the_heading(
    reader_client: Client, article: Article
) -> None:
    page = reader_client.get(f"/articles/{article.pk}/").content.decode()
    assert '<span id="comment-count" class="count">(0)</span>' in page
    body = post_comment(reader_client, article, "First one through htmx.", **HX).content.decode()
    assert '<span id="comment-count" class="count" hx-swap-oob="true">(1)</span>' in body
    body = post_comment(reader_client, article, "Second one through htmx.", **HX).content.decode()
    assert '<span id="comment-count" class="count" hx-swap-oob="true">(2)</span>' in body


def test_rate_limited_htmx_post_shows_the_reason_in_the_form(
    reader_client: Client, article: Article, settings: Any
) -> None:
    # htmx swaps nothing for a 429: the refusal comes back as the form, message included.
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_COMMENT_PER_MINUTE": 1}
    assert post_comment(reader_client, article, "Allowed once.", **HX).status_code == 200
    refused = post_comment(reader_client, article, "Too soon after.", **HX)
    body = refused.content.decode()
    assert refused.status_code == 200 and int(refused["Retry-After"]) > 0
    assert refused["HX-Retarget"] == f"#comment-form-{article.pk}"
    assert refused["HX-Reswap"] == "outerHTML"
    assert 'role="alert"' in body and "posting too fast" in body
    assert "Too soon after." in body  # the text is kept for the retry
    assert Comment.objects.count() == 1
    assert post_comment(reader_client, article, "Without htmx.").status_code == 429


def test_post_refuses_foreign_next(reader_client: Client, article: Article) -> None:
    response = post_comment(reader_client, article, "Hello there.", next="https://evil.example/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/articles/{article.pk}/#comment-")


def test_anonymous_readers_get_a_sign_in_link(client: Client, article: Article) -> None:
    page = client.get(f"/articles/{article.pk}/").content.decode()
    assert "Sign in to comment" in page
    assert reverse("accounts:login") in page
    assert "No comments yet" in page
    response = post_comment(client, article, "Sneaky anonymous comment.")
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not Comment.objects.exists()


def test_empty_and_oversized_comments_are_400(
    reader_client: Client, article: Article, settings: Any
) -> None:
    assert post_comment(reader_client, article, "   \n ").status_code == 400
    limit = 5000
    assert post_comment(reader_client, article, "x" * (limit + 1)).status_code == 400
    response = post_comment(reader_client, article, "", **HX)
    assert response.status_code == 200 and response["HX-Retarget"] == f"#comment-form-{article.pk}"
    assert "Write something first." in response.content.decode()
    assert not Comment.objects.exists()


def test_get_never_posts(reader_client: Client, article: Article) -> None:
    response = reader_client.get(
        reverse("community:thread", args=[article.pk]), {"text": "via GET"}
    )
    assert response.status_code == 200
    assert not Comment.objects.exists()
    for name in ("comment_delete",):
        assert reader_client.get(reverse(f"community:{name}", args=[1])).status_code == 405


def test_csrf_is_required(reader: User, article: Article) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    response = post_comment(client, article, "No token here.")
    assert response.status_code == 403
    page = client.get(f"/articles/{article.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    response = post_comment(client, article, "With the token.", csrfmiddlewaretoken=token.group(1))
    assert response.status_code == 302
    assert Comment.objects.count() == 1


# --- replies, edits, deletes ------------------------------------------------------------------


def test_replies_stay_one_level_deep(
    reader_client: Client, article: Article, make_user: Callable[..., User]
) -> None:
    post_comment(reader_client, article, "Top-level comment here.")
    top = Comment.objects.get()
    other = signed_in(make_user("bob"))
    post_comment(other, article, "A reply to the top.", parent=str(top.pk))
    reply = Comment.objects.get(parent=top)
    post_comment(reader_client, article, "A reply to the reply.", parent=str(reply.pk))
    deeper = Comment.objects.latest("id")
    assert deeper.parent_id == top.pk
    html = section_html(article)
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    replies = tree.get_element_by_id(f"replies-{top.pk}")
    assert [li.get("id") for li in replies.findall("li")] == [
        f"comment-{reply.pk}",
        f"comment-{deeper.pk}",
    ]
    assert not tree.xpath(f'//li[@id="comment-{reply.pk}"]//ol')


def test_reply_to_another_articles_comment_is_refused(
    reader_client: Client, article: Article, make_article: Callable[..., Article]
) -> None:
    other = make_article()
    post_comment(reader_client, other, "On the other article.")
    foreign = Comment.objects.get()
    assert (
        post_comment(
            reader_client, article, "Cross-thread reply.", parent=str(foreign.pk)
        ).status_code
        == 400
    )
    assert post_comment(reader_client, article, "Bad parent.", parent="abc").status_code == 400
    assert Comment.objects.count() == 1


def test_edit_within_the_window(reader_client: Client, article: Article, settings: Any) -> None:
    post_comment(reader_client, article, "Frist!")
    comment = Comment.objects.get()
    url = reverse("community:comment_edit", args=[comment.pk])
    assert reader_client.get(url).status_code == 200
    fragment = reader_client.get(url, **HX).content.decode()
    assert fragment.startswith(f'<div id="body-{comment.pk}" class="comment-body editing">')
    response = reader_client.post(
        url, {"text": "First, with a typo fixed.", "next": f"/articles/{article.pk}/"}
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.text == "First, with a typo fixed." and comment.edited_at is not None
    response = reader_client.post(url, {"text": "Edited through htmx."}, **HX)
    assert response.status_code == 200 and "Edited through htmx." in response.content.decode()
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(seconds=901))
    assert reader_client.get(url).status_code == 403
    assert reader_client.post(url, {"text": "Too late to change."}).status_code == 403
    comment.refresh_from_db()
    assert comment.text == "Edited through htmx."


def test_edit_can_hold_but_never_release(reader_client: Client, article: Article) -> None:
    post_comment(reader_client, article, "Perfectly polite remark about the budget.")
    comment = Comment.objects.get()
    url = reverse("community:comment_edit", args=[comment.pk])
    reader_client.post(url, {"text": "Fuck this stupid budget and its authors."})
    comment.refresh_from_db()
    assert comment.state == CommentState.HELD
    assert ModerationAction.objects.filter(
        comment=comment, kind="hold", state_before="approved"
    ).exists()
    reader_client.post(url, {"text": "Polite again, promise."})
    comment.refresh_from_db()
    assert comment.state == CommentState.HELD


def test_only_the_author_edits_or_deletes(
    reader_client: Client, article: Article, make_user: Callable[..., User]
) -> None:
    post_comment(reader_client, article, "Mine, not yours.")
    comment = Comment.objects.get()
    other = signed_in(make_user("mallory"))
    assert other.get(reverse("community:comment_edit", args=[comment.pk])).status_code == 404
    assert (
        other.post(
            reverse("community:comment_edit", args=[comment.pk]), {"text": "pwned"}
        ).status_code
        == 404
    )
    assert other.post(reverse("community:comment_delete", args=[comment.pk])).status_code == 404
    comment.refresh_from_db()
    assert comment.text == "Mine, not yours." and comment.deleted_at is None


def test_delete_shows_deleted_only_where_replies_hang(
    reader_client: Client, article: Article, make_user: Callable[..., User]
) -> None:
    post_comment(reader_client, article, "Comment with a reply below.")
    post_comment(reader_client, article, "Comment nobody answered.")
    answered, lonely = Comment.objects.order_by("id")
    post_comment(signed_in(make_user("bob")), article, "The reply.", parent=str(answered.pk))
    for comment in (answered, lonely):
        response = reader_client.post(
            reverse("community:comment_delete", args=[comment.pk]),
            {"next": f"/articles/{article.pk}/"},
        )
        assert response.status_code == 302
    html = section_html(article)
    assert f'id="comment-{answered.pk}"' in html and "[deleted]" in html and "The reply." in html
    assert f'id="comment-{lonely.pk}"' not in html
    assert "Comment with a reply below." not in html and "Comment nobody answered." not in html
    assert Comment.objects.get(pk=answered.pk).text == ""
    assert "(1)" in html  # the reply is the one comment left to count


# --- abuse ------------------------------------------------------------------------------------


def test_hundred_posts_in_a_minute_store_at_most_the_limit(
    reader_client: Client, article: Article
) -> None:
    statuses = [
        post_comment(
            reader_client, article, f"Comment number {i} about the budget vote."
        ).status_code
        for i in range(100)
    ]
    limit = 5
    assert Comment.objects.count() <= limit
    assert statuses.count(302) == Comment.objects.count()
    assert statuses.count(429) == 100 - Comment.objects.count()
    refused = post_comment(reader_client, article, "One more.")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_per_address_limit_spans_accounts(
    make_user: Callable[..., User], article: Article, settings: Any
) -> None:
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_COMMENT_IP_PER_HOUR": 3}
    codes = [
        post_comment(signed_in(make_user()), article, f"Sock puppet {i} says hello.").status_code
        for i in range(5)
    ]
    assert codes == [302, 302, 302, 429, 429]
    assert Comment.objects.count() == 3


def test_new_accounts_post_less(
    make_user: Callable[..., User], article: Article, settings: Any
) -> None:
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_COMMENT_PER_MINUTE": 100}
    fresh = signed_in(make_user("fresh", age=timedelta(hours=1)))
    seasoned = signed_in(make_user("seasoned", age=timedelta(days=3)))
    fresh_codes = [
        post_comment(fresh, article, f"New reader comment {i} on the vote.").status_code
        for i in range(8)
    ]
    seasoned_codes = [
        post_comment(seasoned, article, f"Old reader comment {i} on the vote.").status_code
        for i in range(8)
    ]
    assert fresh_codes == [302] * 5 + [429] * 3
    assert seasoned_codes == [302] * 8
    assert Comment.objects.filter(author__username="fresh").count() == 5


def test_link_stuffed_comment_is_held_not_shown(
    reader_client: Client, article: Article, make_user: Callable[..., User]
) -> None:
    text = "Deals: https://a.example/1 https://b.example/2 https://c.example/3"
    response = post_comment(reader_client, article, text)
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert comment.state == CommentState.HELD and "links" in comment.reasons[0]
    log = ModerationAction.objects.get(comment=comment)
    assert (log.kind, log.actor, log.state_before, log.state_after) == ("hold", None, "new", "held")
    own = reader_client.get(f"/articles/{article.pk}/").content.decode()
    assert "awaiting moderation" in own and "https://a.example/1" in own
    others = signed_in(make_user("bob")).get(f"/articles/{article.pk}/").content.decode()
    assert "https://a.example/1" not in others and "No comments yet" in others


def test_filled_honeypot_is_rejected(reader_client: Client, article: Article) -> None:
    response = post_comment(
        reader_client, article, "Totally human comment.", website="http://spam.example"
    )
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_banned_reader_cannot_post(
    reader: User, reader_client: Client, article: Article, moderator: User
) -> None:
    services.user_ban(moderator=moderator, user=reader, reason="spam run")
    assert post_comment(reader_client, article, "Let me back in.").status_code == 403
    assert not Comment.objects.exists()
    assert "You can no longer post comments here." in section_html(article, reader)


@pytest.mark.parametrize("vector", VECTORS)
def test_stored_xss_renders_escaped(
    vector: str, make_user: Callable[..., User], article: Article
) -> None:
    author = make_user(f"x{abs(hash(vector)) % 10**8}")
    User.objects.filter(pk=author.pk).update(display_name=vector[:80], first_name=vector[:150])
    author.refresh_from_db()
    comment = services.comment_post(user=author, article=article, text=vector)
    Comment.objects.filter(pk=comment.pk).update(state=CommentState.APPROVED)
    html = section_html(article)
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    li = tree.get_element_by_id(f"comment-{comment.pk}")
    text_div = li.find_class("comment-text")[0]
    inner = "".join(lxml_html.tostring(child, encoding="unicode") for child in text_div)
    assert_inert(inner)
    author_span = li.find_class("author")[0]
    assert len(author_span) == 0  # the name is text only
    assert "<script" not in html.lower()
    if "<" in vector:
        assert vector not in html


# --- reports ----------------------------------------------------------------------------------


def test_reports_hide_a_comment_after_three_readers(
    reader_client: Client, article: Article, make_user: Callable[..., User]
) -> None:
    post_comment(reader_client, article, "A comment some readers dislike.")
    comment = Comment.objects.get()
    url = reverse("community:comment_report", args=[comment.pk])
    assert reader_client.post(url, {"reason": "spam"}).status_code == 400  # not your own
    reporters = [signed_in(make_user()) for _ in range(3)]
    assert reporters[0].get(url).status_code == 200
    fragment = reporters[0].get(url, **HX).content.decode()
    assert fragment.startswith(f'<form id="report-{comment.pk}"') and "<html" not in fragment
    assert (
        reporters[0].post(url, {"reason": "abuse", "next": f"/articles/{article.pk}/"}).status_code
        == 302
    )
    assert reporters[0].post(url, {"reason": "abuse"}).status_code == 302  # twice counts once
    assert reporters[1].post(url, {"reason": "nonsense"}).status_code == 400
    response = reporters[1].post(url, {"reason": "spam", "note": "<b>ads</b>"}, **HX)
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    comment.refresh_from_db()
    assert comment.state == CommentState.APPROVED and comment.report_count == 2
    reporters[2].post(url, {"reason": "off_topic"})
    comment.refresh_from_db()
    assert comment.state == CommentState.HELD and comment.report_count == 3
    log = ModerationAction.objects.get(kind="auto_hide")
    assert (log.comment_id, log.actor, log.state_before, log.state_after) == (
        comment.pk,
        None,
        "approved",
        "held",
    )
    assert "A comment some readers dislike." not in section_html(article)
    assert (
        reporters[0].post(url, {"reason": "abuse"}).status_code == 404
    )  # hidden: nothing to report


def test_reporting_is_rate_limited(
    make_user: Callable[..., User], article: Article, settings: Any
) -> None:
    settings.BROADSHEET = {
        **settings.BROADSHEET,
        "BROADSHEET_REPORT_PER_HOUR": 2,
        "BROADSHEET_COMMENT_REPORT_HIDE": 100,
    }
    authors = [make_user() for _ in range(4)]
    comments = [
        services.comment_post(user=a, article=article, text=f"Opinion number {i} on the vote.")
        for i, a in enumerate(authors)
    ]
    reporter = signed_in(make_user("grumpy"))
    codes = [
        reporter.post(
            reverse("community:comment_report", args=[c.pk]), {"reason": "spam"}
        ).status_code
        for c in comments
    ]
    assert codes == [302, 302, 429, 429]
    assert CommentReport.objects.count() == 2


# --- the section ------------------------------------------------------------------------------


def test_section_queries_do_not_grow_with_comments(
    make_user: Callable[..., User], make_article: Callable[..., Article]
) -> None:
    def build(n_top: int, replies_each: int) -> Article:
        item = make_article()
        authors = [make_user() for _ in range(5)]
        for i in range(n_top):
            top = Comment.objects.create(article=item, author=authors[i % 5], text=f"top {i}")
            for j in range(replies_each):
                Comment.objects.create(
                    article=item, author=authors[j % 5], parent=top, text=f"reply {i}.{j}"
                )
        return item

    small, big = build(2, 1), build(10, 4)  # 3 and 50 comments
    viewer = make_user("viewer")
    Comment.objects.create(article=big, author=viewer, text="my held one", state=CommentState.HELD)
    counts = []
    for item in (small, big):
        with CaptureQueriesContext(connection) as queries:
            html = section_html(item, viewer)
        counts.append(len(queries))
    assert html.count('class="comment') >= 51
    assert "awaiting moderation" in html
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


def test_section_pages(make_user: Callable[..., User], article: Article, settings: Any) -> None:
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_COMMENTS_PER_PAGE": 3}
    author = make_user()
    made = [
        Comment.objects.create(
            article=article,
            author=author,
            text=f"number {i}",
            created_at=timezone.now() - timedelta(minutes=10 - i),
        )
        for i in range(7)
    ]
    first = section_html(article)
    assert "number 6" in first and "number 4" in first and "number 3" not in first
    assert "?cpage=2" in first and "(7)" in first
    last = section_html(article, query="?cpage=3")
    assert "number 0" in last and "number 1" not in last
    assert section_html(article, query="?cpage=zzz").count("number 6") == 1
    response = Client().get(reverse("community:comment", args=[made[0].pk]))
    assert response["Location"] == f"/articles/{article.pk}/?cpage=3#comment-{made[0].pk}"


def test_thread_page_stands_alone(client: Client, article: Article) -> None:
    response = client.get(reverse("community:thread", args=[article.pk]))
    assert response.status_code == 200
    assert "Budget vote tonight" in response.content.decode()
    assert client.get(reverse("community:thread", args=[999999])).status_code == 404


# --- account deletion -------------------------------------------------------------------------


@pytest.mark.parametrize("remove", [False, True])
def test_account_deletion(remove: bool, make_user: Callable[..., User], article: Article) -> None:
    leaving, staying = make_user("leaving"), make_user("staying")
    top = services.comment_post(
        user=leaving, article=article, text="Something I said before leaving."
    )
    services.comment_post(
        user=staying, article=article, text="An answer to them.", parent_id=top.pk
    )
    services.comment_post(user=leaving, article=article, text="My other thought on the vote.")
    assert services.comments_handle_account_deletion(user=leaving, remove=remove) == 2
    leaving.delete()
    html = section_html(article)
    assert "An answer to them." in html
    if remove:
        assert "Something I said before leaving." not in html and "[deleted]" in html
        assert "My other thought" not in html
    else:
        assert "Something I said before leaving." in html and "deleted account" in html
    assert Comment.objects.filter(author__isnull=True).count() == 2


def test_hidden_parent_keeps_its_replies_but_not_its_text(
    reader: User, make_user: Callable[..., User], article: Article
) -> None:
    top = services.comment_post(
        user=reader, article=article, text="Reported later, text must vanish."
    )
    services.comment_post(
        user=make_user("bob"), article=article, text="A reply that stays.", parent_id=top.pk
    )
    for _ in range(3):
        services.comment_report(user=make_user(), comment=top, reason="abuse")
    Comment.objects.filter(pk=top.pk).update(author=None)  # a deleted account's comment, too
    for viewer in (None, make_user("carol")):
        html = section_html(article, viewer)
        assert "A reply that stays." in html and "hidden until a moderator reviews it" in html
        assert "Reported later" not in html
