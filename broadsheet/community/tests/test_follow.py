"""Following hashtags, sources and stories, the "For you" page, and saving articles for later:
every form without JavaScript (POST, redirect) and with htmx (the button fragment back)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article
from broadsheet.community.models import Follow
from broadsheet.enrich.models import ArticleTag, Enrichment, Story, Tag
from broadsheet.ingest.models import Source
from broadsheet.reading.models import ArticleState

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(make_article: Callable[..., Article]) -> dict[str, object]:
    tag = Tag.objects.create(slug="northkorea", name="NorthKorea")
    source = Source.objects.create(name="Herald", host="herald.example")
    story = Story.objects.create(title="Missile test")
    by_tag = make_article(title="Tagged piece")
    ArticleTag.objects.create(article=by_tag, tag=tag)
    make_article(title="Herald piece", source=source)
    by_story = make_article(title="Story piece")
    Enrichment.objects.create(article=by_story, story=story)
    unrelated = make_article(title="Unrelated piece")
    return {"tag": tag, "source": source, "story": story, "unrelated": unrelated}


@pytest.mark.parametrize("kind", ["tag", "source", "story"])
def test_follow_and_unfollow_without_javascript(
    kind: str, world: dict[str, object], reader: User, reader_client: Client
) -> None:
    target = world[kind]
    url = reverse("community:follow", args=[kind, target.pk])  # type: ignore[attr-defined]
    response = reader_client.post(url, {"on": "1", "next": "/somewhere/"})
    assert response.status_code == 302 and response["Location"] == "/somewhere/"
    assert Follow.objects.filter(user=reader, **{kind: target}).count() == 1
    reader_client.post(url, {"on": "1"})  # twice is still once
    assert Follow.objects.filter(user=reader).count() == 1
    response = reader_client.post(url, {"on": "0", "next": "https://evil.example/"})
    assert response["Location"] == reverse("community:for_you")
    assert not Follow.objects.exists()


def test_follow_with_htmx_returns_the_button(
    world: dict[str, object], reader_client: Client
) -> None:
    tag = world["tag"]
    url = reverse("community:follow", args=["tag", tag.pk])  # type: ignore[attr-defined]
    response = reader_client.post(url, {"on": "1"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith("<form")
    assert 'aria-pressed="true"' in body and 'name="on" value="0"' in body and "Unfollow" in body
    body = reader_client.post(url, {"on": "0"}, **HX).content.decode()
    assert 'aria-pressed="false"' in body and 'name="on" value="1"' in body


def test_follow_needs_sign_in_post_and_a_real_target(
    client: Client, reader_client: Client, world: dict[str, object]
) -> None:
    tag = world["tag"]
    url = reverse("community:follow", args=["tag", tag.pk])  # type: ignore[attr-defined]
    response = client.post(url, {"on": "1"})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.post(url, {"on": "1"}, **HX).status_code == 401
    assert reader_client.get(url).status_code == 405
    assert reader_client.post(reverse("community:follow", args=["user", 1])).status_code == 404
    assert reader_client.post(reverse("community:follow", args=["tag", 999999])).status_code == 404
    assert not Follow.objects.exists()


def test_follow_button_on_the_tag_page(
    world: dict[str, object], client: Client, reader_client: Client
) -> None:
    tag = world["tag"]
    page = client.get(reverse("web:tag", args=[tag.slug])).content.decode()  # type: ignore[attr-defined]
    assert "Sign in to follow" in page
    page = reader_client.get(reverse("web:tag", args=[tag.slug])).content.decode()  # type: ignore[attr-defined]
    assert f'action="{reverse("community:follow", args=["tag", tag.pk])}"' in page  # type: ignore[attr-defined]
    assert 'name="csrfmiddlewaretoken"' in page


def test_for_you_lists_what_is_followed(
    world: dict[str, object], reader: User, reader_client: Client, client: Client
) -> None:
    assert client.get(reverse("community:for_you")).status_code == 302
    page = reader_client.get(reverse("community:for_you")).content.decode()
    assert "Follow hashtags" in page
    for kind in ("tag", "source", "story"):
        reader_client.post(reverse("community:follow", args=[kind, world[kind].pk]), {"on": "1"})  # type: ignore[attr-defined]
    page = reader_client.get(reverse("community:for_you")).content.decode()
    titles = re.findall(r'class="row-title"><a href="[^"]+">([^<]+)</a>', page)
    assert sorted(titles) == ["Herald piece", "Story piece", "Tagged piece"]
    assert "Unrelated piece" not in page
    assert "#NorthKorea" in page


def test_for_you_pages(
    make_article: Callable[..., Article], reader: User, reader_client: Client
) -> None:
    source = Source.objects.create(name="Daily", host="daily.example")
    for i in range(30):
        make_article(title=f"Daily {i}", source=source)
    Follow.objects.create(user=reader, source=source)
    first = reader_client.get(reverse("community:for_you")).content.decode()
    second = reader_client.get(reverse("community:for_you"), {"page": 2}).content.decode()
    assert first.count('class="article-row"') == 25 and second.count('class="article-row"') == 5
    assert 'href="?page=2"' in first


def test_save_for_later_without_javascript(
    article: Article, reader: User, reader_client: Client
) -> None:
    url = reverse("community:save", args=[article.pk])
    response = reader_client.post(url, {"on": "1", "next": f"/articles/{article.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/articles/{article.pk}/"
    assert ArticleState.objects.get(user=reader, article=article).starred_at is not None
    page = reader_client.get(reverse("community:saved")).content.decode()
    assert article.title in page and "Unsave" in page
    reader_client.post(url, {"on": "0"})
    assert ArticleState.objects.get(user=reader, article=article).starred_at is None
    assert article.title not in reader_client.get(reverse("community:saved")).content.decode()


def test_save_with_htmx_returns_the_button(
    article: Article, reader: User, reader_client: Client, client: Client
) -> None:
    url = reverse("community:save", args=[article.pk])
    body = reader_client.post(url, {"on": "1"}, **HX).content.decode()
    assert (
        body.startswith("<form") and 'aria-pressed="true"' in body and 'name="on" value="0"' in body
    )
    assert reader_client.get(url).status_code == 405
    assert client.post(url, {"on": "1"}).status_code == 302
    assert (
        reader_client.post(reverse("community:save", args=[999999]), {"on": "1"}).status_code == 404
    )
    assert ArticleState.objects.filter(starred_at__isnull=False).count() == 1


def test_saved_list_is_private_and_paged(
    make_article: Callable[..., Article],
    make_user: Callable[..., User],
    reader_client: Client,
    client: Client,
) -> None:
    assert client.get(reverse("community:saved")).status_code == 302
    other = make_user("bob")
    mine = make_article(title="Mine to read")
    theirs = make_article(title="Theirs to read")
    reader_client.post(reverse("community:save", args=[mine.pk]), {"on": "1"})
    Client().force_login(other)
    from broadsheet.reading.services import articles_mark

    articles_mark(user=other, article_ids=[theirs.pk], starred=True)
    page = reader_client.get(reverse("community:saved")).content.decode()
    assert "Mine to read" in page and "Theirs to read" not in page
