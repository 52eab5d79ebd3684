"""The Google Reader API over loopback, with the requests Miniflux's `google-reader` client makes.

That client (PyPI `google-reader` 0.0.3, by Miniflux's author, tested against Miniflux and
FreshRSS) requires Python 3.12, and this project runs on 3.11; `GReader` below sends exactly its
calls (same paths, parameters, form fields and headers) with requests.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from broadsheet.api.greader.streams import item_id_long
from broadsheet.api.tests.conftest import Newsroom
from broadsheet.community.models import Follow
from broadsheet.reading import selectors as reading_selectors
from broadsheet.reading.services import articles_mark

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


class GReader:
    """GReader makes google-reader 0.0.3's requests (Client.login, get_token, …) one for one."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "Google Reader Python Client"
        self.auth = ""

    def _h(self) -> dict[str, str]:
        return {"Authorization": f"GoogleLogin auth={self.auth}"}

    def login(self, username: str, password: str) -> requests.Response:
        r = self.session.post(
            f"{self.base}/accounts/ClientLogin", data={"Email": username, "Passwd": password}
        )
        if r.status_code == 200:
            self.auth = dict(line.split("=", 1) for line in r.text.strip().split("\n"))["Auth"]
        return r

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(
            f"{self.base}/reader/api/0/{path}", headers=self._h(), params=params
        )

    def post(self, path: str, data: dict[str, Any], **params: Any) -> requests.Response:
        return self.session.post(
            f"{self.base}/reader/api/0/{path}", headers=self._h(), params=params, data=data
        )

    def token(self) -> str:
        return self.get("token").text.strip()

    def item_ids(self, stream: str, **extra: Any) -> dict[str, Any]:
        r = self.get("stream/items/ids", output="json", s=stream, **extra)
        assert r.status_code == 200, r.text[:300]
        return r.json()

    def contents(self, ids: list[str]) -> dict[str, Any]:
        r = self.post("stream/items/contents", {"i": ids, "T": self.token()}, output="json")
        assert r.status_code == 200, r.text[:300]
        return r.json()

    def edit_tags(
        self, ids: list[str], add: list[str] | None = None, remove: list[str] | None = None
    ) -> None:
        data: dict[str, Any] = {"i": ids, "T": self.token()}
        if add:
            data["a"] = add
        if remove:
            data["r"] = remove
        assert self.post("edit-tag", data, output="json").status_code == 200


@pytest.fixture
def reader_app(newsroom: Newsroom, live_server: Any) -> GReader:
    app = GReader(f"{live_server.url}/api/greader")
    assert app.login("reader", newsroom.password).status_code == 200
    return app


@pytest.mark.django_db(transaction=True)
def test_login_user_info_and_subscriptions(
    newsroom: Newsroom, reader_app: GReader, live_server: Any
) -> None:
    app = reader_app
    assert len(app.token()) == 40
    info = app.get("user-info").json()
    assert info["userName"] == "reader" and info["userId"] == str(newsroom.reader.pk)
    assert app.get("subscription/list", output="json").json() == {"subscriptions": []}

    # Subscribing in the app follows the source on the site.
    stream = f"feed/{newsroom.sources[1].pk}"
    r = app.post("subscription/edit", {"s": stream, "ac": "subscribe", "T": app.token()})
    assert r.status_code == 200
    assert Follow.objects.filter(user=newsroom.reader, source=newsroom.sources[1]).exists()
    subs = app.get("subscription/list", output="json").json()["subscriptions"]
    assert [(s["id"], s["title"]) for s in subs] == [(stream, "Yonhap & Co <wire>")]
    assert subs[0]["url"].endswith(f"/feeds/source/{newsroom.sources[1].pk}.rss")

    # quickadd by our feed's URL, then unsubscribe.
    added = app.post(
        "subscription/quickadd",
        {"quickadd": newsroom.feeds[0].url, "T": app.token()},
        output="json",
    ).json()
    assert added["numResults"] == 1 and added["streamId"] == f"feed/{newsroom.sources[0].pk}"
    assert (
        app.post(
            "subscription/edit", {"s": stream, "ac": "unsubscribe", "T": app.token()}
        ).status_code
        == 200
    )
    assert not Follow.objects.filter(user=newsroom.reader, source=newsroom.sources[1]).exists()
    unknown = app.post(
        "subscription/quickadd",
        {"quickadd": "https://nowhere.example/rss", "T": app.token()},
        output="json",
    )
    assert unknown.json()["numResults"] == 0

    # Wrong password, missing or forged auth, bad edit token.
    assert GReader(f"{live_server.url}/api/greader").login("reader", "nope").status_code == 401
    stranger = GReader(f"{live_server.url}/api/greader")
    assert stranger.get("user-info").status_code == 401
    stranger.auth = f"{newsroom.reader.pk}/" + "0" * 40
    assert stranger.get("user-info").status_code == 401
    bad_t = app.post("edit-tag", {"i": ["1"], "a": [READ], "T": "forged"})
    assert bad_t.status_code == 401 and bad_t.headers["X-Reader-Google-Bad-Token"] == "true"


