"""Staff and moderators reach staff pages only with two-factor sign-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# Paths that are staff pages whether or not their view is marked with staff_page.
STAFF_PATH_PREFIXES = ("/admin/", "/moderation/", "/staff/")
# Set in the session when this session passed a TOTP check (sign-in, enrolment, re-check).
SESSION_TWO_FACTOR = "accounts_2fa_ok"

V = TypeVar("V", bound=Callable[..., Any])


def staff_page(view: V) -> V:
    """staff_page marks a view for staff and moderators only, signed in with two-factor."""
    view.broadsheet_staff_page = True  # type: ignore[attr-defined]
    return view


class TwoFactorRequiredMiddleware:
    """TwoFactorRequiredMiddleware guards staff pages: staff or moderator, enrolled, verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        marked = getattr(view_func, "broadsheet_staff_page", False)
        if not marked and not request.path_info.startswith(STAFF_PATH_PREFIXES):
            return None
        from broadsheet.accounts.services import totp_enabled, user_is_privileged

        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_is_privileged(user=user):  # type: ignore[arg-type]
            raise PermissionDenied
        query = urlencode({"next": request.get_full_path()})
        if not totp_enabled(user=user):  # type: ignore[arg-type]
            return HttpResponseRedirect(f"{reverse('accounts:totp_setup')}?{query}")
        if not request.session.get(SESSION_TWO_FACTOR):
            return HttpResponseRedirect(f"{reverse('accounts:totp_verify')}?{query}")
        return None
