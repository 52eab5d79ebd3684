"""{% load community %}: the community slots of pages ({% comments_for article %}, {% follow_button
target %}, {% save_button article %}) and the filter that renders a comment's text."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from broadsheet.community import selectors, services
from broadsheet.community.text import comment_html

register = template.Library()


def _base(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    return {
        "request": request,
        "user": context.get("user") or getattr(request, "user", None),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }


@register.inclusion_tag("community/_comments.html", takes_context=True)
def comments_for(context: template.Context, article: Any) -> dict[str, Any]:
    """comments_for renders an article's comment section: a page of the thread and the form."""
    base = _base(context)
    request = base["request"]
    page_number = request.GET.get("cpage", 1) if request is not None else 1
    section = selectors.comment_section(
        article=article, viewer=base["user"], page_number=page_number
    )
    for comment in section.comments:
        comment.can_edit = services.comment_editable(comment=comment, user=base["user"])  # type: ignore[attr-defined]
        for reply in getattr(comment, "shown_replies", []):
            reply.can_edit = services.comment_editable(comment=reply, user=base["user"])  # type: ignore[attr-defined]
    return {
        **base,
        "article": article,
        "section": section,
        "honeypot": "website",
        "form_id": f"comment-form-{article.pk}",
    }


_KINDS = {"Tag": "tag", "Source": "source", "Story": "story"}


@register.inclusion_tag("community/_follow.html", takes_context=True)
def follow_button(context: template.Context, target: Any, following: Any = None) -> dict[str, Any]:
    """follow_button renders the follow/unfollow form for a tag, source or story (pass following to
    skip a query)."""
    base = _base(context)
    if following is None:
        following = base["user"] is not None and selectors.follow_exists(
            user=base["user"], target=target
        )
    return {
        **base,
        "target": target,
        "kind": _KINDS.get(type(target).__name__, ""),
        "following": bool(following),
    }


@register.inclusion_tag("community/_save.html", takes_context=True)
def save_button(context: template.Context, article: Any, saved: Any = None) -> dict[str, Any]:
    """save_button renders the save-for-later/unsave form for an article (pass saved to skip a query)."""
    base = _base(context)
    user = base["user"]
    if saved is None:
        saved = bool(
            user is not None
            and user.is_authenticated
            and article.reader_states.filter(user=user, starred_at__isnull=False).exists()
        )
    return {**base, "article": article, "saved": bool(saved)}


@register.filter
def comment_text(text: str) -> SafeString:
    """comment_text renders a comment's plain text: escaped, http(s) links with rel="nofollow ugc noopener"."""
    return comment_html(text or "")


@register.simple_tag(takes_context=True)
def sign_in_url(context: template.Context) -> str:
    """sign_in_url is the sign-in page, coming back to this page afterwards."""
    from broadsheet.community.views import login_url

    request = context.get("request")
    return login_url(request.get_full_path() if request is not None else "")
