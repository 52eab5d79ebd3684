"""Who is calling the Google Reader and Fever APIs: the reader-app password, never the site's.

Google Reader's `Auth` token and its edit token `T` are HMACs of the user id and the stored
password hash (no table of sessions: setting a new reader password signs every app out).
Fever sends md5("username:password"), which is what `ReaderApiPassword.fever_key` holds.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db.models import Q
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from broadsheet.accounts.models import ReaderApiPassword, User
from broadsheet.core.ratelimit import RateLimited, client_ip, ip_bucket, ratelimit_hit

LOGIN_FAILURES_PER_MINUTE = 10
_FEVER_KEY = re.compile(r"^[0-9a-fA-F]{32}$")


def _mac(purpose: str, user_id: int, password_hash: str) -> str:
    return salted_hmac(
        f"broadsheet.api.reader.{purpose}", f"{user_id}:{password_hash}", algorithm="sha256"
    ).hexdigest()[:40]


def reader_login(*, request: HttpRequest, username: str, password: str) -> User | None:
    """reader_login checks a user name (or e-mail) and reader-app password; failures are rate-limited per address."""
    key = f"reader-login:{ip_bucket(client_ip(request))}"
    if not username or not password or len(username) > 254 or len(password) > 1024:
        _count_failure(key)
        return None
    row = (
        ReaderApiPassword.objects.select_related("user")
        .filter(Q(user__username=username) | Q(user__email__iexact=username), user__is_active=True)
        .first()
    )
    if row is None or not check_password(password, row.password):
        _count_failure(key)
        return None
    return row.user


def _count_failure(key: str) -> None:
    wait = ratelimit_hit(key=key, limit=LOGIN_FAILURES_PER_MINUTE, window=60)
    if wait is not None:
        raise RateLimited(wait)


def greader_auth_token(*, user: User) -> str:
    """greader_auth_token is the `Auth=` value ClientLogin hands out for a reader."""
    row = ReaderApiPassword.objects.get(user=user)
    return f"{user.pk}/{_mac('auth', user.pk, row.password)}"


def greader_edit_token(*, user: User) -> str:
    """greader_edit_token is the `T` token that /reader/api/0/token hands out."""
    row = ReaderApiPassword.objects.get(user=user)
    return _mac("edit", user.pk, row.password)


def greader_user(*, request: HttpRequest) -> User | None:
    """greader_user returns the reader named by an `Authorization: GoogleLogin auth=…` header."""
    header = request.headers.get("Authorization", "")
    scheme, _, rest = header.strip().partition(" ")
    if scheme != "GoogleLogin" or not rest.startswith("auth="):
        return None
    user_part, _, mac = rest[len("auth=") :].strip().partition("/")
    if not user_part.isdigit() or len(user_part) > 18 or len(mac) != 40:
        return None
    row = ReaderApiPassword.objects.select_related("user").filter(user_id=int(user_part)).first()
    if row is None or not row.user.is_active:
        return None
    if not constant_time_compare(_mac("auth", row.user.pk, row.password), mac):
        return None
    return row.user


def greader_edit_token_ok(*, user: User, token: str) -> bool:
    """greader_edit_token_ok checks a posted `T`."""
    return constant_time_compare(greader_edit_token(user=user), token)


def fever_user(*, api_key: str) -> User | None:
    """fever_user returns the reader whose md5("username:password") is api_key."""
    if not _FEVER_KEY.match(api_key or ""):
        return None
    row = ReaderApiPassword.objects.select_related("user").filter(fever_key=api_key.lower()).first()
    if row is None or not row.user.is_active:
        return None
    return row.user


def reader_rate_limit(*, user: User) -> None:
    """reader_rate_limit counts a reader-API request against the reader's per-minute limit."""
    wait = ratelimit_hit(
        key=f"reader:{user.pk}", limit=settings.BROADSHEET["BROADSHEET_API_RATE_TOKEN"], window=60
    )
    if wait is not None:
        raise RateLimited(wait)
