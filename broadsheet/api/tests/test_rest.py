"""/api/v1/: lists and pagination, details, tokens, read state, errors in one shape, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from broadsheet.api.errors import is_error_shape
from broadsheet.api.services import api_token_create
from broadsheet.api.tests.conftest import Newsroom
from broadsheet.reading import selectors as reading_selectors

V1 = "/api/v1"


def get(client: Client, path: str, token: str | None = None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(V1 + path, params, headers=headers)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    assert is_error_shape(response.content), response.content[:500]
    error = response.json()["error"]
    if code:
        assert error["code"] == code
    return error


def test_article_pages_cover_everything_once_newest_first(
    newsroom: Newsroom, client: Client
) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        body = get(client, "/articles", **params).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 5  # 31 articles, 7 a page
    assert len(seen) == len(set(seen)) == len(newsroom.articles)
    # Dated ones newest first, the undated one last.
    assert seen[:30] == [a.pk for a in newsroom.articles[:30]]
    assert seen[-1] == newsroom.articles[-1].pk


def test_article_card_carries_hashtags_key_points_and_story(
    newsroom: Newsroom, client: Client
) -> None:
    item = get(client, "/articles", limit=1).json()["items"][0]
    assert item["id"] == newsroom.articles[0].pk
    assert item["hashtags"][0] == {"slug": "north-korea", "name": "NorthKorea"}
    assert item["key_points"] == ["Point one of 0 & <stuff>", "Point two of 0"]
    assert item["story_id"] == newsroom.story.pk
    assert item["source"]["name"] == "Korea Herald"
    assert item["read"] is None  # anonymous


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tag": "미사일"}, [i for i in range(30) if i % 3 == 0]),
        ({"language": "ko"}, [i for i in range(30) if i % 5 == 0]),
        ({"since": "2025-03-01T09:30:00Z"}, [0, 1, 2]),
        ({"until": "2025-03-00T00:00:00"}, None),
    ],
)
def test_article_filters(
    newsroom: Newsroom, client: Client, params: dict[str, str], expected: list[int] | None
) -> None:
    response = get(client, "/articles", limit=100, **params)
    if expected is None:
        assert_error(response, 422)
        return
    ids = [item["id"] for item in response.json()["items"]]
    assert ids == [newsroom.articles[i].pk for i in expected]


def test_article_filters_by_source_and_story(newsroom: Newsroom, client: Client) -> None:
    by_source = get(client, "/articles", source=newsroom.sources[1].pk, limit=100).json()["items"]
    assert {i["source"]["id"] for i in by_source} == {newsroom.sources[1].pk}
    assert len(by_source) == 15
    by_story = get(client, "/articles", story=newsroom.story.pk, limit=100).json()["items"]
    assert [i["id"] for i in by_story] == [a.pk for a in newsroom.articles[:6]]


def test_article_detail(newsroom: Newsroom, client: Client) -> None:
    body = get(client, f"/articles/{newsroom.articles[4].pk}").json()
    assert body["body_html"].startswith("<p>Body of article 4")
    assert body["story"] == {"id": newsroom.story.pk, "title": "Missile test & reactions"}
    assert [c["id"] for c in body["wire_copies"]] == [newsroom.articles[5].pk]
    copy = get(client, f"/articles/{newsroom.articles[5].pk}").json()
    assert copy["duplicate_of"] == newsroom.articles[4].pk
    assert [c["id"] for c in copy["wire_copies"]] == [newsroom.articles[4].pk]
    first = get(client, f"/articles/{newsroom.articles[0].pk}").json()
    assert [r["id"] for r in first["related"]] == [newsroom.articles[1].pk]


def test_stories_tags_sources(newsroom: Newsroom, client: Client) -> None:
    stories = get(client, "/stories").json()
    assert [s["id"] for s in stories["items"]] == [newsroom.story.pk]
    story = get(client, f"/stories/{newsroom.story.pk}").json()
    assert story["summary"] == [{"text": "Both outlets report the launch.", "citations": [1, 2]}]
    assert [a["id"] for a in story["timeline"]] == [a.pk for a in reversed(newsroom.articles[:6])]
    tags = get(client, "/tags", limit=1).json()
    assert tags["items"][0]["slug"] == "north-korea" and tags["next_cursor"]
    rest = get(client, "/tags", limit=1, cursor=tags["next_cursor"]).json()
    assert [t["slug"] for t in rest["items"]] == ["미사일"] and rest["next_cursor"] is None
    assert get(client, "/tags/미사일").json()["name"] == "미사일"
    hosts = [s["host"] for s in get(client, "/sources").json()["items"]]
    assert hosts == sorted(hosts) and len(hosts) == 3
    assert get(client, f"/sources/{newsroom.sources[1].pk}").json()["name"] == "Yonhap & Co <wire>"


def test_ask_answers_with_citations(newsroom: Newsroom, client: Client) -> None:
    response = client.post(
        f"{V1}/articles/{newsroom.articles[0].pk}/ask",
        {"question": "How far did the missile fly?"},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 200, body
    assert "800 km" in body["answer"]
    assert body["supported"] is True
    assert body["citations"] and body["citations"][0]["article"]["id"] in {
        a.pk for a in newsroom.articles[:6]
    }


def test_anonymous_bodies_are_shared_and_readers_get_their_own(
    newsroom: Newsroom, client: Client
) -> None:
    from django.core.cache import caches

    caches["pages"].clear()
    path = f"/articles/{newsroom.articles[4].pk}"
    first = get(client, path)
    with CaptureQueriesContext(connection) as ctx:
        again = get(client, path)
    assert again.content == first.content
    # Only the rate limit's counter was touched: the body came from the store.
    assert not [q for q in ctx.captured_queries if "articles_article" in q["sql"]]
    _, raw = api_token_create(user=newsroom.reader, name="shared-json test")
    with CaptureQueriesContext(connection) as ctx:
        mine = get(client, path, raw).json()
    assert [q for q in ctx.captured_queries if "articles_article" in q["sql"]]
    assert mine["read"] is False and first.json()["read"] is None


def test_token_lifecycle_and_state_sync(newsroom: Newsroom, client: Client) -> None:
    client.force_login(newsroom.reader)
    created = client.post(f"{V1}/tokens", {"name": "my script"}, content_type="application/json")
    assert created.status_code == 201, created.content
    raw = created.json()["token"]
    client.logout()
    assert get(client, "/me", raw).json()["username"] == "reader"
    listed = get(client, "/tokens", raw).json()
    assert [t["name"] for t in listed] == ["my script"] and "token" not in listed[0]
    assert raw not in json.dumps(listed)

    article = newsroom.articles[2]
    marked = client.put(
        f"{V1}/articles/{article.pk}/state",
        {"read": True, "starred": True},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert marked.json() == {"article_id": article.pk, "read": True, "starred": True}
    # The same rows the site reads.
    assert reading_selectors.states_for(user=newsroom.reader, article_ids=[article.pk]) == {
        article.pk: (True, True)
    }
    assert list(reading_selectors.starred_articles(user=newsroom.reader)) == [article]
    card = next(
        i for i in get(client, "/articles", raw, limit=5).json()["items"] if i["id"] == article.pk
    )
    assert (card["read"], card["starred"]) == (True, True)
    client.put(
        f"{V1}/articles/{article.pk}/state",
        {"read": False},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert reading_selectors.states_for(user=newsroom.reader, article_ids=[article.pk]) == {
        article.pk: (False, True)
    }

    token_id = listed[0]["id"]
    revoked = client.delete(f"{V1}/tokens/{token_id}", headers={"Authorization": f"Bearer {raw}"})
    assert revoked.status_code == 204
    assert_error(get(client, "/me", raw), 401, "invalid_token")


def test_session_writes_need_csrf(newsroom: Newsroom) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(newsroom.reader)
    refused = client.post(f"{V1}/tokens", {"name": "x"}, content_type="application/json")
    assert_error(refused, 403, "csrf_failed")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer bsk_notarealtoken",
        "Bearer " + "x" * 5000,
        "Token abc",
    ],
)
def test_bad_authorization_is_401_never_anonymous(
    newsroom: Newsroom, client: Client, header: str
) -> None:
    response = client.get(V1 + "/articles", headers={"Authorization": header})
    assert_error(response, 401)


def test_personal_endpoints_need_a_reader(newsroom: Newsroom, client: Client) -> None:
    assert_error(get(client, "/me"), 401, "unauthorized")
    assert_error(
        client.put(
            f"{V1}/articles/{newsroom.articles[0].pk}/state",
            {"read": True},
            content_type="application/json",
        ),
        401,
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/articles?limit=101", 422),
        ("/articles?limit=0", 422),
        ("/articles?limit=abc", 422),
        ("/articles/abc", 422),
        ("/articles/-1", 422),
        ("/articles/99999999999999999999999", 422),
        ("/articles/9223372036854775807", 404),
        ("/articles?source=1e9", 422),
        ("/articles?since=yesterday", 422),
        ("/articles?since=0001-01-01T00:00:00%2B05:00", 422),
        ("/articles?cursor=forged", 400),
        ("/articles?cursor=" + "A" * 301, 422),
        ("/stories/0", 422),
        ("/tags/" + "x" * 121, 422),
        ("/no/such/endpoint", 404),
        ("/search?q=x&cursor=nope", 400),
    ],
)
def test_malformed_input_is_a_clear_4xx(
    newsroom: Newsroom, client: Client, path: str, status: int
) -> None:
    assert_error(client.get(V1 + path), status)


def test_cursors_are_signed_and_bound_to_their_list(newsroom: Newsroom, client: Client) -> None:
    from broadsheet.api.cursor import cursor_encode

    stories_cursor = cursor_encode("stories", "2025-01-01T00:00:00+00:00", 5)
    assert_error(get(client, "/articles", cursor=stories_cursor), 400, "invalid_cursor")
    good = get(client, "/articles", limit=2).json()["next_cursor"]
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    assert_error(get(client, "/articles", cursor=tampered), 400, "invalid_cursor")
    # A deep cursor (the start of time) leaves only the undated article, which sorts last.
    deep = cursor_encode("articles", "0001-01-01T00:00:00+00:00", 1)
    body = get(client, "/articles", cursor=deep).json()
    assert [i["id"] for i in body["items"]] == [newsroom.articles[-1].pk] and body[
        "next_cursor"
    ] is None
    weird = cursor_encode("articles", ["nested"], {"x": 1})
    assert_error(get(client, "/articles", cursor=weird), 400, "invalid_cursor")


def test_wrong_method_is_405_in_the_shape(newsroom: Newsroom, client: Client) -> None:
    error = assert_error(client.delete(V1 + "/articles"), 405)
    assert "GET" in error["details"]["allowed"]


def test_one_megabyte_body_is_413_unread(newsroom: Newsroom, client: Client) -> None:
    body = json.dumps({"question": "x" * (1024 * 1024)})
    response = client.post(
        f"{V1}/articles/{newsroom.articles[0].pk}/ask", body, content_type="application/json"
    )
    assert_error(response, 413, "payload_too_large")


def test_broken_json_is_a_4xx(newsroom: Newsroom, client: Client) -> None:
    response = client.post(
        f"{V1}/articles/{newsroom.articles[0].pk}/ask", "{nope", content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert is_error_shape(response.content)


def test_rate_limits_per_address_and_per_token(
    newsroom: Newsroom, client: Client, limits: dict[str, object]
) -> None:
    limits["BROADSHEET_API_RATE_ANON"] = 3
    limits["BROADSHEET_API_RATE_TOKEN"] = 5
    for _ in range(3):
        assert get(client, "/tags").status_code == 200
    limited = get(client, "/tags")
    error = assert_error(limited, 429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1 and error["details"]["retry_after"] >= 1
    # A token has its own budget, independent of the address.
    _, raw = api_token_create(user=newsroom.reader, name="t")
    statuses = [get(client, "/tags", raw).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def _queries(client: Client, path: str, token: str | None = None, **params: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = get(client, path, token, **params)
    assert response.status_code == 200, response.content[:300]
    # Rate-limit counters (the cache) and the token's once-a-minute touch are not the list's cost.
    skip = ("broadsheet_cache", "SAVEPOINT", "RELEASE", "ROLLBACK", 'UPDATE "accounts_apitoken"')
    return sum(1 for q in ctx.captured_queries if not any(s in q["sql"] for s in skip))


@pytest.mark.parametrize(
    "path", ["/articles", "/stories", "/tags", "/sources", "/articles?tag=north-korea"]
)
def test_lists_cost_the_same_queries_for_1_or_30_rows(
    newsroom: Newsroom, client: Client, path: str
) -> None:
    _, raw = api_token_create(user=newsroom.reader, name="q")
    path, _, query = path.partition("?")
    extra = dict(p.split("=") for p in query.split("&")) if query else {}
    small = _queries(client, path, raw, limit=1, **extra)
    large = _queries(client, path, raw, limit=25, **extra)
    assert small == large, (small, large)
    assert large <= 5
    # The last page may look once more, for undated rows: two more queries, whatever its size.
    assert _queries(client, path, raw, limit=100, **extra) <= large + 2


def test_comments_read_and_write_through_the_community_service(
    newsroom: Newsroom, client: Client
) -> None:
    from broadsheet.community.models import Comment

    article = newsroom.articles[0]
    Comment.objects.create(
        article=article, author=newsroom.other, text="Seen & noted <ok>", state="approved"
    )
    Comment.objects.create(article=article, author=newsroom.other, text="held one", state="held")
    listed = get(client, f"/articles/{article.pk}/comments").json()
    assert [c["text"] for c in listed["items"]] == ["Seen & noted <ok>"]
    assert listed["items"][0]["author"] == "other"

    _, raw = api_token_create(user=newsroom.reader, name="c")
    auth = {"Authorization": f"Bearer {raw}"}
    url = f"{V1}/articles/{article.pk}/comments"
    posted = client.post(
        url, {"text": "A thoughtful reply."}, content_type="application/json", headers=auth
    )
    assert posted.status_code == 201, posted.content
    body = posted.json()
    assert body["state"] in {"approved", "held"} and body["author"] == "reader"
    stored = Comment.objects.get(pk=body["id"])
    assert (stored.author, stored.text) == (newsroom.reader, "A thoughtful reply.")
    assert_error(client.post(url, {"text": ""}, content_type="application/json", headers=auth), 422)
    assert_error(client.post(url, {"text": "x"}, content_type="application/json"), 401)
    gone = client.post(
        url, {"text": "hi", "parent_id": 2**40}, content_type="application/json", headers=auth
    )
    assert_error(gone, 400, "comment_refused")


def test_search_pages_with_a_cursor_and_a_depth_cap(newsroom: Newsroom, client: Client) -> None:
    from broadsheet.search.services import search_index_article

    for article in newsroom.articles:
        search_index_article(article_id=article.pk)
    first = get(client, "/search", q="missile", limit=10, sort="new").json()
    assert len(first["items"]) == 10 and first["next_cursor"] and first["query_tokens"]
    assert first["items"][0]["hashtags"]  # full cards, like /articles
    rest = get(client, "/search", q="missile", limit=50, cursor=first["next_cursor"]).json()
    ids = [i["id"] for i in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == len(newsroom.articles)
    from broadsheet.api.cursor import cursor_encode

    assert_error(
        get(client, "/search", q="missile", cursor=cursor_encode("search", 995)), 400, "too_deep"
    )


@pytest.mark.parametrize("path", ["/articles?tag=a%00b", "/tags/a%00b", "/search?q=%00"])
def test_nul_characters_are_refused_before_any_query(
    newsroom: Newsroom, client: Client, path: str
) -> None:
    # PostgreSQL text cannot hold NUL: without this check the query would fail there with a 500.
    assert_error(client.get(V1 + path), 400)
