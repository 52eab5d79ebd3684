"""The only HTTP code: guarded, bounded fetches of feeds, pages and robots.txt. (INTERFACE STUB)"""

from __future__ import annotations

from dataclasses import dataclass, field


class FetchError(Exception):
    """A fetch that failed, with a short machine `kind` and a human message."""

    # kinds: refused (SSRF/scheme/allowlist), timeout, too_large, too_many_redirects, http_status,
    # network, robots, decoding
    def __init__(self, kind: str, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after


@dataclass
class FetchResult:
    """What a fetch returned. `error` is set instead of raising, so batches keep going."""

    url: str
    final_url: str = ""
    status: int | None = None
    content: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False
    retry_after: float | None = None
    elapsed: float = 0.0
    error: FetchError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class FetchRequest:
    url: str
    etag: str = ""
    last_modified: str = ""
    robots: bool = False  # True for article pages: robots.txt is checked first
    accept: str = "*/*"


def fetch(url: str, *, etag: str = "", last_modified: str = "", robots: bool = False, accept: str = "*/*") -> FetchResult:
    """fetch GETs one URL under every guard and returns its result (never raises FetchError)."""
    raise NotImplementedError


def fetch_many(requests: list[FetchRequest]) -> list[FetchResult]:
    """fetch_many runs requests concurrently (global and per-host limits) and returns results in order."""
    raise NotImplementedError
