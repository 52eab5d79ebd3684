"""Exact duplicate checks done before any page fetch: canonical URLs and entry keys."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# Query parameters that only say how a reader arrived, never which page it is.
TRACKING_PARAMS = {
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
    "__hstc", "__hssc", "__hsfp", "hsctatracking", "mkt_tok", "vero_id", "vero_conv", "oly_anon_id",
    "oly_enc_id", "wickedid", "rb_clickid", "s_cid", "ncid", "cmpid", "smid", "smtyp",
    "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
    "ref_src", "ref_url", "__twitter_impression", "guccounter", "guce_referrer", "guce_referrer_sig",
}  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")  # Google Analytics, Piwik, Matomo campaigns
# `ref` names a branch or a page on some sites (GitHub ?ref=main), so it goes only when its value
# is one of the referral tags feeds and aggregators add.
REFERRAL_TAGS = {
    "rss", "feed", "feedly", "hn", "hackernews", "reddit", "twitter", "facebook", "producthunt",
    "newsletter", "email", "share", "social", "homepage", "lobsters", "inoreader", "mastodon",
}  # fmt: skip
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """canonical_url normalises a URL (scheme/host case, tracking parameters, fragments) for dedupe."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return urlunsplit((scheme, "", parts.path, _query(parts.query), ""))
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # IPv6
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{userinfo}@" if userinfo else "") + host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = _normalise_escapes(_remove_dot_segments(parts.path)) or "/"
    return urlunsplit((scheme, netloc, path, _query(parts.query), ""))


def _query(query: str) -> str:
    """Drop tracking parameters and empty pieces; sort the rest, each kept as it was spelt."""
    kept = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if not _is_tracking(unquote_plus(name).lower(), unquote_plus(value).lower()):
            kept.append((unquote_plus(name), unquote_plus(value), _normalise_escapes(piece)))
    return "&".join(spelt for _, _, spelt in sorted(kept))


def _is_tracking(name: str, value: str) -> bool:
    if name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES):
        return True
    return name == "ref" and value in REFERRAL_TAGS


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for the absolute paths of URLs with a host."""
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
        if segment in {".", ".."} and i == len(segments) - 1:
            out.append("")  # "/a/b/.." ends in a directory: keep its trailing slash
    return "/".join(out) if out != [""] else "/"


_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def _normalise_escapes(text: str) -> str:
    """Upper-case percent escapes (%2f -> %2F) so equal URLs spell the same."""
    return _ESCAPE.sub(lambda m: m.group(0).upper(), text)


def content_hash(text: str) -> str:
    """content_hash is the sha256 hex of whitespace-normalised, NFC-normalised, case-folded text."""
    normal = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()
