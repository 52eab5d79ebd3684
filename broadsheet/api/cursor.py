"""Opaque, signed keyset cursors: the position after the last row of a page.

A cursor is the signed JSON of `[kind, values...]`; the kind stops a stories cursor from being
replayed against articles, the signature stops forged positions, and the length cap refuses
absurd input before any decoding.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core import signing

from broadsheet.api.errors import ApiError

SALT = "broadsheet.api.cursor"
MAX_CHARS = 300


def cursor_encode(kind: str, *values: Any) -> str:
    """cursor_encode signs a position (datetimes as ISO strings) into an opaque token."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return signing.dumps([kind, *plain], salt=SALT, compress=True)


def cursor_decode(kind: str, token: str, *, arity: int) -> list[Any]:
    """cursor_decode returns a cursor's values, or raises a 400 ApiError for anything not ours."""
    if len(token) > MAX_CHARS:
        raise ApiError(400, "cursor too long", code="invalid_cursor")
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        raise ApiError(400, "cursor is not valid", code="invalid_cursor") from None
    if (
        not isinstance(payload, list)
        or len(payload) != arity + 1
        or payload[0] != kind
        or any(isinstance(v, (list, dict)) for v in payload[1:])
    ):
        raise ApiError(400, "cursor is not valid for this list", code="invalid_cursor")
    return payload[1:]


def parse_when(value: Any) -> datetime | None:
    """parse_when reads a cursor's ISO datetime (None stays None)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "cursor is not valid", code="invalid_cursor")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "cursor is not valid", code="invalid_cursor") from None


def parse_int(value: Any) -> int:
    """parse_int reads a cursor's integer position."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ApiError(400, "cursor is not valid", code="invalid_cursor")
    return value
