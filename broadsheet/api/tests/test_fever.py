"""The Fever API driven by a real client written by others (freshrss-api, from PyPI) over loopback."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.test import Client
from freshrss_api import AuthenticationError, FreshRSSAPI

from broadsheet.api.readerdata import group_id
from broadsheet.api.tests.conftest import Newsroom
from broadsheet.community.models import Follow
from broadsheet.reading import selectors as reading_selectors
from broadsheet.reading.services import articles_mark


@pytest.fixture
def subscribed(newsroom: Newsroom) -> Newsroom:
    Follow.objects.create(user=newsroom.reader, source=newsroom.sources[0])
    Follow.objects.create(user=newsroom.reader, source=newsroom.sources[1])
    return newsroom


@pytest.mark.django_db(transaction=True)
def test_freshrss_api_client_end_to_end(subscribed: Newsroom, live_server: Any) -> None:
    room = subscribed
    # The client posts to {host}/api/fever.php, FreshRSS's address, which we also answer.
    api = FreshRSSAPI(host=live_server.url, username="reader", password=room.password)

    feeds = api.get_feeds()
    assert {f["id"] for f in feeds["feeds"]} == {room.sources[0].pk, room.sources[1].pk}
    groups = api.get_groups()
    assert [g["title"] for g in groups["groups"]] == ["Korea"]
    assert groups["feeds_groups"] == [
        {"group_id": group_id("Korea"), "feed_ids": f"{room.sources[0].pk},{room.sources[1].pk}"}
    ]

    # Something read on the site is read in the app: the same rows.
    articles_mark(user=room.reader, article_ids=[room.articles[0].pk], read=True)
    unread = api.get_unreads()  # unread ids, then items fetched 50 at a time by with_ids
    assert len(unread) == 30
    assert room.articles[0].pk not in {i.id for i in unread}
    item = next(i for i in unread if i.id == room.articles[2].pk)
    assert item.html.startswith("<p><strong>Key points</strong></p>")
    assert "#NorthKorea" in item.html and item.feed_id == room.sources[0].pk
    assert not item.is_read and not item.is_saved

    # Something read or saved in the app is read or saved on the site.
    api.set_mark("read", room.articles[2].pk)
    api.set_mark("saved", room.articles[4].pk)
    assert reading_selectors.states_for(
        user=room.reader, article_ids=[room.articles[2].pk, room.articles[4].pk]
    ) == {
        room.articles[2].pk: (True, False),
        room.articles[4].pk: (False, True),
    }
    assert [i.id for i in api.get_saved()] == [room.articles[4].pk]
    api.set_mark("unsaved", room.articles[4].pk)
    assert api.get_saved() == []

    with pytest.raises(AuthenticationError):
        FreshRSSAPI(host=live_server.url, username="reader", password="wrong")


def fever(client: Client, key: str, query: str, **data: str) -> Any:
    response = client.post(f"/api/fever/?api&{query}", {"api_key": key, **data})
    assert response.status_code == 200, response.content[:300]
    return response.json()


@pytest.fixture
def key(subscribed: Newsroom) -> str:
    import hashlib

    return hashlib.md5(f"reader:{subscribed.password}".encode()).hexdigest()


def test_items_since_max_and_with_ids(subscribed: Newsroom, client: Client, key: str) -> None:
    ids = sorted(a.pk for a in subscribed.articles)
    first = fever(client, key, "items")
    assert [i["id"] for i in first["items"]] == ids[:50] and first["total_items"] == len(ids)
    since = fever(client, key, f"items&since_id={ids[9]}")
    assert [i["id"] for i in since["items"]] == ids[10:]
    older = fever(client, key, f"items&max_id={ids[5]}")
    assert [i["id"] for i in older["items"]] == list(reversed(ids[:5]))
    chosen = fever(client, key, f"items&with_ids={ids[3]},{ids[1]}")
    assert sorted(i["id"] for i in chosen["items"]) == [ids[1], ids[3]]
    assert fever(client, key, "favicons")["favicons"] == []


def test_mark_feed_and_group_read_before(subscribed: Newsroom, client: Client, key: str) -> None:
    room = subscribed
    cutoff = int(room.articles[10].fetched_at.timestamp())
    fever(
        client,
        key,
        "",
        mark="feed",
        **{"as": "read"},
        id=str(room.sources[0].pk),
        before=str(cutoff),
    )
    read = reading_selectors.read_ids(user=room.reader, article_ids=[a.pk for a in room.articles])
    expected = {
        a.pk
        for a in room.articles
        if a.source_id == room.sources[0].pk and a.fetched_at.timestamp() < cutoff
    }
    assert read == expected and expected
    fever(
        client,
        key,
        "",
        mark="group",
        **{"as": "read"},
        id=str(group_id("Korea")),
        before="9999999999",
    )
    unread = fever(client, key, "unread_item_ids")["unread_item_ids"]
    assert unread == ""
    fever(client, key, "", mark="item", **{"as": "unread"}, id=str(room.articles[1].pk))
    assert fever(client, key, "unread_item_ids")["unread_item_ids"] == str(room.articles[1].pk)


@pytest.mark.parametrize(
    ("query", "data"),
    [
        ("items&since_id=abc", {}),
        ("items&with_ids=" + ",".join(str(i) for i in range(1, 60)), {}),
        ("", {"mark": "item", "as": "eaten", "id": "1"}),
        ("", {"mark": "item", "as": "read", "id": "-1"}),
        ("", {"mark": "feed", "as": "read", "id": "1", "before": "99999999999999999"}),
    ],
)
def test_bad_parameters_are_400(
    subscribed: Newsroom, client: Client, key: str, query: str, data: dict[str, str]
) -> None:
    response = client.post(f"/api/fever/?api&{query}", {"api_key": key, **data})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_wrong_or_malformed_keys_get_auth_0(subscribed: Newsroom, client: Client) -> None:
    for bad in ["", "x" * 32, "0" * 32, "<script>", "a" * 5000]:
        body = client.post("/api/fever/?api&items", {"api_key": bad}).json()
        assert body == {"api_version": 3, "auth": 0}


def test_huge_body_is_413(subscribed: Newsroom, client: Client) -> None:
    response = client.post("/api/fever/?api", {"api_key": "x" * (1024 * 1024)})
    assert response.status_code == 413


def test_requests_style_get_works_too(subscribed: Newsroom, live_server: Any, key: str) -> None:
    # Some clients send api_key in the query string.
    body = requests.get(f"{live_server.url}/api/fever/?api&groups&api_key={key}", timeout=10).json()
    assert body["auth"] == 1 and body["groups"]
