"""The optional generative backend: an OpenAI-compatible chat-completions server the operator runs.

Off unless BROADSHEET_LLM_URL is set. Every reply is cached (by sha256 of model and prompt) and
must pass `guard` before anyone shows it; callers fall back to their extractive answer when the
server is off, fails, is slow, or says something that does not pass.

Settings (in settings.BROADSHEET):
  BROADSHEET_LLM_URL      base URL such as http://127.0.0.1:8080/v1 (".../chat/completions" is
                          added unless the URL already ends with it); empty turns the backend off
  BROADSHEET_LLM_MODEL    model name sent with each request (default "default")
  BROADSHEET_LLM_API_KEY  bearer token, when the server wants one (default none)
  BROADSHEET_LLM_TIMEOUT  seconds one request may take in all (default 60)
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import httpx

MAX_REPLY_BYTES = 256 * 1024
CACHE_ENTRIES = 1024

_CITATION = re.compile(r"\[(\d{1,3})\]")
# Markup of any kind, spelled out or escaped: a reply containing it is refused, not cleaned.
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|&(?:lt|gt|#\d+|#x[0-9a-fA-F]+);|javascript:", re.I)
_TAG = re.compile(r"<[^>]{0,500}>")


@dataclass(frozen=True)
class LLMConfig:
    """LLMConfig is where the operator's chat-completions server is and how to call it."""

    url: str
    model: str = "default"
    api_key: str = ""
    timeout: float = 60.0


def llm_config() -> LLMConfig | None:
    """llm_config reads the backend's settings, or returns None when the backend is off."""
    from django.conf import settings

    options = getattr(settings, "BROADSHEET", {})
    url = str(options.get("BROADSHEET_LLM_URL", "") or "").strip()
    if not url:
        return None
    return LLMConfig(
        url=url,
        model=str(options.get("BROADSHEET_LLM_MODEL", "") or "default"),
        api_key=str(options.get("BROADSHEET_LLM_API_KEY", "") or ""),
        timeout=float(options.get("BROADSHEET_LLM_TIMEOUT", 60) or 60),
    )


_cache: OrderedDict[str, str] = OrderedDict()
_cache_lock = threading.Lock()


def cache_clear() -> None:
    """cache_clear forgets every cached reply (tests, a model change)."""
    with _cache_lock:
        _cache.clear()


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def _cache_key(config: LLMConfig, messages: list[dict[str, str]], max_tokens: int) -> str:
    blob = json.dumps([config.model, max_tokens, messages], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def chat(messages: list[dict[str, str]], *, config: LLMConfig, max_tokens: int = 400) -> str | None:
    """chat sends messages to the server and returns the reply text, or None on any failure."""
    key = _cache_key(config, messages, max_tokens)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    reply = _post(
        config,
        {
            "model": config.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": False,
        },
    )
    if reply is None:
        return None
    with _cache_lock:
        _cache[key] = reply
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return reply


def _post(config: LLMConfig, payload: dict[str, object]) -> str | None:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    deadline = time.monotonic() + config.timeout
    try:
        # The operator configured this server, so loopback and private addresses are fine here;
        # no redirects, no proxies from the environment, and one deadline for the whole exchange.
        client = httpx.Client(timeout=config.timeout, follow_redirects=False, trust_env=False)
        with (
            client,
            client.stream("POST", _endpoint(config.url), json=payload, headers=headers) as response,
        ):
            if response.status_code != 200:
                return None
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_REPLY_BYTES or time.monotonic() > deadline:
                    return None
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def citations(text: str) -> list[int]:
    """citations returns the [n] markers of a text as numbers, in order of appearance."""
    return [int(m) for m in _CITATION.findall(text)]


def strip_citations(text: str) -> str:
    """strip_citations removes [n] markers and the space before them."""
    return " ".join(re.sub(r"\s*\[\d{1,3}\]", "", text).split())


def cited_sentences(text: str) -> list[tuple[str, list[int]]]:
    """cited_sentences splits a reply into sentences, each with the [n] markers that close it."""
    from broadsheet.enrich.textutil import sentences

    # "Buses arrive. [1][2] Shops fear..." -> "Buses arrive [1][2]. Shops fear..."
    text = re.sub(
        r"([.!?])\s*((?:\s*\[\d{1,3}\])+)", lambda m: m.group(2).strip() + m.group(1), text
    )
    return [(strip_citations(s), sorted(set(citations(s)))) for s in sentences(text)]


def has_markup(text: str) -> bool:
    """has_markup says whether a text holds HTML (tags, entities) or a javascript: link."""
    return bool(_MARKUP.search(text))


def plain_text(text: str, *, max_chars: int) -> str:
    """plain_text drops tags and angle brackets from quoted source text and caps its length."""
    text = _TAG.sub(" ", text).replace("<", " ").replace(">", " ")
    text = " ".join(text.split())
    if len(text) > max_chars:
        text = text[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return text


def guard(text: str | None, *, sources: int, max_chars: int) -> str | None:
    """guard returns a reply fit to show (plain, short, citing only given sources) or None."""
    if not text:
        return None
    text = " ".join(text.split())
    if not text or len(text) > max_chars or has_markup(text):
        return None
    marks = citations(text)
    if not marks or any(not 1 <= n <= sources for n in marks):
        return None
    return text
