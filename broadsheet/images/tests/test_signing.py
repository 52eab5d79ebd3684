"""Signed resizer URLs: the round trip, every kind of tampering, and what templates get."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.template import Context, Template

from broadsheet.images.signing import (
    ALLOWED_WIDTHS,
    DEFAULT_QUALITY,
    WIDTHS,
    image_srcset,
    image_url,
    signature,
    signature_valid,
)

pytestmark = pytest.mark.urls("broadsheet.images.tests.urls")

SRC = "https://img.example.org/2026/photo one.jpg?size=large&x=ä#frag"


def params(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert parts.path == "/img/"
    query = parse_qs(parts.query, keep_blank_values=True)
    return {name: values[0] for name, values in query.items()}


def test_round_trip_keeps_odd_characters():
    got = params(image_url(SRC, 640))
    assert got["url"] == SRC
    assert (got["w"], got["q"]) == ("640", str(DEFAULT_QUALITY))
    assert signature_valid(got["url"], int(got["w"]), int(got["q"]), got["s"])
    assert len(got["s"]) == 22 and "=" not in got["s"] and "+" not in got["s"]


def test_signature_depends_on_secret(settings):
    before = signature(SRC, 640, 75)
    settings.SECRET_KEY = "another secret"
    assert signature(SRC, 640, 75) != before


def _flip(text: str) -> str:
    return ("B" if text[0] == "A" else "A") + text[1:]


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("url", lambda v: v + "x"),
        ("url", lambda v: v.replace("https", "http", 1)),
        ("url", lambda v: v.upper()),
        ("w", lambda v: "320"),
        ("q", lambda v: "90"),
        ("s", _flip),
        ("s", lambda v: v[:-1]),
        ("s", lambda v: v + "A"),
        ("s", lambda v: v + "=="),
        ("s", lambda v: ""),
        ("s", lambda v: signature("https://other.example/x.jpg", 640, 75)),
        ("s", lambda v: "é" * 22),
    ],
)
def test_tampering_is_refused(field, change):
    got = params(image_url(SRC, 640))
    got[field] = change(got[field])
    assert not signature_valid(got["url"], int(got["w"]), int(got["q"]), got["s"])


@pytest.mark.parametrize(
    "src",
    [
        "",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "file:///etc/passwd",
        "ftp://example.org/a.jpg",
        "//example.org/a.jpg",
        "/relative/a.jpg",
        "http://",
        "https://example.org/a\njpg",
        "https://" + "a" * 3000 + ".org/",
        "http://[::1/",
    ],
)
def test_nothing_to_sign(src):
    assert image_url(src, 640) == ""
    assert image_srcset(src) == ""


def test_widths_and_qualities_snap_to_allowed_sets():
    assert params(image_url(SRC, 600))["w"] == "640"
    assert params(image_url(SRC, 5000))["w"] == str(ALLOWED_WIDTHS[-1])
    assert params(image_url(SRC, 640, quality=88))["q"] == "90"


def test_srcset_lists_every_width():
    srcset = image_srcset(SRC)
    entries = [entry.rsplit(" ", 1) for entry in srcset.split(", ")]
    assert [int(w.removesuffix("w")) for _, w in entries] == list(WIDTHS)
    for url, w in entries:
        assert params(url)["w"] == w.removesuffix("w")


def test_template_tags():
    html = Template("{% load images %}<img src='{% img_src u 320 %}' srcset='{% img_srcset u %}'>")
    out = html.render(Context({"u": "https://example.org/a&b.jpg"}))
    assert "/img/?url=https%3A%2F%2Fexample.org%2Fa%26b.jpg&amp;w=320" in out
    assert Template("{% load images %}[{% img_src u %}]").render(Context({"u": None})) == "[]"


def test_signature_is_the_salted_hmac_it_always_was():
    # Signed URLs live in cached pages and in readers' browsers: the key derivation must not move.
    import base64

    from django.utils.crypto import salted_hmac

    message = f"640:75:{SRC}"
    digest = salted_hmac("broadsheet.images.signing.v1", message, algorithm="sha256").digest()
    assert signature(SRC, 640, 75) == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_srcset_entries_are_the_single_urls():
    entries = [entry.rsplit(" ", 1) for entry in image_srcset(SRC).split(", ")]
    assert [(url, size) for url, size in entries] == [(image_url(SRC, w), f"{w}w") for w in WIDTHS]
