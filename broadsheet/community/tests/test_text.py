"""Comment text: cleaning, normalising, counting links, and rendering (escape, then link)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html

from broadsheet.community.text import (
    comment_clean,
    comment_html,
    links_count,
    text_digest,
    text_normalise,
)

VECTORS = [
    line
    for line in (Path(__file__).parent / "data" / "xss_vectors.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def rendered_elements(fragment: str) -> list[lxml_html.HtmlElement]:
    root = lxml_html.fragment_fromstring(f"<div>{fragment}</div>")
    return list(root.iter())[1:]


def assert_inert(fragment: str) -> None:
    """assert_inert fails when rendered comment HTML holds anything but p, br and safe http(s) links."""
    for element in rendered_elements(fragment):
        assert element.tag in {"p", "br", "a"}, (element.tag, fragment)
        if element.tag == "a":
            assert set(element.attrib) == {"href", "rel"}, fragment
            assert element.get("href", "").lower().startswith(("http://", "https://")), fragment
            assert element.get("rel") == "nofollow ugc noopener"
            assert all(c not in element.get("href", "") for c in "\"'<> "), fragment
        else:
            assert not element.attrib, fragment


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  hello  ", "hello"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("one\n\n\n\n\ntwo", "one\n\ntwo"),
        ("null\x00byte\x07bell", "nullbytebell"),
        ("bidi \u202eevil\u202c text", "bidi evil text"),
        ("zero\u200bwidth", "zerowidth"),
        ("cafe\u0301", "café"),
        ("tab\there", "tab here"),
        ("trailing   \nspace", "trailing\nspace"),
        ("\n\n", ""),
    ],
)
def test_comment_clean(raw: str, clean: str) -> None:
    assert comment_clean(raw) == clean


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Great article!", "great   ARTICLE"),
        ("Buy now at shop", "buy\u200b now at shop!!!"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
    ],
)
def test_normalised_texts_match(a: str, b: str) -> None:
    assert text_normalise(a) == text_normalise(b)
    assert text_digest(a) == text_digest(b)


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no links here, e.g. 3.5 percent", 0),
        ("see https://example.com/a and http://b.example/x", 2),
        ("www.spam.top and cheap.shop and mysite.com/offer", 3),
        ("email me at x@y", 0),
        ("U.S. inflation is 3.2% and the U.K. is not", 0),
    ],
)
def test_links_count(text: str, links: int) -> None:
    assert links_count(text) == links


def test_links_are_made_only_from_http_urls() -> None:
    out = comment_html(
        "read https://example.com/a?b=1&c=2. then javascript:alert(1) or ftp://x.example"
    )
    assert (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">example.com/a?b=1&amp;c=2</a>.'
        in out
    )
    assert out.count("<a ") == 1
    assert "javascript:alert(1)" in out  # as text


def test_link_trailing_punctuation_and_brackets() -> None:
    out = comment_html("(see https://en.wikipedia.org/wiki/Foo_(bar)) and https://x.example/y),")
    assert 'href="https://en.wikipedia.org/wiki/Foo_(bar)"' in out
    assert 'href="https://x.example/y"' in out


def test_paragraphs_and_line_breaks() -> None:
    assert comment_html("one\ntwo\n\nthree") == "<p>one<br>two</p><p>three</p>"


@pytest.mark.parametrize("vector", VECTORS)
def test_xss_vectors_render_inert(vector: str) -> None:
    out = comment_html(comment_clean(vector))
    assert_inert(out)
    assert "<script" not in out.lower()
