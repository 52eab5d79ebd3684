"""The secret in the URL of a reader's "For you" feed: an HMAC of the user id and password hash.

No column holds it: changing the site password rotates it (every old URL stops working), and
the server's SECRET_KEY signs it, so it cannot be derived from the user id alone.
"""

from __future__ import annotations

from django.utils.crypto import constant_time_compare, salted_hmac

from broadsheet.accounts.models import User

SALT = "broadsheet.api.feeds.foryou"


def _mac(user: User) -> str:
    return salted_hmac(SALT, f"{user.pk}:{user.password}", algorithm="sha256").hexdigest()[:32]


def foryou_key(*, user: User) -> str:
    """foryou_key is the key of a reader's private "For you" feed URL (api:feed kind="foryou")."""
    return f"{user.pk}-{_mac(user)}"


def foryou_user(*, key: str) -> User | None:
    """foryou_user returns the reader a "For you" key belongs to, or None for any other string."""
    user_part, _, mac = key.partition("-")
    if not user_part.isdigit() or len(user_part) > 18 or len(mac) != 32:
        return None
    user = User.objects.filter(pk=int(user_part), is_active=True).first()
    if user is None or not constant_time_compare(_mac(user), mac):
        return None
    return user
