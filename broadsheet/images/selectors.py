"""Reads for the resizer: which hosts it may fetch images from."""

from __future__ import annotations

from broadsheet.ingest.models import Source


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
    # image_hosts is a JSON list, which SQLite cannot search by element: read them all (only on a
    # cache miss, and there are at most a few per source).
    for hosts in Source.objects.values_list("image_hosts", flat=True).iterator():
        if isinstance(hosts, list) and any(
            isinstance(known, str) and _within(host, _normal(known)) for known in hosts
        ):
            return True
    return False
