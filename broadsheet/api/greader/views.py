"""The Google Reader API, as FreshRSS and Miniflux serve it to apps (Reeder, NetNewsWire, FeedMe…)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import unquote

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from broadsheet.accounts.models import User
from broadsheet.api.errors import (
    body_too_large,
    error_response,
    has_nul,
    nul_response,
    too_large_response,
)
from broadsheet.api.greader import streams
from broadsheet.api.greader.items import item_json, items_for
from broadsheet.api.readerauth import (
    greader_auth_token,
    greader_edit_token,
    greader_edit_token_ok,
    greader_user,
    reader_login,
    reader_rate_limit,
)
from broadsheet.api.readerdata import subscribed_sources
from broadsheet.community.models import Follow
from broadsheet.core.ratelimit import RateLimited
from broadsheet.reading import services as reading_services

View = Callable[..., HttpResponse]
IDS_MAX = 10_000
CONTENTS_MAX = 1000


def _params(request: HttpRequest) -> dict[str, list[str]]:
    merged = {k: request.GET.getlist(k) for k in request.GET}
    if request.method == "POST":
        for k in request.POST:
            merged[k] = [*merged.get(k, []), *request.POST.getlist(k)]
    return merged


def _one(params: dict[str, list[str]], name: str, default: str = "") -> str:
    values = params.get(name) or []
    return values[-1] if values else default


def _guard(view: View, *, auth: bool) -> View:
    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if body_too_large(request):
            return too_large_response()
        if has_nul(request):
            return nul_response()
        try:
            if not auth:
                return view(request, *args, **kwargs)
            user = greader_user(request=request)
            if user is None:
                return error_response(
                    401, "Unauthorized", headers={"WWW-Authenticate": "GoogleLogin"}
                )
            reader_rate_limit(user=user)
            params = _params(request)
            token = _one(params, "T")
            if (
                request.method == "POST"
                and token
                and not greader_edit_token_ok(user=user, token=token)
            ):
                return error_response(
                    401,
                    "bad edit token",
                    code="bad_token",
                    headers={"X-Reader-Google-Bad-Token": "true"},
                )
            return view(request, user, params, *args, **kwargs)
        except streams.StreamError as exc:
            return error_response(400, str(exc))
        except streams.StreamNotFound:
            return error_response(404, "no such stream")
        except RateLimited as exc:
            return error_response(
                429,
                "too many requests",
                details={"retry_after": exc.retry_after},
                headers={"Retry-After": str(exc.retry_after)},
            )

    return wrapped


def reader(view: View) -> View:
    """reader guards a view that needs a signed-in reader (GoogleLogin auth=…)."""
    return _guard(view, auth=True)


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return (
        None
        if request.method == "POST"
        else error_response(405, "use POST", headers={"Allow": "POST"})
    )


def _client_login(request: HttpRequest) -> HttpResponse:
    """_client_login trades Email and Passwd for an Auth token (as text lines, or JSON with output=json)."""
    params = _params(request)
    user = reader_login(
        request=request, username=_one(params, "Email"), password=_one(params, "Passwd")
    )
    if user is None:
        return HttpResponse(
            "Error=BadAuthentication\n", status=401, content_type="text/plain; charset=utf-8"
        )
    auth = greader_auth_token(user=user)
    if _one(params, "output") == "json":
        return JsonResponse({"SID": auth, "LSID": "null", "Auth": auth})
    return HttpResponse(
        f"SID={auth}\nLSID=null\nAuth={auth}\n", content_type="text/plain; charset=utf-8"
    )


client_login = _guard(_client_login, auth=False)


@reader
def token(request: HttpRequest, user: User, params: dict[str, list[str]]) -> HttpResponse:
    return HttpResponse(
        greader_edit_token(user=user) + "\n", content_type="text/plain; charset=utf-8"
    )


@reader
def user_info(request: HttpRequest, user: User, params: dict[str, list[str]]) -> HttpResponse:
    return JsonResponse(
        {
            "userId": str(user.pk),
            "userName": user.get_username(),
            "userProfileId": str(user.pk),
            "userEmail": user.email,
            "isBloggerUser": False,
            "signupTimeSec": int(user.date_joined.timestamp()),
        }
    )


@reader
def subscription_list(
    request: HttpRequest, user: User, params: dict[str, list[str]]
) -> HttpResponse:
    subscriptions = [
        {
            "id": f"feed/{source.pk}",
            "title": source.name,
            "categories": [],
            "url": request.build_absolute_uri(f"/feeds/source/{source.pk}.rss"),
            "htmlUrl": source.homepage,
            "iconUrl": "",
            "firstitemmsec": "0",
            "sortid": f"{source.pk:08x}",
        }
        for source in subscribed_sources(user=user)
    ]
    return JsonResponse({"subscriptions": subscriptions})


@reader
def subscription_edit(
    request: HttpRequest, user: User, params: dict[str, list[str]]
) -> HttpResponse:
    from broadsheet.community.services import follow_set

    if (refused := _post_only(request)) is not None:
        return refused
    action = _one(params, "ac", "edit")
    if action not in ("subscribe", "unsubscribe", "edit"):
        return error_response(400, "ac must be subscribe, unsubscribe or edit")
    stream_ids = [s for s in params.get("s", []) if s][:100]
    if not stream_ids:
        return error_response(400, "s (a feed/… stream id) is required")
    sources = []
    for stream in stream_ids:
        if not stream.startswith("feed/"):
            return error_response(400, "s must be a feed/… stream id")
        source = streams.feed_source(stream[len("feed/") :])
        if source is None:
            return error_response(404, f"no such feed: {stream[:200]}")
        sources.append(source)
    for source in sources:
        if action == "subscribe":
            follow_set(user=user, target=source, on=True)
        elif action == "unsubscribe":
            follow_set(user=user, target=source, on=False)
        # "edit" renames or moves a subscription; sources are shared by every reader and named
        # by their publisher, so a per-reader title is not kept (answered OK, changes nothing).
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


@reader
def subscription_quickadd(
    request: HttpRequest, user: User, params: dict[str, list[str]]
) -> HttpResponse:
    from broadsheet.community.services import follow_set

    if (refused := _post_only(request)) is not None:
        return refused
    query = _one(params, "quickadd").strip()
    source = streams.feed_source(query.removeprefix("feed/")) if query else None
    if source is None:
        # Readers follow the sources this site polls; adding a publisher is an operator's choice.
        return JsonResponse(
            {"numResults": 0, "query": query[:2000], "error": "not a feed this site polls"}
        )
    follow_set(user=user, target=source, on=True)
    return JsonResponse(
        {
            "numResults": 1,
            "query": query[:2000],
            "streamId": f"feed/{source.pk}",
            "streamName": source.name,
        }
    )


@reader
def tag_list(request: HttpRequest, user: User, params: dict[str, list[str]]) -> HttpResponse:
    tags = [{"id": streams.STARRED}]
    followed = (
        Follow.objects.filter(user=user, tag__isnull=False)
        .select_related("tag")
        .order_by("tag__name")
    )
    tags += [{"id": f"{streams.LABEL}{f.tag.name}", "type": "tag"} for f in followed if f.tag]
    return JsonResponse({"tags": tags})


@reader
def unread_count(request: HttpRequest, user: User, params: dict[str, list[str]]) -> HttpResponse:
    from django.db.models import Count, Max

    from broadsheet.reading.selectors import unread_in

    rows = (
        unread_in(
            user=user, articles=streams.stream_articles(user=user, stream=streams.READING_LIST)
        )
        .values("source_id")
        .annotate(count=Count("id"), newest=Max("fetched_at"))
    )
    counts = [
        {
            "id": f"feed/{r['source_id']}",
            "count": r["count"],
            "newestItemTimestampUsec": str(int(r["newest"].timestamp() * 1_000_000)),
        }
        for r in rows
    ]
    total = sum(c["count"] for c in counts)
    return JsonResponse({"max": total, "unreadcounts": counts})


@reader
def stream_contents(
    request: HttpRequest, user: User, params: dict[str, list[str]], stream: str = ""
) -> HttpResponse:
    stream = unquote(stream) or _one(params, "s", streams.READING_LIST)
    query = streams.parse_stream_query(params, stream=stream, n_default=20, n_max=CONTENTS_MAX)
    ids, continuation, _ = streams.stream_page(user=user, query=query)
    body: dict[str, Any] = {
        "direction": "ltr",
        "id": streams.normalise(stream),
        "title": streams.normalise(stream),
        "self": [{"href": request.build_absolute_uri()}],
        "updated": int(timezone.now().timestamp()),
        "items": [item_json(a, s) for a, s in items_for(user=user, ids=ids)],
    }
    if continuation:
        body["continuation"] = continuation
    return _json(body)


@reader
def stream_item_ids(request: HttpRequest, user: User, params: dict[str, list[str]]) -> HttpResponse:
    stream = _one(params, "s", streams.READING_LIST)
    query = streams.parse_stream_query(params, stream=stream, n_default=20, n_max=IDS_MAX)
    ids, continuation, filtered = streams.stream_page(user=user, query=query)
    times = dict(filtered.filter(id__in=ids).values_list("id", "fetched_at"))
    refs = [
        {
            "id": str(i),
            "directStreamIds": [],
            "timestampUsec": str(int(times[i].timestamp() * 1_000_000)),
        }
        for i in ids
        if i in times
    ]
    body: dict[str, Any] = {"itemRefs": refs}
    if continuation:
        body["continuation"] = continuation
    return _json(body)


@reader
def stream_item_contents(
    request: HttpRequest, user: User, params: dict[str, list[str]]
) -> HttpResponse:
    raw_ids = params.get("i", [])
    if len(raw_ids) > CONTENTS_MAX:
        return error_response(400, f"at most {CONTENTS_MAX} items at once")
    ids = [streams.item_id_parse(r) for r in raw_ids]
    return _json(
        {
            "direction": "ltr",
            "id": streams.READING_LIST,
            "title": "Reading list",
            "self": [{"href": request.build_absolute_uri()}],
            "updated": int(timezone.now().timestamp()),
            "items": [item_json(a, s) for a, s in items_for(user=user, ids=ids)],
        }
    )


@reader
def edit_tag(request: HttpRequest, user: User, params: dict[str, list[str]]) -> HttpResponse:
    if (refused := _post_only(request)) is not None:
        return refused
    raw_ids = params.get("i", [])
    if len(raw_ids) > IDS_MAX:
        return error_response(400, f"at most {IDS_MAX} items at once")
    ids = [streams.item_id_parse(r) for r in raw_ids]
    changes: dict[str, bool] = {}
    for name, on in (("a", True), ("r", False)):
        for tag in params.get(name, []):
            target = streams.normalise(tag)
            if target == streams.READ:
                changes["read"] = on
            elif target == streams.KEPT_UNREAD and on:
                changes["read"] = False
            elif target == streams.STARRED:
                changes["starred"] = on
    with transaction.atomic():
        reading_services.articles_mark(user=user, article_ids=_existing(ids), **changes)
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


@reader
def mark_all_as_read(
    request: HttpRequest, user: User, params: dict[str, list[str]]
) -> HttpResponse:
    if (refused := _post_only(request)) is not None:
        return refused
    stream = _one(params, "s")
    if not stream:
        return error_response(400, "s (a stream id) is required")
    articles = streams.stream_articles(user=user, stream=stream)
    if _one(params, "ts"):
        articles = articles.filter(fetched_at__lt=streams.seconds_parse(_one(params, "ts"), "ts"))
    reading_services.articles_mark_all_read(user=user, articles=articles)
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


@reader
def disable_tag(request: HttpRequest, user: User, params: dict[str, list[str]]) -> HttpResponse:
    from broadsheet.community.services import follow_set

    if (refused := _post_only(request)) is not None:
        return refused
    stream = streams.normalise(_one(params, "s") or _one(params, "t"))
    if not stream.startswith(streams.LABEL):
        return error_response(400, "s must be a user/-/label/… id")
    tag = streams.label_tag(stream[len(streams.LABEL) :])
    if tag is None:
        return error_response(404, "no such label")
    follow_set(user=user, target=tag, on=False)  # a label is a followed hashtag: stop following it
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


def _existing(ids: list[int]) -> list[int]:
    from broadsheet.articles.models import Article

    return list(Article.objects.filter(id__in=ids).values_list("id", flat=True))


def _json(body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
