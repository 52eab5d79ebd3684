"""Throttling of sign-in, built so that an attacker cannot use it to lock a reader out.

Four counters, each in the shared cache (`broadsheet.core.ratelimit`), each a sliding window:

1. **Attempts per address** (`BROADSHEET_LOGIN_RATE`, right or wrong): a flood from one address
   gets 429 before any password is hashed. Bounds the CPU one address can spend on Argon2.
2. **Wrong passwords per (username, address)** (`BROADSHEET_LOGIN_FAILURES_PAIR`): guessing one
   account from one address stops after a few tries. Only that pair waits: the owner, coming
   from any other address, is untouched.
3. **Wrong passwords per address across usernames** (`BROADSHEET_LOGIN_FAILURES_IP`): credential
   stuffing (one password per account over many accounts) stops the address, not the accounts.
4. **Wrong passwords per username from all addresses** (`BROADSHEET_LOGIN_FAILURES_USER`): a
   guessing attack spread over many addresses. This one never refuses: past the threshold, a
   sign-in to that account is only *checked* after a wait, which doubles with each further
   failure up to `BROADSHEET_LOGIN_BACKOFF_MAX` seconds. The wait is a signed ticket (username,
   wait, issue time, nonce) handed back with the form; it matures after the wait and is spent
   once. So no worker sleeps, each guess costs the attacker the wait (tickets are fetched
   through counter 1, so an address cannot stockpile them), and the real owner, from any
   address, signs in after at most the capped wait. A hard per-account lock would let anyone
   shut any reader out by typing wrong passwords; this design has no such lock.

Refused attempts (429 or waiting) do not count as wrong passwords, and the password is not
checked for them, so they tell the attacker nothing. A successful sign-in clears its pair's
counter (2) only: clearing (3) or (4) would let an attacker reset them with an account of its own.
Usernames are folded to lower case for the keys, so case variants share counters.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from broadsheet.core.ratelimit import (
    RateLimited,
    ratelimit_check,
    ratelimit_count,
    ratelimit_hit,
    ratelimit_reset,
)

_TICKET_SALT = "broadsheet.accounts.signin-wait"
# A matured ticket stays good this long, so a slow typist is not sent round again.
_TICKET_GRACE = 600
# Counter 4 only measures; its hits must never be refused, so its limit is out of reach.
_UNBOUNDED = 10**9


def _opt(name: str) -> tuple[int, int]:
    limit, window = settings.BROADSHEET[name]
    return int(limit), int(window)


def _user_key(username: str) -> str:
    return username.strip().lower()[:150]


@dataclass(frozen=True)
class Gate:
    """Gate is the answer before checking a password: go ahead, or wait `wait` seconds with `ticket`."""

    wait: int = 0
    ticket: str = ""

    @property
    def open(self) -> bool:
        return self.wait == 0


def signin_gate(*, username: str, ip: str, ticket: str = "") -> Gate:
    """signin_gate counts one attempt and says whether this username's password may be checked now.

    Raises RateLimited for counters 1–3; returns a closed Gate (with a fresh ticket) while the
    account is in back-off and no matured ticket came with the attempt.
    """
    limit, window = _opt("BROADSHEET_LOGIN_RATE")
    wait = ratelimit_hit(key=f"signin:ip:{ip}", limit=limit, window=window)
    if wait is not None:
        raise RateLimited(wait)
    user = _user_key(username)
    limit, window = _opt("BROADSHEET_LOGIN_FAILURES_PAIR")
    wait = ratelimit_check(key=f"signin:fail:pair:{user}:{ip}", limit=limit, window=window)
    if wait is not None:
        raise RateLimited(wait)
    limit, window = _opt("BROADSHEET_LOGIN_FAILURES_IP")
    wait = ratelimit_check(key=f"signin:fail:ip:{ip}", limit=limit, window=window)
    if wait is not None:
        raise RateLimited(wait)
    needed = backoff_seconds(username=username)
    if needed == 0 or _ticket_spend(ticket=ticket, username=user):
        return Gate()
    return Gate(wait=needed, ticket=_ticket_issue(username=user, wait=needed))


def backoff_seconds(*, username: str) -> int:
    """backoff_seconds is the wait before this account's next password check (0 when not under attack)."""
    limit, window = _opt("BROADSHEET_LOGIN_FAILURES_USER")
    failures = ratelimit_count(key=f"signin:fail:user:{_user_key(username)}", window=window)
    if failures < limit:
        return 0
    cap = int(settings.BROADSHEET["BROADSHEET_LOGIN_BACKOFF_MAX"])
    return int(min(cap, 2 ** min(int(failures - limit) + 1, 30)))


def signin_failed(*, username: str, ip: str) -> None:
    """signin_failed records a wrong password for (username, ip) on counters 2, 3 and 4."""
    user = _user_key(username)
    for name, key in (
        ("BROADSHEET_LOGIN_FAILURES_PAIR", f"signin:fail:pair:{user}:{ip}"),
        ("BROADSHEET_LOGIN_FAILURES_IP", f"signin:fail:ip:{ip}"),
    ):
        limit, window = _opt(name)
        ratelimit_hit(key=key, limit=limit, window=window)
    _, window = _opt("BROADSHEET_LOGIN_FAILURES_USER")
    ratelimit_hit(key=f"signin:fail:user:{user}", limit=_UNBOUNDED, window=window)


def signin_succeeded(*, username: str, ip: str) -> None:
    """signin_succeeded clears the (username, ip) failure counter after a right password."""
    _, window = _opt("BROADSHEET_LOGIN_FAILURES_PAIR")
    ratelimit_reset(key=f"signin:fail:pair:{_user_key(username)}:{ip}", window=window)


def _now() -> float:
    return time.time()


def _ticket_issue(*, username: str, wait: int) -> str:
    payload = {"u": username, "w": wait, "t": int(_now()), "n": secrets.token_urlsafe(12)}
    return signing.dumps(payload, salt=_TICKET_SALT, compress=False)


def _ticket_spend(*, ticket: str, username: str) -> bool:
    """_ticket_spend accepts a ticket for username whose wait has passed, once."""
    if not ticket or len(ticket) > 512:
        return False
    try:
        payload = signing.loads(ticket, salt=_TICKET_SALT)
        age = _now() - int(payload["t"])
        wait = int(payload["w"])
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return False
    if payload.get("u") != username or not (wait <= age <= wait + _TICKET_GRACE):
        return False
    return bool(cache.add(f"signin:ticket:{payload['n']}", 1, timeout=wait + _TICKET_GRACE + 60))
