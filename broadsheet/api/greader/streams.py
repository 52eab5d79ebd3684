"""Google Reader stream ids, item ids and stream filters, read into querysets of articles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import QuerySet

from broadsheet.accounts.models import User
from broadsheet.api.cursor import cursor_decode, cursor_encode, parse_int
from broadsheet.api.readerdata import subscription_articles
from broadsheet.articles.models import Article
from broadsheet.enrich.models import Tag
from broadsheet.ingest.models import Feed, Source
from broadsheet.reading.models import ArticleState

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
KEPT_UNREAD = "user/-/state/com.google/kept-unread"
LABEL = "user/-/label/"
LONG_ID = "tag:google.com,2005:reader/item/"
_USER_PREFIX = re.compile(r"^user/[^/]*/")
MAX_ITEM = 2**63 - 1


class StreamError(ValueError):
    """StreamError says a stream id, item id or parameter cannot be read (a 400)."""


class StreamNotFound(LookupError):
    """StreamNotFound says a well-formed stream names nothing we have (a 404)."""


def normalise(stream: str) -> str:
    """normalise writes `user/<id>/…` as `user/-/…`, the form every client understands."""
    return _USER_PREFIX.sub("user/-/", stream.strip(), count=1)


def item_id_parse(raw: str) -> int:
    """item_id_parse reads the long (tag:…/item/<hex>), short (decimal) and bare hex item id forms."""
    raw = raw.strip()
    try:
        if raw.startswith(LONG_ID):
            value = int(raw[len(LONG_ID) :], 16)
        elif raw.isdigit() and len(raw) <= 19:
            value = int(raw)
        elif len(raw) == 16:
            value = int(raw, 16)
        else:
            raise ValueError(raw)
    except ValueError:
        raise StreamError(f"not an item id: {raw[:80]!r}") from None
    if not 0 < value <= MAX_ITEM:
        raise StreamError(f"item id out of range: {raw[:80]!r}")
    return value


def item_id_long(article_id: int) -> str:
    return f"{LONG_ID}{article_id:016x}"


def label_tag(name: str) -> Tag | None:
    """label_tag finds the hashtag a label names (display name first, then slug)."""
    return (
        Tag.objects.filter(name=name).order_by("-article_count", "id").first()
        or Tag.objects.filter(slug=name.lower()).first()
    )


def feed_source(feed_part: str) -> Source | None:
    """feed_source reads `feed/<source id>` or `feed/<feed URL>` into a source."""
    if feed_part.isdigit() and len(feed_part) <= 18:
        return Source.objects.filter(pk=int(feed_part)).first()
    feed = Feed.objects.select_related("source").filter(url=feed_part).first()
    return feed.source if feed else None


def stream_articles(*, user: User, stream: str) -> QuerySet[Article]:
    """stream_articles returns the articles of a stream id for a reader."""
    stream = normalise(stream)
    if stream == READING_LIST:
        return subscription_articles(user=user)
    if stream == STARRED:
        return Article.objects.filter(
            reader_states__user=user, reader_states__starred_at__isnull=False
        )
    if stream == READ:
        return Article.objects.filter(
            reader_states__user=user, reader_states__read_at__isnull=False
        )
    if stream == KEPT_UNREAD:
        return Article.objects.none()
    if stream.startswith(LABEL):
        tag = label_tag(stream[len(LABEL) :])
        if tag is None:
            raise StreamNotFound(stream)
        return subscription_articles(user=user).filter(article_tags__tag=tag)
    if stream.startswith("feed/"):
        source = feed_source(stream[len("feed/") :])
        if source is None:
            raise StreamNotFound(stream)
        return Article.objects.filter(source=source)
    raise StreamError(f"unknown stream: {stream[:200]!r}")


def _state_filter(
    qs: QuerySet[Article], *, user: User, target: str, include: bool
) -> QuerySet[Article]:
    target = normalise(target)
    if target == READ:
        states = ArticleState.objects.filter(user=user, read_at__isnull=False)
    elif target == STARRED:
        states = ArticleState.objects.filter(user=user, starred_at__isnull=False)
    elif target in (KEPT_UNREAD, READING_LIST):
        return qs
    else:
        raise StreamError(f"unsupported filter: {target[:200]!r}")
    ids = states.values("article_id")
    return qs.filter(id__in=ids) if include else qs.exclude(id__in=ids)


def seconds_parse(raw: str, name: str) -> datetime:
    try:
        value = int(raw)
    except ValueError:
        raise StreamError(f"{name} must be seconds since 1970") from None
    if value > 10**14:  # some clients send microseconds
        value //= 1_000_000
    elif value > 10**11:  # or milliseconds
        value //= 1000
    try:
        return datetime.fromtimestamp(max(0, value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise StreamError(f"{name} out of range") from None


@dataclass
class StreamQuery:
    """StreamQuery is one read of a stream: its filters, order, size and position."""

    stream: str
    n: int
    oldest_first: bool
    exclude: list[str]
    include: list[str]
    ot: datetime | None
    nt: datetime | None
    continuation: str | None


def stream_page(
    *, user: User, query: StreamQuery
) -> tuple[list[int], str | None, QuerySet[Article]]:
    """stream_page returns a page of article ids (arrival order), the next continuation and the filtered queryset."""
    qs = stream_articles(user=user, stream=query.stream)
    for target in query.exclude:
        qs = _state_filter(qs, user=user, target=target, include=False)
    for target in query.include:
        qs = _state_filter(qs, user=user, target=target, include=True)
    if query.ot is not None:
        qs = qs.filter(fetched_at__gte=query.ot)
    if query.nt is not None:
        qs = qs.filter(fetched_at__lt=query.nt)
    filtered = qs
    if query.continuation:
        (raw,) = _decode(query.continuation, query.oldest_first)
        last = parse_int(raw)
        qs = qs.filter(id__gt=last) if query.oldest_first else qs.filter(id__lt=last)
    ids = list(
        qs.order_by("id" if query.oldest_first else "-id").values_list("id", flat=True)[
            : query.n + 1
        ]
    )
    more = len(ids) > query.n
    ids = ids[: query.n]
    kind = "greader:o" if query.oldest_first else "greader"
    return ids, (cursor_encode(kind, ids[-1]) if more and ids else None), filtered


def _decode(token: str, oldest_first: bool) -> list[object]:
    from broadsheet.api.errors import ApiError

    try:
        return cursor_decode("greader:o" if oldest_first else "greader", token, arity=1)
    except ApiError as exc:
        raise StreamError(exc.message) from None


def parse_stream_query(
    params: dict[str, list[str]], *, stream: str, n_default: int, n_max: int
) -> StreamQuery:
    """parse_stream_query reads n, r, xt, it, ot, nt and c (clients repeat xt and it)."""

    def one(name: str) -> str | None:
        values = params.get(name) or []
        return values[-1] if values else None

    raw_n = one("n")
    try:
        n = int(raw_n) if raw_n else n_default
    except ValueError:
        raise StreamError("n must be a number") from None
    return StreamQuery(
        stream=stream,
        n=max(1, min(n, n_max)),
        oldest_first=one("r") == "o",
        exclude=[v for v in params.get("xt", []) if v][:4],
        include=[v for v in params.get("it", []) if v][:4],
        ot=seconds_parse(one("ot") or "", "ot") if one("ot") else None,
        nt=seconds_parse(one("nt") or "", "nt") if one("nt") else None,
        continuation=one("c"),
    )
