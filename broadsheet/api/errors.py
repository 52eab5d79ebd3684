"""One error shape for every JSON answer that is not a success.

`{"error": {"code": "...", "message": "...", "details": ...}}`, whatever went wrong and whichever
layer noticed it (ninja's validation, our checks, Django's body limits, an unhandled exception).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

log = logging.getLogger("broadsheet.api")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
}


class ApiError(Exception):
    """ApiError is raised by API code for a client-visible failure with a status and stable code."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """error_response renders the one error shape with a status code."""
    body = {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message,
            "details": details,
        }
    }
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def from_api_error(exc: ApiError) -> JsonResponse:
    """from_api_error renders an ApiError."""
    return error_response(
        exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers
    )


def body_too_large(request: HttpRequest) -> bool:
    """body_too_large says whether the request announces (or streams) more than the API accepts."""
    limit = int(settings.BROADSHEET["BROADSHEET_API_MAX_BODY"])
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > limit


def has_nul(request: HttpRequest) -> bool:
    """has_nul says whether the path or a query or form value holds NUL (PostgreSQL text cannot)."""
    if "\x00" in request.path:
        return True
    if any("\x00" in k or any("\x00" in v for v in request.GET.getlist(k)) for k in request.GET):
        return True
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        try:
            request.body  # noqa: B018 - read (size-capped) first, so a view may still read it raw
            form = request.POST
        except MultiPartParserError:
            return False  # the view meets the same error: a 400
        return any("\x00" in k or any("\x00" in v for v in form.getlist(k)) for k in form)
    return False


def nul_response() -> JsonResponse:
    return error_response(400, "parameters must not contain NUL characters")


def too_large_response() -> JsonResponse:
    limit = int(settings.BROADSHEET["BROADSHEET_API_MAX_BODY"])
    return error_response(413, f"request body over {limit} bytes", details={"max_bytes": limit})


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """json_errors wraps a view: bodies over the cap are refused unread, and any non-JSON error becomes the shape."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if body_too_large(request):
            return too_large_response()
        if has_nul(request):
            return nul_response()
        try:
            response = view(request, *args, **kwargs)
        except ApiError as exc:
            return from_api_error(exc)
        except RequestDataTooBig:
            return too_large_response()
        return _as_shape(response)

    return wrapped


def _as_shape(response: HttpResponse) -> HttpResponse:
    if response.status_code < 400 or response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return response
    message = "method not allowed" if response.status_code == 405 else "request failed"
    if response.status_code == 405:
        details: Any = {"allowed": [m.strip() for m in response.get("Allow", "").split(",") if m]}
    else:
        details = None
    shaped = error_response(response.status_code, message, details=details)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            shaped[header] = response[header]
    return shaped


def is_error_shape(content: bytes) -> bool:
    """is_error_shape says whether a body is the one error shape (used by tests and checks)."""
    try:
        body = json.loads(content)
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and set(error) == {"code", "message", "details"}
        and isinstance(error["code"], str)
        and isinstance(error["message"], str)
    )
