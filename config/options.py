"""Every setting Broadsheet reads from the environment, in one documented list.

Each option has a name, a default, a parser and one sentence of documentation. `config.settings`
reads them; `docs/SETTINGS.md` lists them (a test fails when one is missing there).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _bool(raw: str) -> bool:
    if raw.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"must be positive: {raw!r}")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"must be 0 or more: {raw!r}")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError(f"must be positive: {raw!r}")
    return value


def _rate(raw: str) -> tuple[int, int]:
    """_rate reads "N/SECONDS" (N hits per SECONDS) as a (limit, window) pair."""
    count, _, window = raw.partition("/")
    try:
        limit, seconds = int(count), int(window)
    except ValueError:
        raise ValueError(f"not a rate N/SECONDS: {raw!r}") from None
    if limit <= 0 or seconds <= 0:
        raise ValueError(f"rate parts must be positive: {raw!r}")
    return limit, seconds


@dataclass(frozen=True)
class Option:
    name: str
    default: str
    parse: Callable[[str], Any]
    doc: str

    def read(self, environ: os._Environ[str] | dict[str, str] | None = None) -> Any:
        env = os.environ if environ is None else environ
        raw = env.get(self.name, self.default)
        try:
            return self.parse(raw)
        except ValueError as exc:
            raise ValueError(f"setting {self.name}: {exc}") from exc


OPTIONS: tuple[Option, ...] = (
    Option(
        "BROADSHEET_HOME",
        "var",
        str,
        "Directory holding all state (database, secret key, caches, models); relative to the working directory.",
    ),
    Option(
        "DATABASE_URL",
        "",
        str,
        "Empty for the embedded SQLite database under BROADSHEET_HOME, or postgres://user:pass@host:port/name for cluster mode.",
    ),
    Option(
        "SECRET_KEY",
        "",
        str,
        "Django's secret key; empty means one is generated once and kept in BROADSHEET_HOME/secret_key.",
    ),
    Option("DEBUG", "false", _bool, "Django debug mode; never on in production."),
    Option(
        "ALLOWED_HOSTS",
        "127.0.0.1,localhost",
        _list,
        "Host names the web server answers to, comma-separated.",
    ),
    Option("BROADSHEET_TIME_ZONE", "UTC", str, "Time zone used to display times."),
    Option(
        "BROADSHEET_USER_AGENT",
        "Broadsheet/0.1 (+https://github.com/broadsheet-news/broadsheet)",
        str,
        "User-Agent sent with every fetch, identifying us to publishers.",
    ),
    Option(
        "BROADSHEET_FETCH_TIMEOUT",
        "30",
        _positive_float,
        "Total deadline in seconds for one fetch: connect, redirects and the whole body together.",
    ),
    Option(
        "BROADSHEET_FETCH_MAX_BYTES",
        str(15 * 1024 * 1024),
        _positive_int,
        "Cap on the decoded body of one fetch, in bytes (applied after gzip/deflate/br decoding).",
    ),
    Option("BROADSHEET_FETCH_MAX_REDIRECTS", "5", int, "Most redirects followed by one fetch."),
    Option(
        "BROADSHEET_FETCH_ALLOW",
        "",
        _list,
        "SSRF allowlist: comma-separated host:port pairs (IP or name) that may be fetched even though they resolve to loopback/private addresses. Tests name their fixture server here.",
    ),
    Option(
        "BROADSHEET_FETCH_CONCURRENCY",
        "16",
        _positive_int,
        "Most fetches in flight at once in one worker process.",
    ),
    Option(
        "BROADSHEET_PER_HOST_CONCURRENCY",
        "4",
        _positive_int,
        "Most fetches in flight at once to one host in one worker process, and most feeds of one host claimed per scheduler tick.",
    ),
    Option("BROADSHEET_RESPECT_ROBOTS", "true", _bool, "Honour robots.txt for article pages."),
    Option(
        "BROADSHEET_MIN_INTERVAL",
        "300",
        _positive_int,
        "Shortest polling interval for a feed, in seconds.",
    ),
    Option(
        "BROADSHEET_MAX_INTERVAL",
        "86400",
        _positive_int,
        "Longest polling interval for a feed, in seconds.",
    ),
    Option(
        "BROADSHEET_MAX_BACKOFF",
        "86400",
        _positive_int,
        "Cap of the exponential back-off after failures, in seconds.",
    ),
    Option(
        "BROADSHEET_SCHEDULER_TICK", "10", _positive_float, "Seconds between two scheduler passes."
    ),
    Option(
        "BROADSHEET_SCHEDULER_BATCH",
        "500",
        _positive_int,
        "Most feeds enqueued by one scheduler pass.",
    ),
    Option(
        "BROADSHEET_ENTRY_BATCH", "20", _positive_int, "New entries handled by one page-fetch task."
    ),
    Option(
        "BROADSHEET_TASK_STALE_AFTER",
        "900",
        _positive_int,
        "Seconds after which a task still RUNNING is taken as orphaned by a killed worker and re-queued.",
    ),
    Option(
        "BROADSHEET_MAX_ENTRIES_PER_FEED",
        "500",
        _positive_int,
        "Most entries read from one feed document (newest first).",
    ),
    Option(
        "BROADSHEET_ENRICH",
        "true",
        _bool,
        "Queue enrichment (hashtags, stories, copies, summaries, related) for each new article; false leaves new articles unenriched.",
    ),
    Option(
        "BROADSHEET_EMBED_INT8",
        "true",
        _bool,
        "Use the int8-quantised embedding model (faster, cosine >= 0.98 to fp32); false for fp32.",
    ),
    Option(
        "BROADSHEET_EMBED_THREADS", "1", _positive_int, "ONNX Runtime threads per embedding call."
    ),
    Option(
        "BROADSHEET_LLM_URL",
        "",
        str,
        "Optional generative backend: base URL of an OpenAI-compatible server (Ollama, llama.cpp, vLLM); empty keeps everything extractive and offline.",
    ),
    Option("BROADSHEET_LLM_MODEL", "default", str, "Model name sent to the generative backend."),
    Option(
        "BROADSHEET_LLM_API_KEY",
        "",
        str,
        "Bearer token for the generative backend, if it wants one.",
    ),
    Option(
        "BROADSHEET_LLM_TIMEOUT",
        "60",
        _positive_float,
        "Total deadline in seconds for one generative-backend call.",
    ),
    Option(
        "BROADSHEET_PORT",
        "8000",
        _positive_int,
        "Port of the web server that `make run` starts on 127.0.0.1.",
    ),
    Option(
        "WEB_CONCURRENCY", "2", _positive_int, "gunicorn worker processes for `broadsheet serve`."
    ),
    Option(
        "BROADSHEET_WORKERS", "1", _positive_int, "Task worker processes started by `make run`."
    ),
    # --- site (web/) ---
    Option(
        "BROADSHEET_SECURE",
        "false",
        _bool,
        "Production mode behind HTTPS: HSTS (with preload), redirect to https, secure cookies, and X-Forwarded-Proto trusted from the proxy in front.",
    ),
    Option(
        "BROADSHEET_PAGE_CACHE_SECONDS",
        "60",
        _non_negative_int,
        "Seconds a page rendered for a signed-out reader is served again to other signed-out readers (same URL and language); 0 turns the page cache off. Signed-in readers always get a fresh page.",
    ),
    Option(
        "BROADSHEET_PAGE_CACHE_URL",
        "",
        str,
        "Where cached pages live: empty for files under BROADSHEET_HOME/page-cache, shared by this machine's web processes (BROADSHEET_PAGE_CACHE_ENTRIES pages), or redis://host:6379/1 to share them between hosts.",
    ),
    Option(
        "BROADSHEET_PAGE_CACHE_ENTRIES",
        "5000",
        _positive_int,
        "Most pages kept under BROADSHEET_HOME/page-cache when BROADSHEET_PAGE_CACHE_URL is empty (a page is 5-20 KB compressed); a quarter is dropped when full.",
    ),
    # --- images (images/) ---
    Option(
        "BROADSHEET_IMAGE_MAX_BYTES",
        str(12 * 1024 * 1024),
        _positive_int,
        "Cap on one source image fetched by the resizer, in bytes (decoded body).",
    ),
    Option(
        "BROADSHEET_IMAGE_MAX_PIXELS",
        str(40_000_000),
        _positive_int,
        "Largest source image the resizer decodes, in pixels (width × height of one frame), checked from the header before decoding.",
    ),
    Option(
        "BROADSHEET_IMAGE_MAX_FRAMES",
        "1000",
        _positive_int,
        "Most frames an animated source may declare; the resizer keeps only the first frame.",
    ),
    Option(
        "BROADSHEET_IMAGE_TIMEOUT",
        "10",
        _positive_float,
        "Total deadline in seconds for fetching one source image (connect, redirects and body).",
    ),
    Option(
        "BROADSHEET_IMAGE_CONCURRENCY",
        "2",
        _positive_int,
        "Most images resized at once in one web process; requests past it wait briefly, then get 503.",
    ),
    Option(
        "BROADSHEET_IMAGE_THREADS",
        "1",
        _positive_int,
        "libvips worker threads per resize (the web processes already run in parallel).",
    ),
    Option(
        "BROADSHEET_IMAGE_CACHE_MB",
        "1024",
        _positive_int,
        "Size the resized-image cache under BROADSHEET_HOME/img-cache is pruned back to (oldest first), in MiB.",
    ),
    # --- search (search/) ---
    Option(
        "BROADSHEET_SEARCH_TEXT_KB",
        "4",
        _positive_int,
        "Kilobytes (characters, in thousands) of an article's text that full-text search indexes, after its title, byline and source name.",
    ),
    Option(
        "BROADSHEET_SEARCH_CANDIDATES",
        "500",
        _positive_int,
        "Newest matches a relevance-ordered search ranks (bounds the work per query); older matches are reached with sort=new.",
    ),
    # --- accounts (accounts/) ---
    Option(
        "BROADSHEET_CACHE_URL",
        "",
        str,
        "Shared cache for rate limits across processes and hosts: empty for the database cache, or redis://host:6379/0 for Redis.",
    ),
    Option(
        "BROADSHEET_TRUSTED_PROXIES",
        "",
        _list,
        "Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed when they are the peer; empty trusts none.",
    ),
    Option(
        "BROADSHEET_EMAIL_URL",
        "",
        str,
        "Outgoing mail: empty prints mail to the console; smtp://user:password@host:587 sends with STARTTLS, smtps://…:465 with TLS.",
    ),
    Option(
        "BROADSHEET_EMAIL_FROM",
        "Broadsheet <noreply@localhost>",
        str,
        "From address of password-reset and other mail.",
    ),
    Option(
        "BROADSHEET_SIGNUP_RATE",
        "5/3600",
        _rate,
        "Sign-ups allowed per client address, as N/SECONDS.",
    ),
    Option(
        "BROADSHEET_LOGIN_RATE",
        "60/300",
        _rate,
        "Sign-in attempts (right or wrong) allowed per client address, as N/SECONDS.",
    ),
    Option(
        "BROADSHEET_LOGIN_FAILURES_PAIR",
        "5/900",
        _rate,
        "Wrong passwords for one username from one address before that pair must wait, as N/SECONDS.",
    ),
    Option(
        "BROADSHEET_LOGIN_FAILURES_IP",
        "20/900",
        _rate,
        "Wrong passwords from one address across all usernames before the address must wait (credential stuffing), as N/SECONDS.",
    ),
    Option(
        "BROADSHEET_LOGIN_FAILURES_USER",
        "10/900",
        _rate,
        "Wrong passwords for one username from all addresses before each sign-in to it needs a short wait (never a lock-out), as N/SECONDS.",
    ),
    Option(
        "BROADSHEET_LOGIN_BACKOFF_MAX",
        "30",
        _positive_int,
        "Longest wait, in seconds, before a sign-in to an account under attack is checked.",
    ),
    Option(
        "BROADSHEET_PASSWORD_RESET_RATE",
        "5/3600",
        _rate,
        "Password-reset requests allowed per client address, as N/SECONDS.",
    ),
    Option(
        "BROADSHEET_PASSWORD_RESET_RATE_ACCOUNT",
        "3/3600",
        _rate,
        "Password-reset mails allowed per e-mail address asked for, as N/SECONDS.",
    ),
    Option(
        "BROADSHEET_TOTP_RATE",
        "5/300",
        _rate,
        "Wrong two-factor codes allowed per account, as N/SECONDS.",
    ),
    # --- community (community/) ---
    Option(
        "BROADSHEET_COMMENT_MAX_CHARS",
        "5000",
        _positive_int,
        "Longest comment accepted, in characters.",
    ),
    Option(
        "BROADSHEET_COMMENT_EDIT_WINDOW",
        "900",
        _positive_int,
        "Seconds after posting during which an author may edit a comment.",
    ),
    Option(
        "BROADSHEET_COMMENTS_PER_PAGE",
        "30",
        _positive_int,
        "Top-level comments per page under an article (replies come with their parent).",
    ),
    Option(
        "BROADSHEET_COMMENT_PER_MINUTE",
        "5",
        _positive_int,
        "Comments one account may post per minute (429 beyond).",
    ),
    Option(
        "BROADSHEET_COMMENT_PER_HOUR",
        "30",
        _positive_int,
        "Comments one account may post per hour (429 beyond).",
    ),
    Option(
        "BROADSHEET_COMMENT_IP_PER_HOUR",
        "60",
        _positive_int,
        "Comments one client address may post per hour, all accounts together (429 beyond).",
    ),
    Option(
        "BROADSHEET_COMMENT_NEW_ACCOUNT_HOURS",
        "24",
        _positive_int,
        "Accounts younger than this many hours get the new-account limits: fewer posts, and any link holds a comment.",
    ),
    Option(
        "BROADSHEET_COMMENT_NEW_ACCOUNT_PER_HOUR",
        "5",
        _positive_int,
        "Comments a new account may post per hour (429 beyond).",
    ),
    Option(
        "BROADSHEET_COMMENT_MAX_LINKS",
        "2",
        _positive_int,
        "A comment with more links than this is held for moderation.",
    ),
    Option(
        "BROADSHEET_COMMENT_REJECT_LINKS",
        "6",
        _positive_int,
        "A comment with at least this many links is rejected outright.",
    ),
    Option(
        "BROADSHEET_COMMENT_HOLD_SCORE",
        "0.5",
        _positive_float,
        "Abuse probability (alt-profanity-check, 0-1) at or above which a comment is held.",
    ),
    Option(
        "BROADSHEET_COMMENT_DUPLICATE_WINDOW",
        "86400",
        _positive_int,
        "Seconds over which identical (normalised) comment texts count as duplicates.",
    ),
    Option(
        "BROADSHEET_COMMENT_DUPLICATE_USERS",
        "3",
        _positive_int,
        "The same text from this many other accounts within the window is rejected as spam (fewer: held).",
    ),
    Option(
        "BROADSHEET_COMMENT_REPORT_HIDE",
        "3",
        _positive_int,
        "Reports from this many readers hide a comment until a moderator reviews it.",
    ),
    Option(
        "BROADSHEET_REPORT_PER_HOUR",
        "20",
        _positive_int,
        "Reports one account may file per hour (429 beyond).",
    ),
    Option(
        "BROADSHEET_REPORT_IP_PER_HOUR",
        "60",
        _positive_int,
        "Reports one client address may file per hour (429 beyond).",
    ),
    # --- api (api/) ---
    Option(
        "BROADSHEET_API_RATE_TOKEN",
        "600",
        _positive_int,
        "Requests a minute one personal API token may make to /api/v1/ (and the reader APIs per reader).",
    ),
    Option(
        "BROADSHEET_API_RATE_ANON",
        "120",
        _positive_int,
        "Requests a minute one client address may make to /api/v1/ and the feeds without a token.",
    ),
    Option(
        "BROADSHEET_API_MAX_BODY",
        "65536",
        _positive_int,
        "Largest request body, in bytes, that the JSON and reader APIs accept (larger is 413).",
    ),
    Option(
        "BROADSHEET_OPML_MAX_BYTES",
        str(1024 * 1024),
        _positive_int,
        "Largest OPML file, in bytes, that staff may upload for import.",
    ),
    Option(
        "BROADSHEET_FEED_ITEMS",
        "50",
        _positive_int,
        "Items in each RSS, Atom and JSON feed that Broadsheet serves.",
    ),
)


def option(name: str) -> Option:
    """option returns the declared option called name."""
    for opt in OPTIONS:
        if opt.name == name:
            return opt
    raise KeyError(name)


def read_all(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """read_all parses every option from the environment (or the mapping given)."""
    return {opt.name: opt.read(environ) for opt in OPTIONS}


def home_dir(raw: str) -> Path:
    """home_dir turns BROADSHEET_HOME into an absolute path and creates it."""
    path = Path(raw).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
