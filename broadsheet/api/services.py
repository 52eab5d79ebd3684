"""Writes of the API layer: personal API tokens (stored hashed, shown once)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from broadsheet.accounts.models import ApiToken, User

TOKEN_PREFIX = "bsk_"
MAX_TOKENS_PER_USER = 20
TOUCH_EVERY = timedelta(minutes=1)


class TokenLimitReached(Exception):
    """TokenLimitReached says a reader already holds the most tokens allowed."""


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """api_token_create makes a token for a reader and returns it with its one-time plain text."""
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise TokenLimitReached(f"at most {MAX_TOKENS_PER_USER} tokens per reader")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=" ".join(name.split())[:100] or "token",
        digest=hashlib.sha256(raw.encode()).hexdigest(),
        prefix=raw[:12],
    )
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """api_token_revoke deletes one of a reader's tokens; False when it is not theirs or gone."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def api_token_touch(*, token: ApiToken) -> None:
    """api_token_touch records a token's use, at most once a minute (not a write per request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