@pytest.mark.django_db(transaction=True)
def test_streams_contents_and_state_sync(newsroom: Newsroom, reader_app: GReader) -> None:
    app = reader_app
    Follow.objects.create(user=newsroom.reader, source=newsroom.sources[0])
    Follow.objects.create(user=newsroom.reader, source=newsroom.sources[1])
    Follow.objects.create(user=newsroom.reader, tag=newsroom.tags[1])
    all_ids = sorted((a.pk for a in newsroom.articles), reverse=True)

    # Paging with continuation covers the reading list once, newest arrival first.
    seen: list[str] = []
    params: dict[str, Any] = {"n": 7}
    while True:
        page = app.item_ids(READING_LIST, **params)
        seen += [ref["id"] for ref in page["itemRefs"]]
        if not page.get("continuation"):
            break
        params["c"] = page["continuation"]
    assert seen == [str(i) for i in all_ids]
    oldest_first = app.item_ids(READING_LIST, n=3, r="o")["itemRefs"]
    assert [r["id"] for r in oldest_first] == [str(i) for i in sorted(all_ids)[:3]]

    # Read on the site → excluded by xt=read in the app.
    articles_mark(user=newsroom.reader, article_ids=[newsroom.articles[0].pk], read=True)
    unread = app.item_ids(READING_LIST, n=1000, xt=READ)["itemRefs"]
    assert (
        str(newsroom.articles[0].pk) not in {r["id"] for r in unread}
        and len(unread) == len(all_ids) - 1
    )

    # Contents by long (hex) and short (decimal) ids: key points first, hashtags as labels.
    target = newsroom.articles[3]
    body = app.contents([item_id_long(target.pk), str(newsroom.articles[6].pk)])
    items = {i["id"]: i for i in body["items"]}
    item = items[item_id_long(target.pk)]
    assert item["summary"]["content"].startswith("<p><strong>Key points</strong></p>")
    assert (
        "user/-/label/NorthKorea" in item["categories"]
        and "user/-/label/미사일" in item["categories"]
    )
    assert item["origin"]["streamId"] == f"feed/{target.source_id}"
    assert item["title"] == 'Fish & chips <b>bold</b> "quoted" 🐟 북한 미사일 \x01\x07\x1b end'
    assert READ not in item["categories"]

    # Read and starred in the app → the site's rows.
    app.edit_tags([item_id_long(target.pk)], add=[READ, STARRED])
    assert reading_selectors.states_for(user=newsroom.reader, article_ids=[target.pk]) == {
        target.pk: (True, True)
    }
    assert [r["id"] for r in app.item_ids(STARRED)["itemRefs"]] == [str(target.pk)]
    app.edit_tags([str(target.pk)], remove=[READ])
    assert reading_selectors.states_for(user=newsroom.reader, article_ids=[target.pk]) == {
        target.pk: (False, True)
    }

    # Labels: the followed hashtags; a label stream is that hashtag within the subscriptions.
    tags = [t["id"] for t in app.get("tag/list", output="json").json()["tags"]]
    assert tags == [STARRED, "user/-/label/미사일"]
    label_ids = app.item_ids("user/-/label/미사일", n=100)["itemRefs"]
    assert {int(r["id"]) for r in label_ids} == {
        a.pk for i, a in enumerate(newsroom.articles[:30]) if i % 3 == 0
    }

    # Stream contents with the stream in the path (slashes and all), as FreshRSS clients send it.
    r = app.get(f"stream/contents/feed/{newsroom.sources[1].pk}", output="json", n=5)
    assert r.status_code == 200 and len(r.json()["items"]) == 5 and r.json()["continuation"]

    # Mark all as read, before a timestamp (seconds or microseconds).
    cutoff = newsroom.articles[10].fetched_at.timestamp()
    r = app.post(
        "mark-all-as-read",
        {"s": READING_LIST, "T": app.token(), "ts": str(int(cutoff * 1_000_000))},
    )
    assert r.status_code == 200
    read = reading_selectors.read_ids(
        user=newsroom.reader, article_ids=[a.pk for a in newsroom.articles]
    )
    assert read == {a.pk for a in newsroom.articles if a.fetched_at.timestamp() < cutoff} | {
        newsroom.articles[0].pk
    }
    counts = app.get("unread-count", output="json").json()
    assert counts["max"] == len(all_ids) - len(read)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("stream/items/ids", {"s": "user/-/state/com.google/nonsense"}),
        ("stream/items/ids", {"s": READING_LIST, "n": "lots"}),
        ("stream/items/ids", {"s": READING_LIST, "c": "forged"}),
        ("stream/items/ids", {"s": READING_LIST, "ot": "99999999999999999999999"}),
        ("stream/items/ids", {"s": READING_LIST, "xt": "user/-/label/x"}),
        ("stream/items/contents", {"i": "tag:google.com,2005:reader/item/zz"}),
        ("stream/items/contents", {"i": "-5"}),
    ],
)
def test_malformed_reader_requests_are_400(
    newsroom: Newsroom, client: Any, path: str, params: dict[str, str]
) -> None:
    from broadsheet.api.readerauth import greader_auth_token

    auth = {"Authorization": f"GoogleLogin auth={greader_auth_token(user=newsroom.reader)}"}
    response = client.get(f"/api/greader/reader/api/0/{path}", params, headers=auth)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["code"] == "bad_request"
    missing = client.get(
        "/api/greader/reader/api/0/stream/items/ids", {"s": "feed/999999"}, headers=auth
    )
    assert missing.status_code == 404


def test_login_failures_are_rate_limited(newsroom: Newsroom, client: Any) -> None:
    statuses = [
        client.post(
            "/api/greader/accounts/ClientLogin", {"Email": "reader", "Passwd": f"guess{i}"}
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429


def test_nul_in_reader_parameters_is_400(newsroom: Newsroom, client: Any) -> None:
    from broadsheet.api.readerauth import greader_auth_token

    auth = {"Authorization": f"GoogleLogin auth={greader_auth_token(user=newsroom.reader)}"}
    response = client.get(
        "/api/greader/reader/api/0/stream/items/ids", {"s": "feed/a\x00b"}, headers=auth
    )
    assert response.status_code == 400
    fever = client.post("/api/fever/?api&items", {"api_key": "a\x00"})
    assert fever.status_code == 400
    assert client.get("/feeds/tag/a%00b.rss").status_code == 404
