"""The resizer's one error: an HTTP status and a short message safe to show anyone."""

from __future__ import annotations


class ImageError(Exception):
    """ImageError is a refusal with its status (4xx, or 503 when busy) and a short public message."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
