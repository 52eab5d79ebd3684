"""Canonical names for entities written many ways ("US", "U.S.", "America" -> United States).

The table lives in data/aliases.tsv: one canonical name per line, its kind, and its other names.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

ALIASES_FILE = Path(__file__).resolve().parent / "data" / "aliases.tsv"
KINDS = frozenset({"person", "org", "place", "event", "topic"})


def alias_key(name: str) -> str:
    """alias_key is the form names are matched in: case-folded, no dots, no leading "the", no "'s"."""
    key = name.casefold().replace("\u2019", "'").replace(".", " ").replace(",", " ")
    key = re.sub(r"'s$", "", key.strip())
    key = " ".join(key.split())
    key = re.sub(r"^the ", "", key)
    return key.replace(" ", "") if len(key) <= 6 else key  # "u s" and "us" alike


@functools.cache
def _table() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(ALIASES_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] not in KINDS:
            raise ValueError(f"{ALIASES_FILE.name}:{number}: expected name<TAB>kind<TAB>aliases")
        name, kind, others = parts
        for alias in [name, *others.split("|")]:
            if alias.strip():
                table[alias_key(alias)] = (name, kind)
    return table


def canonical(name: str) -> tuple[str, str] | None:
    """canonical returns (canonical name, kind) for a known name, or None."""
    return _table().get(alias_key(name))
