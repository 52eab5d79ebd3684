"""/api/tokens/: a signed-in reader's page for API tokens, reader-app addresses and private feed URLs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from broadsheet.accounts.models import ApiToken, ReaderApiPassword, User
from broadsheet.api.feeds.keys import foryou_key
from broadsheet.api.services import TokenLimitReached, api_token_create, api_token_revoke


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    """tokens_page lists a reader's tokens, creates one (shown once) or revokes one."""
    user = request.user
    assert isinstance(user, User)  # login_required
    created = error = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            try:
                _, created = api_token_create(user=user, name=request.POST.get("name", "")[:100])
            except TokenLimitReached as exc:
                error, status = str(exc), 400
        elif action == "revoke" and request.POST.get("id", "").isdigit():
            api_token_revoke(user=user, token_id=int(request.POST["id"][:18]))
        else:
            error, status = "Unknown action.", 400
    key = foryou_key(user=user)
    feeds = {
        fmt: request.build_absolute_uri(
            reverse("api:feed", kwargs={"kind": "foryou", "key": key, "fmt": fmt})
        )
        for fmt in ("rss", "atom", "json")
    }
    context = {
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at", "-id"),
        "created": created,
        "error": error,
        "foryou_feeds": feeds,
        "greader_url": request.build_absolute_uri("/api/greader/"),
        "fever_url": request.build_absolute_uri(reverse("api:fever")),
        "has_reader_password": ReaderApiPassword.objects.filter(user=user).exists(),
    }
    return render(request, "api/tokens.html", context, status=status)
