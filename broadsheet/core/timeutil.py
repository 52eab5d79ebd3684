"""Time helpers shared by every layer."""

from __future__ import annotations

from datetime import datetime


def ago(moment: datetime | None, *, now: datetime) -> str:
    """ago describes a moment relative to now in words ("16 minutes ago", "in 5 minutes", "never")."""
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if future else f"{words} ago"
    return "in a moment" if future else "just now"
