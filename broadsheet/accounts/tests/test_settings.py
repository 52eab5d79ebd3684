"""The accounts part of the settings: rates, mail and cache URLs, cookies."""

from typing import cast

import pytest

from config import settings as production
from config.options import option


def test_rates_parse_and_bad_ones_name_the_setting():
    assert option("BROADSHEET_SIGNUP_RATE").read({}) == (5, 3600)
    assert option("BROADSHEET_LOGIN_FAILURES_PAIR").read(
        {"BROADSHEET_LOGIN_FAILURES_PAIR": "3/60"}
    ) == (3, 60)
    for bad in ["5", "5/0", "-1/60", "a/b", ""]:
        with pytest.raises(ValueError, match="BROADSHEET_SIGNUP_RATE"):
            option("BROADSHEET_SIGNUP_RATE").read({"BROADSHEET_SIGNUP_RATE": bad})


def test_mail_url():
    assert str(production._email("")["EMAIL_BACKEND"]).endswith("console.EmailBackend")
    smtp = production._email("smtp://bot%40example.org:p%2Fss@mail.example.org")
    assert smtp["EMAIL_HOST"] == "mail.example.org" and smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_HOST_USER"] == "bot@example.org" and smtp["EMAIL_HOST_PASSWORD"] == "p/ss"
    assert smtp["EMAIL_USE_TLS"] is True and smtp["EMAIL_USE_SSL"] is False
    smtps = production._email("smtps://u:p@mail.example.org")
    assert smtps["EMAIL_PORT"] == 465 and smtps["EMAIL_USE_SSL"] is True
    with pytest.raises(ValueError, match="BROADSHEET_EMAIL_URL"):
        production._email("http://mail.example.org")


def test_cache_url_is_always_shared():
    assert production._cache("")["BACKEND"] == "broadsheet.core.ratelimit.AtomicDatabaseCache"
    assert (
        production._cache("redis://127.0.0.1:6379/0")["BACKEND"]
        == "django.core.cache.backends.redis.RedisCache"
    )
    with pytest.raises(ValueError, match="BROADSHEET_CACHE_URL"):
        production._cache("locmem://")


def test_session_and_password_settings():
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE == "Lax"
    assert production.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert production.PASSWORD_RESET_TIMEOUT <= 3600
    validators = cast(list[dict], production.AUTH_PASSWORD_VALIDATORS)
    lengths = [v.get("OPTIONS", {}).get("min_length") for v in validators]
    assert 8 in lengths and len(production.AUTH_PASSWORD_VALIDATORS) == 4
