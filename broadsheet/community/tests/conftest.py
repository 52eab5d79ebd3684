"""Fixtures for the community tests: articles, readers (old and new accounts), a moderator."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from broadsheet.accounts.models import User
from broadsheet.articles.models import Article

_seq = itertools.count(1)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The rate limits live in the database cache: its table must exist in the test database."""
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_article(db: None) -> Callable[..., Article]:
    def make(**fields: Any) -> Article:
        n = next(_seq)
        values = {
            "canonical_url": f"https://news.example/{n}",
            "url": f"https://news.example/{n}",
            "title": f"Article {n}",
            "content_hash": f"h{n}",
            "published_at": timezone.now() - timedelta(minutes=n),
        }
        values.update(fields)
        return Article.objects.create(**values)

    return make


@pytest.fixture
def article(make_article: Callable[..., Article]) -> Article:
    return make_article(title="Budget vote tonight")


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(name: str = "", *, age: timedelta = timedelta(days=30), **fields: Any) -> User:
        name = name or f"reader{next(_seq)}"
        # No password: force_login needs none, and hashing one costs ~0.3 s a user.
        user = User(username=name, date_joined=timezone.now() - age, **fields)
        user.set_unusable_password()
        user.save()
        return user

    return make


@pytest.fixture
def reader(make_user: Callable[..., User]) -> User:
    return make_user("alice")


@pytest.fixture
def reader_client(reader: User) -> Client:
    client = Client()
    client.force_login(reader)
    return client


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def moderator_client(user: User) -> Client:
    """moderator_client signs a moderator in as the staff pages require: TOTP enrolled and verified."""
    from broadsheet.accounts.middleware import SESSION_TWO_FACTOR
    from broadsheet.accounts.models import TotpDevice

    TotpDevice.objects.get_or_create(
        user=user, defaults={"secret": "JBSWY3DPEHPK3PXP", "confirmed_at": timezone.now()}
    )
    client = signed_in(user)
    session = client.session
    session[SESSION_TWO_FACTOR] = True
    session.save()
    return client


@pytest.fixture
def moderator(make_user: Callable[..., User]) -> User:
    from django.contrib.auth.models import Group

    user = make_user("mod")
    group, _ = Group.objects.get_or_create(name="moderators")
    user.groups.add(group)
    return user
