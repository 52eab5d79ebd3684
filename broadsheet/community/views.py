"""Readers' pages and forms: following, "For you", saved articles, comments, the moderation queue.

Every form works without JavaScript (POST, then a redirect back); with htmx (HX-Request) the same
URL answers with the fragment to swap in. Nothing changes state on GET.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from broadsheet.articles.models import Article
from broadsheet.community import selectors, services
from broadsheet.community.models import Comment, CommentReport, CommentState
from broadsheet.community.services import CommentError, CommentForbidden
from broadsheet.core.ratelimit import RateLimited, client_ip
from broadsheet.core.redirects import safe_next
from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest.models import Source
from broadsheet.reading import selectors as reading_selectors
from broadsheet.reading import services as reading_services

HONEYPOT = "website"
FOLLOW_KINDS: dict[str, type[Tag] | type[Source] | type[Story]] = {
    "tag": Tag,
    "source": Source,
    "story": Story,
}
ARTICLES_PER_PAGE = 25


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def login_url(next_path: str = "") -> str:
    """login_url is the sign-in page (accounts:login), coming back to next_path afterwards."""
    try:
        base = reverse("accounts:login")
    except NoReverseMatch:
        base = "/accounts/login/"
    return f"{base}?{urlencode({'next': next_path})}" if next_path else base


def article_url(article: Article) -> str:
    """article_url is the site's page for an article, or its comment thread where the site has none."""
    try:
        return reverse("web:article", args=[article.pk])
    except NoReverseMatch:
        return reverse("community:thread", args=[article.pk])


def _next(request: HttpRequest, default: str) -> str:
    """_next is the same-site page a form came from (its "next" field, without a fragment), else default."""
    return safe_next(request, default).split("#", 1)[0]


def _signed_out(request: HttpRequest) -> HttpResponse:
    if _htmx(request):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = login_url(request.POST.get("next", ""))
        return response
    return HttpResponseRedirect(login_url(_next(request, request.get_full_path())))


def _problem(request: HttpRequest, message: str, status: int, back: str = "") -> HttpResponse:
    return render(
        request, "community/problem.html", {"message": message, "back": back}, status=status
    )


def _int(raw: Any) -> int | None:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


# --- following --------------------------------------------------------------------------------


@require_POST
def follow(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """follow follows or unfollows (field on=0) a tag, source or story."""
    model = FOLLOW_KINDS.get(kind)
    if model is None:
        raise Http404("nothing to follow there")
    target = get_object_or_404(model, pk=pk)
    if not request.user.is_authenticated:
        return _signed_out(request)
    on = request.POST.get("on", "1") != "0"
    services.follow_set(user=request.user, target=target, on=on)  # type: ignore[arg-type]
    if _htmx(request):
        return render(
            request,
            "community/_follow.html",
            {"target": target, "following": on, "kind": kind, "next": _next(request, "")},
        )
    return HttpResponseRedirect(_next(request, reverse("community:for_you")))


@require_GET
def for_you(request: HttpRequest) -> HttpResponse:
    """for_you is a reader's own front page: the newest articles of what they follow."""
    if not request.user.is_authenticated:
        return _signed_out(request)
    page = Paginator(selectors.for_you_articles(user=request.user), ARTICLES_PER_PAGE).get_page(  # type: ignore[arg-type]
        request.GET.get("page")
    )
    articles = list(page.object_list)
    starred = {
        aid
        for aid, (_read, star) in reading_selectors.states_for(
            user=request.user,  # type: ignore[arg-type]
            article_ids=[a.pk for a in articles],
        ).items()
        if star
    }
    return render(
        request,
        "community/for_you.html",
        {
            "page": page,
            "articles": [(a, a.pk in starred) for a in articles],
            "follows": selectors.follows_list(user=request.user),  # type: ignore[arg-type]
        },
    )


# --- saved for later (the reading app's "starred") ---------------------------------------------


@require_GET
def saved(request: HttpRequest) -> HttpResponse:
    """saved lists what a reader saved for later, newest save first."""
    if not request.user.is_authenticated:
        return _signed_out(request)
    page = Paginator(
        reading_selectors.starred_articles(user=request.user),  # type: ignore[arg-type]
        ARTICLES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "community/saved.html",
        {"page": page, "articles": [(a, True) for a in page.object_list]},
    )


@require_POST
def save(request: HttpRequest, article_id: int) -> HttpResponse:
    """save saves an article for later, or unsaves it (field on=0)."""
    article = get_object_or_404(Article, pk=article_id)
    if not request.user.is_authenticated:
        return _signed_out(request)
    on = request.POST.get("on", "1") != "0"
    reading_services.articles_mark(user=request.user, article_ids=[article.pk], starred=on)  # type: ignore[arg-type]
    if _htmx(request):
        return render(
            request,
            "community/_save.html",
            {"article": article, "saved": on, "next": _next(request, "")},
        )
    return HttpResponseRedirect(_next(request, reverse("community:saved")))


# --- comments ---------------------------------------------------------------------------------


def _decorate(comments: list[Comment], user: Any) -> list[Comment]:
    """_decorate marks which comments the reader may edit (no queries)."""
    for comment in comments:
        comment.can_edit = services.comment_editable(comment=comment, user=user)  # type: ignore[attr-defined]
        for reply in getattr(comment, "shown_replies", []):
            reply.can_edit = services.comment_editable(comment=reply, user=user)  # type: ignore[attr-defined]
    return comments


def _form_context(request: HttpRequest, article: Article, **extra: Any) -> dict[str, Any]:
    return {
        "article": article,
        "next": _next(request, article_url(article)),
        "honeypot": HONEYPOT,
        **extra,
    }


@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, article_id: int) -> HttpResponseBase:
    """thread shows an article's comments on a page of their own (GET) and takes new ones (POST)."""
    article = get_object_or_404(Article.objects.select_related("source"), pk=article_id)
    if request.method == "POST":
        return _comment_post(request, article)
    return render(
        request, "community/thread.html", {"article": article, "article_href": article_url(article)}
    )


