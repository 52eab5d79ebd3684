"""Exact duplicate checks done before any page fetch: canonical URLs and entry keys. (INTERFACE STUB)"""

from __future__ import annotations


def canonical_url(url: str) -> str:
    """canonical_url normalises a URL (scheme/host case, tracking parameters, fragments) for dedupe."""
    raise NotImplementedError


def content_hash(text: str) -> str:
    """content_hash is the sha256 hex of whitespace-normalised text."""
    raise NotImplementedError
