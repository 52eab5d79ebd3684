"""Article pages to their parts: the only module that imports the extractor. (INTERFACE STUB)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class ChallengePage(Exception):
    """The page is a bot challenge ("Just a moment...") rather than an article."""


class NotAnArticle(Exception):
    """Nothing article-like could be extracted from the page."""


@dataclass
class Extracted:
    title: str
    byline: str
    published: datetime | None
    lang: str
    lead_image: str   # absolute URL or ""
    text: str         # plain text body, paragraphs separated by blank lines
    html: str         # body HTML, NOT yet sanitized


def extract_article(html: str | bytes, *, url: str, status: int = 200) -> Extracted:
    """extract_article pulls title, byline, date, language, lead image and body out of a page."""
    raise NotImplementedError
