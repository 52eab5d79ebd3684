"""The normaliser, table-driven from testdata/tokenize.tsv."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadsheet.search.tokenize import MAX_QUERY_PHRASES, Phrase, parse_query, tokens

CASES = [
    line.split("\t")
    for line in (Path(__file__).parent / "testdata" / "tokenize.tsv").read_text().splitlines()
    if line and not line.startswith("#")
]


def _decode(raw: str) -> str:
    return raw.replace("\\x00", "\x00")


def _phrase_text(phrase: Phrase) -> str:
    return " ".join(phrase.tokens) + ("*" if phrase.prefix else "")


@pytest.mark.parametrize(("kind", "raw", "expected"), CASES, ids=[c[1][:30] for c in CASES])
def test_table(kind: str, raw: str, expected: str) -> None:
    if kind == "doc":
        assert tokens(_decode(raw)) == expected.split()
    else:
        query = parse_query(_decode(raw))
        got = [f"+{_phrase_text(p)}" for p in query.include] + [
            f"-{_phrase_text(p)}" for p in query.exclude
        ]
        want = [part.strip() for part in expected.split("|") if part.strip()]
        assert sorted(got) == sorted(want)


def test_query_is_bounded() -> None:
    query = parse_query(" ".join(f"word{i}" for i in range(5000)) + "\x00" * 1000)
    assert len(query.include) + len(query.exclude) == MAX_QUERY_PHRASES
    long_phrase = parse_query('"' + "가" * 10_000 + '"')
    assert 0 < len(long_phrase.include[0].tokens) <= 16


def test_korean_particles_share_the_noun_bigram() -> None:
    noun = parse_query("북한").include[0].tokens
    for inflected in ("북한은", "북한이", "북한의", "북한에서"):
        assert set(noun) <= set(tokens(inflected))
