"""Small publisher sites for pipeline tests: article pages and feeds that point to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from broadsheet.core.testing import FixtureServer

WORDS = [
    "The",
    "council",
    "met",
    "on",
    "Tuesday",
    "to",
    "discuss",
    "the",
    "new",
    "harbour",
    "plan,",
    "which",
    "would",
    "expand",
    "the",
    "container",
    "terminal",
    "and",
    "add",
    "two",
    "berths",
    "for",
    "ferries.",
    "Officials",
    "said",
    "the",
    "work",
    "could",
    "begin",
    "next",
    "spring",
    "if",
    "the",
    "budget",
    "is",
    "approved,",
    "and",
    "residents",
    "raised",
    "concerns",
    "about",
    "traffic",
    "on",
    "the",
    "coastal",
    "road.",
]


def article_html(title: str, seed: int, *, paragraphs: int = 6) -> str:
    """article_html renders a plausible news page with boilerplate around a unique body."""
    body = []
    for p in range(paragraphs):
        words = [WORDS[(seed * 7 + p * 13 + i) % len(WORDS)] for i in range(40)]
        body.append(f"<p>{escape(' '.join(words))} Story {seed} paragraph {p}.</p>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | Harbour Times</title>
<meta property="og:title" content="{escape(title)}"><meta property="og:image" content="/img/{seed}.jpg">
<meta name="author" content="Jane Reporter"><meta property="article:published_time" content="2026-11-27T10:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{escape(title)}</h1><p class="byline">By Jane Reporter</p>{"".join(body)}</article>
<footer>Copyright Harbour Times. <a href="/privacy">Privacy</a></footer></body></html>"""


def rss(items: list[tuple[str, str, str]], *, title: str = "Harbour Times") -> str:
    """rss renders an RSS 2.0 feed of (guid, link, title) items, newest first."""
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    rows = []
    for i, (guid, link, item_title) in enumerate(items):
        date = format_datetime(now - timedelta(hours=i))
        rows.append(
            f"<item><guid>{escape(guid)}</guid><link>{escape(link)}</link><title>{escape(item_title)}</title>"
            f"<description>Summary of {escape(item_title)}</description><pubDate>{date}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>http://example.invalid/</link>{''.join(rows)}</channel></rss>"
    )


def site(server: FixtureServer, *, articles: int, prefix: str = "/news") -> list[str]:
    """site publishes articles pages on server and returns their URLs."""
    urls = []
    for i in range(articles):
        path = f"{prefix}/{i}"
        server.add(path, article_html(f"Harbour story number {i}", i))
        urls.append(server.url(path))
    return urls
