"""Extraction on small fixture pages (testdata/pages), table-driven from testdata/extract_cases.json."""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from broadsheet.articles.extract import (
    MAX_HTML_CHARS,
    ChallengePage,
    NotAnArticle,
    clean_title,
    decode_html,
    extract_article,
    extract_file,
)

TESTDATA = Path(__file__).parent / "testdata"
PAGES = TESTDATA / "pages"
ERRORS = {"ChallengePage": ChallengePage, "NotAnArticle": NotAnArticle}
FILLER = "<p>" + "The harbour council met again on Tuesday to discuss the barrier. " * 8 + "</p>"


def _rows(name: str) -> list:
    path = TESTDATA / name
    if path.suffix == ".json":
        return [pytest.param(row, id=row["why"]) for row in json.loads(path.read_text("utf8"))]
    return [
        pytest.param(json.loads(line), id=json.loads(line)["why"])
        for line in path.read_text("utf8").splitlines()
    ]


@pytest.mark.parametrize("case", _rows("extract_cases.json"))
def test_extract_page(case: dict) -> None:
    page = (PAGES / case["page"]).read_bytes()
    if "raises" in case:
        with pytest.raises(ERRORS[case["raises"]]):
            extract_article(page, url=case["url"], status=case.get("status", 200))
        return
    got = extract_article(page, url=case["url"], status=case.get("status", 200))
    published = datetime.fromisoformat(case["published"]) if case["published"] else None
    assert (got.title, got.byline, got.published, got.lang, got.lead_image) == (
        case["title"],
        case["byline"],
        published,
        case["lang"],
        case["lead_image"],
    )
    for snippet in case["text_has"]:
        assert snippet in got.text
    for snippet in case.get("text_lacks", []):
        assert snippet not in got.text
    for snippet in case.get("html_has", []):
        assert snippet in got.html
    assert "\n\n" in got.text and "\n\n\n" not in got.text


def test_published_is_aware_utc() -> None:
    got = extract_article(
        (PAGES / "article.html").read_text("utf8"), url="https://gazette.example/a"
    )
    assert got.published is not None and got.published.utcoffset() == timedelta(0)


@pytest.mark.parametrize("case", _rows("decode_cases.jsonl"))
def test_decode_html(case: dict) -> None:
    data = bytes.fromhex(case.get("bom", "")) + case["html"].encode(case["encode_as"])
    assert case["contains"] in decode_html(data)


def test_wrong_charset_bytes_still_extract() -> None:
    page = (PAGES / "og_relative.html").read_text("utf8")  # declares utf-8
    got = extract_article(page.encode("cp1252"), url="https://news.example.org/a")
    assert "more caf\ufffds than car parks" in got.text


def test_bogus_charset_label_does_not_crash() -> None:
    page = (PAGES / "og_relative.html").read_text("utf8").replace("utf-8", "x-klingon")
    assert "more cafés than car parks" in extract_article(page.encode(), url="").text


@pytest.mark.parametrize(
    "page",
    [
        "",
        "   \n",
        "<html><body></body></html>",
        "<html><body><nav><a href='/'>Home</a></nav></body></html>",
    ],
)
def test_empty_pages_are_not_articles(page: str) -> None:
    with pytest.raises(NotAnArticle):
        extract_article(page, url="https://example.com/a")


def test_huge_page_is_refused_quickly() -> None:
    page = "<html><body>" + FILLER * (50_000_000 // len(FILLER)) + "</body></html>"
    assert len(page) > MAX_HTML_CHARS
    start = time.monotonic()
    for given in (page, page.encode()):
        with pytest.raises(NotAnArticle, match="too large"):
            extract_article(given, url="https://example.com/a")
    assert time.monotonic() - start < 2


def test_deep_nesting_is_bounded() -> None:
    page = "<html><body>" + "<div>" * 100_000 + FILLER + "</div>" * 100_000 + "</body></html>"
    start = time.monotonic()
    with pytest.raises(NotAnArticle):  # libxml2 stops 256 levels down, before the text
        extract_article(page, url="https://example.com/a")
    assert time.monotonic() - start < 5


def test_too_many_elements_are_refused_quickly() -> None:
    # <a> does not nest: these are 100k sibling links, which trafilatura needs ~15 s to score.
    page = "<html><body>" + "<a href=x>" * 100_000 + FILLER + "</body></html>"
    start = time.monotonic()
    with pytest.raises(NotAnArticle, match="elements"):
        extract_article(page, url="https://example.com/a")
    assert time.monotonic() - start < 2


def test_moderate_nesting_still_extracts() -> None:
    page = "<html><body>" + "<div>" * 200 + FILLER * 3 + "</div>" * 200 + "</body></html>"
    assert "barrier" in extract_article(page, url="https://example.com/a").text


@pytest.mark.parametrize("suffix", [".html", ".html.gz"])
def test_extract_file(tmp_path: Path, suffix: str) -> None:
    data = (PAGES / "article.html").read_bytes()
    path = tmp_path / f"page{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    got = extract_file(str(path), url="https://gazette.example/news/2024/03/tidal-barrier")
    assert list(got) == [
        "file",
        "url",
        "title",
        "byline",
        "published",
        "lang",
        "lead_image",
        "text",
    ]
    assert got["file"] == str(path) and got["published"] == "2024-03-05T13:30:00+00:00"
    assert got["title"] == "Harbour council approves tidal barrier"
    assert json.loads(json.dumps(got)) == got
    assert extract_file(str(path))["url"] == ""


def _title_rows() -> list:
    rows = []
    for line in (TESTDATA / "title_cases.tsv").read_text("utf8").splitlines():
        if line and not line.startswith("#"):
            title, site, url, expected = line.split("\t")
            rows.append(pytest.param(title, site, url, expected, id=expected))
    return rows


@pytest.mark.parametrize(("title", "site", "url", "expected"), _title_rows())
def test_clean_title(title: str, site: str, url: str, expected: str) -> None:
    assert clean_title(title, site_names=[site], url=url) == expected
