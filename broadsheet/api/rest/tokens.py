"""/api/v1/tokens: a reader's personal API tokens (signed-in session or another token)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Status

from broadsheet.accounts.models import ApiToken
from broadsheet.api.errors import ApiError
from broadsheet.api.rest.base import MAX_ID, require_user, responses
from broadsheet.api.rest.schemas import TokenCreated, TokenIn, TokenOut
from broadsheet.api.services import TokenLimitReached, api_token_create, api_token_revoke

router = Router(tags=["tokens"])


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
    }


@router.get("/tokens", response=responses(list[TokenOut]), summary="Your API tokens")
def token_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = require_user(request)
    return [token_out(t) for t in ApiToken.objects.filter(user=user).order_by("-created_at", "-id")]


@router.post(
    "/tokens", response=responses(TokenCreated, 201), summary="Create a token (shown once)"
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status:
    user = require_user(request, write=True)
    try:
        token, raw = api_token_create(user=user, name=payload.name)
    except TokenLimitReached as exc:
        raise ApiError(400, str(exc), code="too_many_tokens") from None
    return Status(201, {**token_out(token), "token": raw})


@router.delete("/tokens/{token_id}", response=responses(None, 204), summary="Revoke a token")
def token_revoke(request: HttpRequest, token_id: int = Path(..., ge=1, le=MAX_ID)) -> Status:
    user = require_user(request, write=True)
    if not api_token_revoke(user=user, token_id=token_id):
        raise ApiError(404, f"no token {token_id}")
    return Status(204, None)