def _form_refusal(
    request: HttpRequest, article: Article, message: str, text: str, parent_id: int | None
) -> HttpResponse:
    """_form_refusal answers htmx with the form again, message included, swapped over the old one:
    a 200 with HX-Retarget, because htmx shows nothing for an error status."""
    form_id = f"reply-form-{parent_id}" if parent_id else f"comment-form-{article.pk}"
    response = render(
        request,
        "community/_comment_form.html",
        _form_context(
            request, article, error=message, text=text, parent_id=parent_id, form_id=form_id
        ),
    )
    response["HX-Retarget"] = f"#{form_id}"
    response["HX-Reswap"] = "outerHTML"
    return response


def _comment_post(request: HttpRequest, article: Article) -> HttpResponseBase:
    if not request.user.is_authenticated:
        return _signed_out(request)
    raw_parent = request.POST.get("parent") or None
    parent_id = _int(raw_parent) if raw_parent else None
    text = request.POST.get("text", "")
    if request.POST.get(HONEYPOT):
        if _htmx(request):
            return _form_refusal(
                request, article, "Your comment could not be accepted.", text, parent_id
            )
        return _problem(request, "Your comment could not be accepted.", 400)
    if raw_parent and parent_id is None:
        return _problem(request, "That is not a comment to reply to.", 400)
    try:
        comment = services.comment_post(
            user=request.user,  # type: ignore[arg-type]
            article=article,
            text=text,
            parent_id=parent_id,
            ip=client_ip(request),
        )
    except CommentError as exc:
        if _htmx(request):
            return _form_refusal(request, article, str(exc), text, parent_id)
        status = 403 if isinstance(exc, CommentForbidden) else 400
        return _problem(request, str(exc), status, back=_next(request, article_url(article)))
    except RateLimited as exc:
        if not _htmx(request):
            raise  # RateLimitMiddleware: a 429 page with Retry-After
        response = _form_refusal(request, article, exc.message or str(exc), text, parent_id)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if _htmx(request):
        comment.can_edit = True  # type: ignore[attr-defined]
        return render(
            request,
            "community/_posted.html",
            _form_context(
                request,
                article,
                c=comment,
                reply=comment.parent_id is not None,
                parent_id=comment.parent_id,
                count=selectors.comment_count(article=article),
                form_id=f"reply-form-{comment.parent_id}"
                if comment.parent_id
                else f"comment-form-{article.pk}",
            ),
        )
    return HttpResponseRedirect(f"{_next(request, article_url(article))}#comment-{comment.pk}")


def _own_comment(request: HttpRequest, comment_id: int) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("article", "author"), pk=comment_id)
    if comment.author_id != request.user.pk:
        raise Http404("no such comment of yours")
    return comment


@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponseBase:
    """comment_edit shows the edit form (GET) and saves the new text (POST), within the edit window."""
    if not request.user.is_authenticated:
        return _signed_out(request)
    comment = _own_comment(request, comment_id)
    back = _next(request, article_url(comment.article))
    context: dict[str, Any] = {"c": comment, "next": back, "text": comment.text}
    if request.method == "POST":
        context["text"] = request.POST.get("text", "")
        try:
            services.comment_edit(user=request.user, comment=comment, text=context["text"])  # type: ignore[arg-type]
        except CommentError as exc:
            context["error"] = str(exc)
            if _htmx(request):
                return render(request, "community/_edit_form.html", context)
            status = 403 if isinstance(exc, CommentForbidden) else 400
            return render(request, "community/edit.html", context, status=status)
        if _htmx(request):
            comment.can_edit = services.comment_editable(comment=comment, user=request.user)  # type: ignore[attr-defined]
            return _comment_fragment(request, comment, back)
        return HttpResponseRedirect(f"{back}#comment-{comment.pk}")
    if not services.comment_editable(comment=comment, user=request.user):
        return _problem(request, "This comment can no longer be edited.", 403, back=back)
    template = "community/_edit_form.html" if _htmx(request) else "community/edit.html"
    return render(request, template, context)


