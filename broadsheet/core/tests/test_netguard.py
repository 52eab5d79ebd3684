"""Table tests for the SSRF guard; the tables are TSV files, one case a line, with a note column."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from broadsheet.core import netguard

# The tables sit with the fetch step's testdata, which uses this guard.
TABLES = Path(__file__).parents[2] / "ingest" / "tests" / "testdata" / "fetch" / "netguard"


def table(name: str, columns: int) -> list[pytest.ParameterSet]:
    """table reads a TSV file into pytest cases: "-" is an empty field, a trailing column is a note."""
    cases = []
    for number, line in enumerate((TABLES / name).read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [("" if f == "-" else f) for f in line.split("\t")]
        assert len(fields) in (columns, columns + 1), f"{name}:{number}: {line!r}"
        values = fields[:columns]
        case_id = f"{name}:{number}:" + " ".join(v for v in values[:-1] if v)
        cases.append(pytest.param(*values, id=case_id))
    return cases


def allowlist(entries: str) -> netguard.Allowlist:
    return netguard.Allowlist.parse(e for e in entries.split(",") if e)


@pytest.mark.parametrize(("address", "expect"), table("addresses.tsv", 2))
def test_address_problem(address: str, expect: str) -> None:
    problem = netguard.address_problem(ipaddress.ip_address(address))
    assert problem == (None if expect == "public" else expect)


@pytest.mark.parametrize(("text", "expect"), table("spellings.tsv", 2))
def test_parse_ip(text: str, expect: str) -> None:
    if expect == "invalid":
        with pytest.raises(ValueError):
            netguard.parse_ip(text)
    elif expect == "name":
        assert netguard.parse_ip(text) is None
    else:
        assert netguard.parse_ip(text) == ipaddress.ip_address(expect)


@pytest.mark.parametrize(("scheme", "host", "port", "allow", "expect"), table("targets.tsv", 5))
def test_check_target(scheme: str, host: str, port: str, allow: str, expect: str) -> None:
    problem = netguard.check_target(scheme, host, int(port), allowlist(allow))
    if expect == "ok":
        assert problem is None
    else:
        assert problem is not None and expect in problem


@pytest.mark.parametrize(("host", "port", "addresses", "allow", "expect"), table("resolved.tsv", 5))
def test_check_resolved(host: str, port: str, addresses: str, allow: str, expect: str) -> None:
    problem = netguard.check_resolved(host, int(port), addresses.split(","), allowlist(allow))
    if expect == "ok":
        assert problem is None
    else:
        assert problem is not None and expect in problem


@pytest.mark.parametrize("entry", ["127.0.0.1", "host:", ":80", "host:http", ""])
def test_allowlist_rejects_malformed_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="is not host:port"):
        netguard.Allowlist.parse([entry])


def test_allowlist_matches_any_spelling() -> None:
    allow = netguard.Allowlist.parse(["127.0.0.1:8080", "Feeds.Example.:443", "[::1]:80"])
    assert allow.admits("0x7f.1", 8080)
    assert allow.admits("feeds.example", 443)
    assert allow.admits("[::1]", 80) and allow.admits("::1", 80)
    assert not allow.admits("127.0.0.1", 8081)
    assert not allow.admits("127.0.0.2", 8080)
