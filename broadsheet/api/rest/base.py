"""The /api/v1/ NinjaAPI: who is calling (token, session or nobody), rate limits, the one error shape."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security.http import HttpBearer
from ninja.utils import check_csrf

from broadsheet.accounts.models import ApiToken, User
from broadsheet.api.errors import ApiError, error_response, from_api_error, too_large_response
from broadsheet.api.selectors import api_token_lookup
from broadsheet.api.services import api_token_touch
from broadsheet.core.ratelimit import RateLimited, client_ip, ip_bucket, ratelimit_hit

log = logging.getLogger("broadsheet.api")
WINDOW = 60
MAX_ID = 2**63 - 1
# Every error status an operation can answer (ninja's own codes_4xx lacks 413 and 422).
ERROR_CODES = frozenset({400, 401, 403, 404, 405, 413, 415, 422, 429})


@dataclass
class Caller:
    """Caller is who made a request: a token's reader, a signed-in reader, or nobody (user None)."""

    user: User | None
    token: ApiToken | None = None

    def __bool__(self) -> bool:  # ninja treats a falsy auth result as "not authenticated"
        return True


def rate_limit(request: HttpRequest, *, key: str, limit: int, cost: int = 1) -> None:
    """rate_limit counts a hit and raises RateLimited (a 429 with Retry-After) when over."""
    wait = ratelimit_hit(key=key, limit=limit, window=WINDOW, cost=cost)
    if wait is not None:
        raise RateLimited(wait)


def anon_key(request: HttpRequest) -> str:
    """anon_key is the rate-limit key of a caller without a token: its address (a v6 /64)."""
    return f"api:ip:{ip_bucket(client_ip(request))}"


class TokenOrSession(HttpBearer):
    """TokenOrSession admits everyone, counting each request against the token's or the address's limit.

    A request carrying an Authorization header must carry a live token (else 401, never a
    silent fall back to anonymous). Without one, a signed-in session names the reader.
    """

    def __call__(self, request: HttpRequest) -> Caller:
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, raw = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise ApiError(401, "Authorization must be 'Bearer <token>'", code="invalid_token")
            return self.authenticate(request, raw.strip())
        rate_limit(
            request, key=anon_key(request), limit=settings.BROADSHEET["BROADSHEET_API_RATE_ANON"]
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return Caller(user=user)
        return Caller(user=None)

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        found = api_token_lookup(raw=token)
        if found is None:
            # Guessing tokens costs the guesser's address too.
            rate_limit(
                request,
                key=anon_key(request),
                limit=settings.BROADSHEET["BROADSHEET_API_RATE_ANON"],
            )
            raise ApiError(
                401,
                "unknown or revoked token",
                code="invalid_token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        rate_limit(
            request,
            key=f"api:token:{found.pk}",
            limit=settings.BROADSHEET["BROADSHEET_API_RATE_TOKEN"],
        )
        api_token_touch(token=found)
        return Caller(user=found.user, token=found)


def caller(request: HttpRequest) -> Caller:
    """caller returns who made a request (set by TokenOrSession)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Caller) else Caller(user=None)


def require_user(request: HttpRequest, *, write: bool = False) -> User:
    """require_user returns the reader behind a request or raises 401; session writes must pass CSRF."""
    who = caller(request)
    if who.user is None:
        raise ApiError(
            401,
            "sign in or send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if write and who.token is None:
        refusal = check_csrf(request)
        if refusal is not None:
            raise ApiError(403, "CSRF check failed for a session request", code="csrf_failed")
    return who.user


def aware(value: datetime | None) -> datetime | None:
    """aware reads a naive datetime as UTC and refuses ones no database can store."""
    if value is None:
        return None
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ApiError(422, "datetime out of range") from None
    if not 1900 <= value.year <= 9998:
        raise ApiError(422, "datetime out of range", details={"min_year": 1900, "max_year": 9998})
    return value


def _on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return from_api_error(exc)


def _on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors[:20]
    ]
    return error_response(422, "request parameters are not valid", details=details)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return error_response(
            401, "authentication required", headers={"WWW-Authenticate": "Bearer"}
        )
    return error_response(exc.status_code, str(exc) or "request failed")


def _on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not found")


def _on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    return error_response(
        429,
        "too many requests; try again later",
        details={"retry_after": exc.retry_after},
        headers={"Retry-After": str(exc.retry_after)},
    )


def _on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return too_large_response()
    log.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "internal error")


def api_create() -> NinjaAPI:
    """api_create builds the NinjaAPI with our auth and error handlers (routes are added by the caller)."""
    api = NinjaAPI(
        title="Broadsheet API",
        version="1",
        description=(
            "Articles, stories, hashtags, sources, search, comments and Ask. Lists use keyset "
            "pagination: pass `next_cursor` back as `cursor`. Errors are always "
            '`{"error": {"code", "message", "details"}}`.'
        ),
        urls_namespace="api:v1",
        auth=TokenOrSession(),
    )
    handlers: list[tuple[type[Exception], Any]] = [
        (ApiError, _on_api_error),
        (ValidationError, _on_validation),
        (HttpError, _on_http_error),
        (Http404, _on_404),
        (RateLimited, _on_rate_limited),
        (Exception, _on_exception),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
    return api


def responses(schema: Any, status: int = 200) -> dict[Any, Any]:
    """responses maps a success status to its schema and every 4xx to the error shape."""
    from broadsheet.api.rest.schemas import ErrorOut

    return {status: schema, ERROR_CODES: ErrorOut}