def _comment_fragment(request: HttpRequest, comment: Comment, back: str) -> HttpResponse:
    """_comment_fragment renders one comment alone, for htmx to swap in after an edit or delete."""
    return render(
        request,
        "community/_comment_body.html",
        {
            "c": comment,
            "article": comment.article,
            "next": back,
            "reply": comment.parent_id is not None,
        },
    )


@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponseBase:
    """comment_delete deletes one of the reader's own comments."""
    if not request.user.is_authenticated:
        return _signed_out(request)
    comment = _own_comment(request, comment_id)
    services.comment_delete(user=request.user, comment=comment)  # type: ignore[arg-type]
    back = _next(request, article_url(comment.article))
    if _htmx(request):
        return _comment_fragment(request, comment, back)
    return HttpResponseRedirect(f"{back}#comments")


@require_http_methods(["GET", "POST"])
def comment_report(request: HttpRequest, comment_id: int) -> HttpResponseBase:
    """comment_report shows the report form (GET) and files a report (POST)."""
    if not request.user.is_authenticated:
        return _signed_out(request)
    comment = get_object_or_404(
        Comment.objects.select_related("article", "author"),
        pk=comment_id,
        state=CommentState.APPROVED,
        deleted_at__isnull=True,
    )
    back = _next(request, article_url(comment.article))
    context: dict[str, Any] = {"c": comment, "next": back, "reasons": CommentReport.Reason.choices}
    if request.method == "POST":
        try:
            services.comment_report(
                user=request.user,  # type: ignore[arg-type]
                comment=comment,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
                ip=client_ip(request),
            )
        except CommentError as exc:
            context["error"] = str(exc)
            status = 403 if isinstance(exc, CommentForbidden) else 400
            if _htmx(request):
                return render(request, "community/_reported.html", context)
            return render(request, "community/report.html", context, status=status)
        if _htmx(request):
            return render(request, "community/_reported.html", context)
        return HttpResponseRedirect(f"{back}#comment-{comment.pk}")
    template = "community/_report_form.html" if _htmx(request) else "community/report.html"
    return render(request, template, context)


@require_GET
def comment_permalink(request: HttpRequest, comment_id: int) -> HttpResponseBase:
    """comment_permalink sends a reader to the page of the thread a comment is on."""
    comment = get_object_or_404(Comment.objects.select_related("parent", "article"), pk=comment_id)
    visible = comment.state == CommentState.APPROVED or (
        request.user.is_authenticated and comment.author_id == request.user.pk
    )
    if not visible and not selectors.user_can_moderate(user=request.user):
        raise Http404("no such comment")
    page = selectors.comment_page_number(comment=comment)
    query = f"?cpage={page}" if page > 1 else ""
    return HttpResponseRedirect(f"{article_url(comment.article)}{query}#comment-{comment.pk}")


# --- moderation -------------------------------------------------------------------------------


def _moderator(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return _signed_out(request)
    if not selectors.user_can_moderate(user=request.user):
        return _problem(request, "Only moderators can see this page.", 403)
    return None


@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    """moderation_queue lists held and reported comments with the actions a moderator can take."""
    if refusal := _moderator(request):
        return refusal
    return render(
        request, "community/moderation.html", {"queue": selectors.moderation_queue(limit=100)}
    )


@require_GET
def moderation_log(request: HttpRequest) -> HttpResponse:
    """moderation_log shows the audit log of moderation actions."""
    if refusal := _moderator(request):
        return refusal
    return render(
        request, "community/moderation_log.html", {"actions": selectors.moderation_log(limit=200)}
    )


@require_POST
def moderation_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    """moderation_comment approves, rejects or removes a comment (with a reason)."""
    if refusal := _moderator(request):
        return refusal
    comment = get_object_or_404(Comment, pk=comment_id)
    try:
        services.comment_moderate(
            moderator=request.user,  # type: ignore[arg-type]
            comment=comment,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
        )
    except CommentError as exc:
        return _problem(request, str(exc), 400, back=reverse("community:moderation"))
    if _htmx(request):
        return HttpResponse(
            f'<li class="done">Comment {comment.pk}: {comment.get_state_display()}.</li>'
        )
    return HttpResponseRedirect(reverse("community:moderation"))


@require_POST
def moderation_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """moderation_user bans a reader from posting (action=ban) or lifts the ban (action=unban)."""
    if refusal := _moderator(request):
        return refusal
    target = get_object_or_404(get_user_model(), pk=user_id)
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("action") == "unban":
            services.user_unban(moderator=request.user, user=target, reason=reason)  # type: ignore[arg-type]
        else:
            if target.pk == request.user.pk:
                raise CommentError("You cannot ban yourself.")
            services.user_ban(moderator=request.user, user=target, reason=reason)  # type: ignore[arg-type]
    except CommentError as exc:
        return _problem(request, str(exc), 400, back=reverse("community:moderation"))
    return HttpResponseRedirect(_next(request, reverse("community:moderation")))
