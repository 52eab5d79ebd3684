"""The `broadsheet` command as an operator uses it."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from broadsheet.articles.models import Article
from broadsheet.articles.tests.pages import article_html
from broadsheet.ingest.models import Feed

BIN = Path(sys.executable).parent


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_unknown_command_is_refused():
    proc = subprocess.run([str(BIN / "broadsheet"), "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown command" in proc.stderr


def test_extract_prints_one_json_line_per_file(tmp_path):
    plain = tmp_path / "a.html"
    plain.write_text(article_html("First headline", 1))
    zipped = tmp_path / "b.html.gz"
    zipped.write_bytes(gzip.compress(article_html("Second headline", 2).encode()))
    proc = subprocess.run(
        [
            str(BIN / "broadsheet"),
            "extract",
            "--url",
            "https://news.example/a",
            str(plain),
            str(zipped),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["title"] for line in lines] == ["First headline", "Second headline"]
    assert set(lines[0]) == {
        "file",
        "url",
        "title",
        "byline",
        "published",
        "lang",
        "lead_image",
        "text",
    }
    assert lines[0]["lead_image"] == "https://news.example/img/1.jpg"
    assert "Story 1 paragraph 3" in lines[0]["text"]


@pytest.mark.django_db
def test_add_feed_feeds_and_opml_round_trip(tmp_path):
    assert "added" in run("add_feed", "https://news.example/rss.xml")
    assert "already subscribed" in run("add_feed", "https://news.example/rss.xml")
    table = run("feeds")
    assert "news.example/rss.xml" in table
    exported = run("export_opml")
    assert "https://news.example/rss.xml" in exported
    Feed.objects.all().delete()
    path = tmp_path / "subs.opml"
    path.write_text(exported)
    assert "1 feeds added" in run("import_opml", str(path))


@pytest.mark.django_db
def test_setup_loads_the_default_feeds():
    run("setup")
    assert Feed.objects.count() >= 25
    assert Feed.objects.filter(host__contains="koreaherald").exists()


@pytest.mark.django_db
def test_import_warc_stores_html_responses_once(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as raw:
        writer = WARCWriter(raw, gzip=True)
        pages = [
            ("https://news.example/a", article_html("Archived one", 1), "text/html; charset=utf-8"),
            ("https://news.example/a?utm_source=x", article_html("Archived one", 1), "text/html"),
            ("https://news.example/b", article_html("Archived two", 2), "text/html"),
            ("https://news.example/logo.png", "PNG", "image/png"),
        ]
        for url, body, ctype in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body.encode()), http_headers=headers
                )
            )
    out = run("import_warc", str(path))
    assert "3 pages read: 2 stored, 1 already known" in out
    assert sorted(Article.objects.values_list("title", flat=True)) == [
        "Archived one",
        "Archived two",
    ]
