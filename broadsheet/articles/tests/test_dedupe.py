"""Table tests for canonical_url and content_hash; the tables live in testdata/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from broadsheet.articles.dedupe import canonical_url, content_hash

TESTDATA = Path(__file__).parent / "testdata"


def _url_rows() -> list:
    rows = []
    for line in (TESTDATA / "canonical_urls.tsv").read_text("utf8").splitlines():
        if line.strip() and not line.startswith("#"):
            given, expected, why = line.split("\t")
            rows.append(pytest.param(given, expected, id=why))
    return rows


def _hash_rows() -> list:
    lines = (TESTDATA / "content_hash.jsonl").read_text("utf8").splitlines()
    return [pytest.param(row, id=row["why"]) for row in map(json.loads, lines)]


@pytest.mark.parametrize(("given", "expected"), _url_rows())
def test_canonical_url(given: str, expected: str) -> None:
    assert canonical_url(given) == expected


@pytest.mark.parametrize(("given", "expected"), _url_rows())
def test_canonical_url_is_idempotent(given: str, expected: str) -> None:
    assert canonical_url(canonical_url(given)) == canonical_url(given)


@pytest.mark.parametrize("row", _hash_rows())
def test_content_hash(row: dict) -> None:
    assert (content_hash(row["a"]) == content_hash(row["b"])) is row["same"]


def test_content_hash_is_sha256_hex() -> None:
    # sha256("the council met")
    assert content_hash("  The council\nMET ") == (
        "29c6af8d941b4d3332b1c861dbe49c75b04f59081cfe3378cacf10847cec3df5"
    )
