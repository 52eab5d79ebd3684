"""parse_opml against the self-describing documents in testdata/opml; render_opml round trips.

The documents' headers are described in casefiles.py. Expectations see `outlines`, `error`
(the ParseError text or None), `opened`, `connections` and `Outline`.
"""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from broadsheet.ingest.opml import Outline, parse_opml, render_opml
from broadsheet.ingest.parse import ParseError
from broadsheet.ingest.tests.casefiles import (
    PLACEHOLDER,
    check_expectations,
    read_case,
    serve_hostile,
    watching,
)

OPML = Path(__file__).parent / "testdata" / "opml"
CASES = sorted(OPML.glob("*.opml"))


@pytest.mark.parametrize("path", CASES, ids=[path.name for path in CASES])
def test_opml_case(
    path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, case = read_case(path)
    publisher = request.getfixturevalue("publisher") if PLACEHOLDER in content else None
    if publisher is not None:
        content = content.replace(PLACEHOLDER, serve_hostile(publisher))

    with watching(monkeypatch) as seen:
        try:
            outlines, error = parse_opml(content), None
        except ParseError as failure:
            outlines, error = [], str(failure)

    check_expectations(
        path.name,
        case.expect,
        {
            "outlines": outlines,
            "error": error,
            "opened": seen.opened,
            "connections": seen.connections,
            "Outline": Outline,
        },
    )
    assert seen.opened == [] and seen.connections == []
    if publisher is not None:
        assert publisher.hits == []


def test_every_case_is_listed() -> None:
    assert len(CASES) >= 10, "testdata/opml lost its cases"


def test_render_round_trips_awkward_text() -> None:
    outlines = [
        Outline(
            "https://a.example/rss?x=1&y=2",
            "Tom & Jerry <b>\"quoted\"</b> 'single'",
            "https://a.example/",
            "World & more",
        ),
        Outline("https://b.example/atom", "한국어 제목", "", "World & more"),
        Outline("https://c.example/feed", "No category"),
        Outline("https://d.example/feed", "Control\x00char\x0b removed", "", "Korea"),
    ]
    document = render_opml(outlines, title="Mine <&>")
    root = ET.fromstring(document)
    assert root.get("version") == "2.0" and root.findtext("head/title") == "Mine <&>"
    body = root.find("body")
    assert body is not None
    assert [folder.get("text") for folder in body if folder.get("xmlUrl") is None] == [
        "World & more",
        "Korea",
    ]
    expected = [
        *outlines[:3],
        Outline("https://d.example/feed", "Controlchar removed", "", "Korea"),
    ]
    assert sorted(parse_opml(document), key=lambda o: o.xml_url) == expected


def test_render_of_nothing_is_valid_opml() -> None:
    assert parse_opml(render_opml([])) == []


def test_outline_without_title_renders_its_url() -> None:
    assert (
        parse_opml(render_opml([Outline("https://x.example/rss")]))[0].title
        == "https://x.example/rss"
    )


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "unclosed"])
def test_deep_nesting_is_bounded(closed: bool) -> None:
    depth = 100_000
    document = (
        b'<opml version="2.0"><body>'
        + b'<outline text="f">' * depth
        + b'<outline text="leaf" xmlUrl="https://deep.example/rss"/>'
        + (b"</outline>" * depth + b"</body></opml>" if closed else b"")
    )
    began = time.perf_counter()
    if closed:
        assert parse_opml(document) == [Outline("https://deep.example/rss", "leaf", "", "f")]
    else:
        with pytest.raises(ParseError, match="^not an OPML document: "):
            parse_opml(document)
    assert time.perf_counter() - began < 15


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xffgarbage", b"<html><body>hi</body></html>"],
    ids=["empty", "garbage", "html"],
)
def test_not_opml(content: bytes) -> None:
    with pytest.raises(ParseError, match="^not an OPML document: "):
        parse_opml(content)


def test_default_opml_is_a_curated_list() -> None:
    outlines = parse_opml(files("broadsheet.ingest").joinpath("data/default.opml").read_bytes())
    assert 25 <= len(outlines) <= 40
    assert {outline.category for outline in outlines} == {
        "Wire",
        "World",
        "Korea",
        "Business",
        "Technology",
    }
    assert all(outline.xml_url.startswith("https://") and outline.title for outline in outlines)
    assert len({outline.xml_url for outline in outlines}) == len(outlines)
