"""English and Korean: Accept-Language, the switcher, and relative times in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from broadsheet.web.templatetags.broadsheet_web import relative_time
from broadsheet.web.tests import factories as f

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "moment", "expected"),
    [
        ("en", NOW - timedelta(minutes=16), "16\xa0minutes ago"),
        ("en", NOW - timedelta(days=2, hours=3), "2\xa0days ago"),
        ("en", NOW - timedelta(seconds=20), "just now"),
        ("en", NOW + timedelta(hours=5), "in 5\xa0hours"),
        ("ko", NOW - timedelta(minutes=16), "16분 전"),
        ("ko", NOW - timedelta(hours=1, minutes=5), "1시간 전"),
        ("ko", NOW - timedelta(seconds=5), "방금"),
        ("ko", NOW + timedelta(minutes=3), "3분 후"),
    ],
)
def test_relative_time_speaks_the_readers_language(language, moment, expected):
    with translation.override(language):
        assert relative_time(moment, now=NOW) == expected


def test_korean_accept_language_gets_korean_pages(client):
    article = f.make_article(published_at=datetime.now(UTC) - timedelta(minutes=16))
    page = client.get(
        f"/articles/{article.pk}/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9"
    ).content.decode()
    assert '<html lang="ko">' in page
    assert "원문 보기" in page and "핵심 요약" in page and "본문으로 건너뛰기" in page
    assert "16분 전</time>" in page
    english = client.get(f"/articles/{article.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Read at the source" in english and "16 minutes ago</time>" in english.replace(
        "\xa0", " "
    )


def test_pending_panel_in_korean(client):
    article = f.make_article(state="pending", key_points=[])
    page = client.get(f"/articles/{article.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "핵심 요약을 준비하고 있습니다." in page


def test_language_switcher_is_a_link_and_sticks(client):
    home = client.get("/?page=1").content.decode()
    assert 'href="/language/ko/?next=/%3Fpage%3D1"' in home and 'hreflang="ko"' in home
    response = client.get("/language/ko/", {"next": "/wrapup/"})
    assert response.status_code == 302 and response["Location"] == "/wrapup/"
    assert "오늘의 뉴스 정리" in client.get("/wrapup/").content.decode()
    # The page cache keys on the language: English readers still get English.
    from django.test import Client

    assert "오늘의 뉴스 정리" not in Client().get("/wrapup/").content.decode()


def test_language_switcher_refuses_offsite_next_and_unknown_languages(client):
    response = client.get("/language/ko/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert client.get("/language/xx/").status_code == 404


def test_every_korean_message_is_translated():
    from pathlib import Path

    po = (Path(__file__).parents[1] / "locale" / "ko" / "LC_MESSAGES" / "django.po").read_text()
    entries = [e for e in po.split("\n\n") if "msgid" in e and 'msgid ""\nmsgstr ""\n"' not in e]
    untranslated = [
        e for e in entries if 'msgstr ""' in e or 'msgstr[0] ""' in e or "#, fuzzy" in e
    ]
    assert untranslated == []
    mo = Path(__file__).parents[1] / "locale" / "ko" / "LC_MESSAGES" / "django.mo"
    assert (
        mo.stat().st_mtime >= (mo.with_suffix(".po")).stat().st_mtime - 1
    )  # compiled after the last edit
