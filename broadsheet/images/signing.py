"""Signed URLs for the image resizer: our pages sign, /img/ checks. (Placeholder until the resizer lands.)"""

from __future__ import annotations

WIDTHS = (160, 320, 640, 960, 1280)


def image_url(src: str, width: int, quality: int | None = None) -> str:
    """image_url returns the resizer URL for src at width, or "" when there is nothing to show."""
    return ""


def image_srcset(src: str, widths: tuple[int, ...] = WIDTHS) -> str:
    """image_srcset returns a srcset attribute value covering widths."""
    return ", ".join(f"{image_url(src, w)} {w}w" for w in widths if image_url(src, w))
