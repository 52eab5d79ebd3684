"""The page cache: signed-out readers share stored pages; nothing personal is ever stored or shared."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from broadsheet.articles.models import Article
from broadsheet.web.pagecache import HEADER, AnonymousPageCacheMiddleware, cache_for_anonymous
from broadsheet.web.tests import factories as f

pytestmark = pytest.mark.django_db


def retitle(article: Article, title: str) -> None:
    Article.objects.filter(pk=article.pk).update(title=title)


def test_signed_out_readers_share_a_page_and_signed_in_ones_see_it_fresh() -> None:
    article = f.make_article(title="First headline")
    url = f"/articles/{article.pk}/"
    first = Client().get(url)
    assert first[HEADER] == "miss" and not first.cookies
    retitle(article, "Second headline")
    again = Client().get(url)  # another reader, within the lifetime
    assert again[HEADER] == "hit" and again.content == first.content
    assert "First headline" in again.content.decode()
    # Headers stored with the page come back with it (CSP and friends are set inside the cache).
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]
    reader = get_user_model().objects.create_user(username="reader", email="r@example.org")
    signed_in = Client()
    signed_in.force_login(reader)
    fresh = signed_in.get(url)
    assert HEADER not in fresh and "Second headline" in fresh.content.decode()


def test_the_language_and_htmx_are_part_of_the_key() -> None:
    article = f.make_article(title="Keyed")
    url = f"/articles/{article.pk}/"
    english = Client().get(url, HTTP_ACCEPT_LANGUAGE="en")
    korean = Client().get(url, HTTP_ACCEPT_LANGUAGE="ko")
    assert (english[HEADER], korean[HEADER]) == ("miss", "miss")
    assert english["Content-Language"] == "en" and korean["Content-Language"] == "ko"
    assert Client().get(url, HTTP_ACCEPT_LANGUAGE="ko")[HEADER] == "hit"
    ask = f"/articles/{article.pk}/ask/?q=who"
    whole = Client().get(ask)
    fragment = Client().get(ask, HTTP_HX_REQUEST="true")
    assert (whole[HEADER], fragment[HEADER]) == ("miss", "miss")
    assert b"<h1" in whole.content and b"<h1" not in fragment.content


def test_errors_and_session_holders_are_never_stored(settings) -> None:
    assert HEADER not in Client().get("/articles/999999/")  # a 404
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "whatever"
    article = f.make_article()
    assert HEADER not in client.get(f"/articles/{article.pk}/")
    assert Client().get(f"/articles/{article.pk}/")[HEADER] == "miss"  # it was not stored


def test_lifetime_zero_turns_the_cache_off(settings) -> None:
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_PAGE_CACHE_SECONDS": 0}
    article = f.make_article()
    assert HEADER not in Client().get(f"/articles/{article.pk}/")
    assert HEADER not in Client().get(f"/articles/{article.pk}/")


@pytest.mark.parametrize(
    ("case", "stored"),
    [
        ("plain", True),
        ("renders a csrf token", False),
        ("sets a cookie", False),
        ("private", False),
        ("not opted in", False),
        ("not found", False),
    ],
)
def test_what_the_middleware_stores(case: str, stored: bool) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse(f"page for {case}", status=404 if case == "not found" else 200)
        if case == "renders a csrf token":
            response.content = f"token {get_token(request)}".encode()
        if case == "sets a cookie":
            response.set_cookie("seen", "1")
        if case == "private":
            response["Cache-Control"] = "private, max-age=60"
        return response

    page_view = view if case == "not opted in" else cache_for_anonymous(view)
    middleware = AnonymousPageCacheMiddleware(page_view)
    request = RequestFactory().get(f"/probe/{case}/")
    middleware(request)
    second = middleware(RequestFactory().get(f"/probe/{case}/"))
    assert (second.get(HEADER) == "hit") is stored
