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


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError(f"must be positive: {raw!r}")
    return value


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
    Option("BROADSHEET_EMBED_THREADS", "1", _positive_int, "ONNX Runtime threads per embedding call."),
    Option(
        "BROADSHEET_LLM_URL",
        "",
        str,
        "Optional generative backend: base URL of an OpenAI-compatible server (Ollama, llama.cpp, vLLM); empty keeps everything extractive and offline.",
    ),
    Option("BROADSHEET_LLM_MODEL", "default", str, "Model name sent to the generative backend."),
    Option("BROADSHEET_LLM_API_KEY", "", str, "Bearer token for the generative backend, if it wants one."),
    Option(
        "BROADSHEET_LLM_TIMEOUT", "60", _positive_float, "Total deadline in seconds for one generative-backend call."
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
    # --- images (images/) ---
    # --- search (search/) ---
    # --- accounts (accounts/) ---
    # --- community (community/) ---
    # --- api (api/) ---
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
