"""The fetch step's data: what is asked, what came back, how it failed, and the limits in force."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from broadsheet.core.netguard import Allowlist


class FetchError(Exception):
    """A fetch that failed, with a short machine `kind` and a human message."""

    # kinds: refused (SSRF/scheme/allowlist), timeout, too_large, too_many_redirects, http_status,
    # network, robots, decoding
    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ):
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
    # Header names are lower-case; a repeated header's values are joined with ", ".
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False
    retry_after: float | None = None
    elapsed: float = 0.0
    error: FetchError | None = None

    @property
    def ok(self) -> bool:
        """ok says whether the fetch succeeded (a 304 counts as success)."""
        return self.error is None


@dataclass
class FetchRequest:
    """FetchRequest is one URL to fetch, with its conditional-GET validators."""

    url: str
    etag: str = ""
    last_modified: str = ""
    robots: bool = False  # True for article pages: robots.txt is checked first
    accept: str = "*/*"


@dataclass(frozen=True)
class Limits:
    """Limits are the fetch settings, read once per call so tests and operators can change them."""

    user_agent: str
    timeout: float
    max_bytes: int
    max_redirects: int
    allow: Allowlist
    concurrency: int
    per_host: int
    respect_robots: bool

    @classmethod
    def from_settings(cls) -> Limits:
        """from_settings reads the BROADSHEET_FETCH_* settings as they are now."""
        conf = settings.BROADSHEET
        try:
            allow = Allowlist.parse(conf["BROADSHEET_FETCH_ALLOW"])
        except ValueError as exc:
            raise ImproperlyConfigured(f"BROADSHEET_FETCH_ALLOW: {exc}") from exc
        return cls(
            user_agent=conf["BROADSHEET_USER_AGENT"],
            timeout=float(conf["BROADSHEET_FETCH_TIMEOUT"]),
            max_bytes=int(conf["BROADSHEET_FETCH_MAX_BYTES"]),
            max_redirects=int(conf["BROADSHEET_FETCH_MAX_REDIRECTS"]),
            allow=allow,
            concurrency=int(conf["BROADSHEET_FETCH_CONCURRENCY"]),
            per_host=int(conf["BROADSHEET_PER_HOST_CONCURRENCY"]),
            respect_robots=bool(conf["BROADSHEET_RESPECT_ROBOTS"]),
        )


def human_size(size: int) -> str:
    """human_size writes a byte count the way operators set it ("15 MiB", "512 KiB", "100 bytes")."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            amount = size / scale
            return f"{amount:g} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{size} bytes"
