"""/api/v1/articles/{id}/comments: read a thread; post through the community service (a token's reader)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from broadsheet.api.errors import ApiError
from broadsheet.api.rest.articles import PAGE_MAX
from broadsheet.api.rest.base import MAX_ID, require_user, responses
from broadsheet.api.rest.schemas import CommentIn, CommentOut, CommentPage
from broadsheet.api.selectors import id_page
from broadsheet.articles.models import Article
from broadsheet.core.ratelimit import client_ip

router = Router(tags=["comments"])


def comment_out(comment: Any) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "parent_id": comment.parent_id,
        "author": comment.author.get_username() if comment.author_id else None,
        "text": comment.text,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "state": comment.state,
    }


def _visible(article_id: int) -> Any:
    from broadsheet.community.models import Comment, CommentState

    return Comment.objects.filter(
        article_id=article_id, state=CommentState.APPROVED, deleted_at__isnull=True
    ).select_related("author")


@router.get(
    "/articles/{article_id}/comments",
    response=responses(CommentPage),
    summary="An article's published comments, oldest first",
)
def comment_list(
    request: HttpRequest,
    article_id: int = Path(..., ge=1, le=MAX_ID),
    cursor: str | None = Query(None, max_length=300),
    limit: int = Query(20, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    if not Article.objects.filter(pk=article_id).exists():
        raise ApiError(404, f"no article {article_id}")
    page = id_page(
        _visible(article_id), kind=f"comments:{article_id}", cursor=cursor, limit=limit, order="id"
    )
    return {"items": [comment_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/articles/{article_id}/comments",
    response=responses(CommentOut, 201),
    summary="Post a comment (moderated like the site's)",
)
def comment_create(
    request: HttpRequest, payload: CommentIn, article_id: int = Path(..., ge=1, le=MAX_ID)
) -> Status:
    from broadsheet.community import services as community

    user = require_user(request, write=True)
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise ApiError(404, f"no article {article_id}")
    ip = client_ip(request)
    comment = community_post(community, user=user, article=article, payload=payload, ip=ip)
    return Status(201, comment_out(comment))


def community_post(
    community: Any, *, user: Any, article: Article, payload: CommentIn, ip: str
) -> Any:
    """community_post hands a comment to the community service and maps its refusals to 4xx."""
    try:
        return community.comment_post(
            user=user, article=article, text=payload.text, parent_id=payload.parent_id, ip=ip
        )
    except community.CommentForbidden as exc:
        raise ApiError(403, str(exc), code="comment_forbidden") from None
    except community.CommentError as exc:
        raise ApiError(400, str(exc), code="comment_refused") from None
