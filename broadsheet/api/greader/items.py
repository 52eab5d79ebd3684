"""Google Reader item JSON: key points before the body, hashtags as labels, read and starred as states."""

from __future__ import annotations

from typing import Any

from broadsheet.accounts.models import User
from broadsheet.api.greader.streams import LABEL, READ, READING_LIST, STARRED, item_id_long
from broadsheet.api.readerdata import item_html, item_time, reader_queryset
from broadsheet.api.selectors import tags_of
from broadsheet.articles.models import Article
from broadsheet.reading.selectors import states_for


def items_for(*, user: User, ids: list[int]) -> list[tuple[Article, tuple[bool, bool]]]:
    """items_for loads articles by id (in the order given) with the reader's state: three queries."""
    found = {a.pk: a for a in reader_queryset(Article.objects.filter(id__in=ids))}
    states = states_for(user=user, article_ids=list(found))
    return [(found[i], states.get(i, (False, False))) for i in dict.fromkeys(ids) if i in found]


def item_json(article: Article, state: tuple[bool, bool]) -> dict[str, Any]:
    """item_json is one item as Google Reader clients read it."""
    read, starred = state
    published = int(item_time(article).timestamp())
    crawled = article.fetched_at.timestamp()
    categories = [READING_LIST, *([READ] if read else []), *([STARRED] if starred else [])]
    categories += [f"{LABEL}{t.name}" for t in tags_of(article)]
    source = article.source
    return {
        "id": item_id_long(article.pk),
        "crawlTimeMsec": str(int(crawled * 1000)),
        "timestampUsec": str(int(crawled * 1_000_000)),
        "published": published,
        "updated": int((article.updated_at or item_time(article)).timestamp()),
        "title": article.title,
        "author": article.byline,
        "canonical": [{"href": article.url}],
        "alternate": [{"href": article.url, "type": "text/html"}],
        "categories": categories,
        "origin": {
            "streamId": f"feed/{source.pk}" if source else "feed/0",
            "title": source.name if source else "",
            "htmlUrl": source.homepage if source else "",
        },
        "summary": {"direction": "ltr", "content": item_html(article)},
    }
