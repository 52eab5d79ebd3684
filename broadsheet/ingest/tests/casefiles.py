"""Self-describing test documents, in the style of feedparser's test suite, and the spies they need.

Each XML, HTML or OPML case starts with a comment:

    <!--
    Description: what the case shows
    Content-Type: application/rss+xml      (optional; the HTTP header the document came with)
    URL: https://example.com/feed.xml      (optional; the feed URL)
    Expect: <Python expression>            (one or more; each must be true)
    -->

A JSON Feed case keeps the same fields in a "_broadsheet_test" object, JSON Feed's own
extension mechanism. `{PUBLISHER}` in a document stands for the loopback fixture server.
"""

from __future__ import annotations

import builtins
import codecs
import io
import json
import re
import site
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from broadsheet.core.testing import FixtureServer

DEFAULT_URL = "https://example.com/feed.xml"
SECRET = b"root:x:0:0:secret-from-the-publisher"
PLACEHOLDER = b"{PUBLISHER}"
_LIBRARY_PREFIXES = tuple({sys.prefix, sys.base_prefix, *site.getsitepackages()})
_HEADER = re.compile(r"<!--(.*?)-->", re.DOTALL)


@dataclass
class Case:
    description: str = ""
    url: str = DEFAULT_URL
    content_type: str = ""
    expect: list[str] = field(default_factory=list)


def read_case(path: Path) -> tuple[bytes, Case]:
    """read_case returns a testdata document and the expectations written in its header."""
    content = path.read_bytes()
    if path.suffix == ".json":
        header = json.loads(content)["_broadsheet_test"]
        return content, Case(
            header.get("description", ""),
            header.get("url", DEFAULT_URL),
            header.get("content_type", ""),
            header["expect"],
        )
    utf16 = content[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    match = _HEADER.search(content.decode("utf-16" if utf16 else "utf-8", "replace")[:4096])
    assert match, f"{path.name} has no <!-- Description/Expect --> header"
    case = Case()
    for line in match.group(1).splitlines():
        name, _, value = line.strip().partition(":")
        value = value.strip()
        if name == "Description":
            case.description = value
        elif name == "URL":
            case.url = value
        elif name == "Content-Type":
            case.content_type = value
        elif name == "Expect":
            case.expect.append(value)
    assert case.description and case.expect, f"{path.name}: Description and Expect are required"
    return content, case


def check_expectations(name: str, expectations: list[str], names: dict[str, Any]) -> None:
    """check_expectations evaluates each Expect line against names and fails with the line."""
    for expect in expectations:
        shown = {key: value for key, value in names.items() if not callable(value)}
        assert eval(expect, {}, names), f"{name}: {expect}\n  {shown!r}"


def serve_hostile(publisher: FixtureServer) -> bytes:
    """serve_hostile publishes a secret and a DTD reaching for it, and returns the netloc to substitute."""
    netloc = publisher.netloc.encode()
    publisher.add("/secret", SECRET, content_type="text/plain")
    dtd = b'<!ENTITY % secret SYSTEM "http://' + netloc + b'/secret">'
    publisher.add("/evil.dtd", dtd, content_type="application/xml-dtd")
    return netloc


@dataclass
class Watch:
    opened: list[str] = field(default_factory=list)
    connections: list[object] = field(default_factory=list)


@contextmanager
def watching(monkeypatch: pytest.MonkeyPatch) -> Iterator[Watch]:
    """watching records files opened and sockets connected; connections are refused."""
    seen = Watch()
    real_open = builtins.open

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        # Libraries may read their own data files (chardet's models); nothing else may be read.
        if not str(file).startswith(_LIBRARY_PREFIXES):
            seen.opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_connect(self: socket.socket, address: object) -> None:
        seen.connections.append(address)
        raise ConnectionRefusedError("tests: parsing must not connect anywhere")

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", spy_open)
        patch.setattr(io, "open", spy_open)
        patch.setattr(socket.socket, "connect", spy_connect)
        patch.setattr(socket.socket, "connect_ex", spy_connect)
        yield seen
