"""Reads for the resizer: which hosts it may fetch images from."""

from __future__ import annotations

import time

from broadsheet.ingest.models import Source

# Hosts found among the sources' image hosts, with when: finding one means reading every source's
# list, so a positive answer is remembered for a while. Refusals are never remembered, so a host
# that is added works at once; a removed one stops working within MEMO_SECONDS.
MEMO_SECONDS = 300.0
MEMO_SIZE = 10_000
_found: dict[str, float] = {}


def _normal(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _within(host: str, known: str) -> bool:
    return bool(known) and (host == known or host.endswith("." + known))


def image_host_allowed(*, host: str) -> bool:
    """image_host_allowed says whether host is a source's host or image host, or a subdomain of one."""
    host = _normal(host)
    if not host:
        return False
    labels = host.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels))]
    if Source.objects.filter(host__in=candidates).exists():
        return True
    seen = _found.get(host)
    if seen is not None and time.monotonic() - seen < MEMO_SECONDS:
        return True
    # image_hosts is a JSON list, which SQLite cannot search by element: read them all.
    for hosts in Source.objects.values_list("image_hosts", flat=True).iterator():
        if isinstance(hosts, list) and any(
            isinstance(known, str) and _within(host, _normal(known)) for known in hosts
        ):
            if len(_found) >= MEMO_SIZE:
                _found.clear()
            _found[host] = time.monotonic()
            return True
    return False


def image_hosts_forget() -> None:
    """image_hosts_forget drops the remembered image hosts (tests, or after removing a source)."""
    _found.clear()
