"""The last step before storage: an allowlist sanitizer for article HTML. (INTERFACE STUB)"""

from __future__ import annotations


def sanitize_html(html: str, *, base_url: str) -> str:
    """sanitize_html keeps allowlisted tags, makes URLs absolute and links rel=noopener noreferrer."""
    raise NotImplementedError


def html_to_text(html: str) -> str:
    """html_to_text returns readable plain text of an HTML fragment."""
    raise NotImplementedError
