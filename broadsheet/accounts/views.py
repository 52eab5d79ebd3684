"""Account pages: thin views over services.py and throttle.py. Nothing changes state on GET."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from broadsheet.accounts import services, throttle
from broadsheet.accounts.forms import (
    DeleteAccountForm,
    ProfileForm,
    RateLimitedPasswordResetForm,
    SigninForm,
    SignupForm,
    ThrottledPasswordChangeForm,
    TotpConfirmForm,
    TotpDisableForm,
    TwoFactorForm,
)
from broadsheet.accounts.middleware import SESSION_TWO_FACTOR
from broadsheet.accounts.models import ReaderApiPassword, TotpDevice, User
from broadsheet.core.ratelimit import (
    RateLimited,
    client_ip,
    ip_bucket,
    ratelimit_check,
    ratelimit_hit,
)
from broadsheet.core.redirects import safe_next

# The sign-in waiting for its second factor: user id, backend, when, where to go next.
SESSION_PENDING = "accounts_2fa_pending"
PENDING_MAX_AGE = 300


def _limit(name: str, key: str, cost: int = 1) -> None:
    limit, window = settings.BROADSHEET[name]
    wait = ratelimit_hit(key=key, limit=limit, window=window, cost=cost)
    if wait is not None:
        raise RateLimited(wait)


def _ip(request: HttpRequest) -> str:
    return ip_bucket(client_ip(request))


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        ip = _ip(request)
        # Tries (typos included) get three times the room of accounts actually made.
        limit, window = settings.BROADSHEET["BROADSHEET_SIGNUP_RATE"]
        wait = ratelimit_hit(key=f"signup:try:{ip}", limit=3 * limit, window=window)
        if wait is not None:
            raise RateLimited(wait)
        if form.is_bot():
            return redirect("/")  # looks like success; nothing is made
        if form.is_valid():
            _limit("BROADSHEET_SIGNUP_RATE", f"signup:ip:{ip}")
            user = services.account_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect(safe_next(request, reverse("accounts:profile")))
    return render(request, "accounts/signup.html", {"form": form, "next": safe_next(request, "")})


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    form = SigninForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "next": safe_next(request, "")}
    if request.method != "POST":
        return render(request, "accounts/login.html", context)
    if form.is_bot():
        form.add_error(None, _("Your username and password didn't match. Please try again."))
        return render(request, "accounts/login.html", context, status=400)
    if not form.is_valid():
        return render(request, "accounts/login.html", context, status=400)
    username = form.cleaned_data["username"]
    ip = _ip(request)
    gate = throttle.signin_gate(username=username, ip=ip, ticket=form.cleaned_data["wait_ticket"])
    if not gate.open:
        form = SigninForm(initial={"username": username, "wait_ticket": gate.ticket})
        context.update(form=form, wait=gate.wait)
        response = render(request, "accounts/login.html", context, status=429)
        response["Retry-After"] = str(gate.wait)
        return response
    user = authenticate(request, username=username, password=form.cleaned_data["password"])
    if user is None:
        throttle.signin_failed(username=username, ip=ip)
        form.add_error(None, _("Your username and password didn't match. Please try again."))
        return render(request, "accounts/login.html", context, status=400)
    throttle.signin_succeeded(username=username, ip=ip)
    assert isinstance(user, User)
    if services.totp_enabled(user=user):
        request.session.cycle_key()
        request.session[SESSION_PENDING] = {
            "user": user.pk,
            "backend": getattr(user, "backend", ""),
            "at": int(time.time()),
            "next": safe_next(request, ""),
        }
        return redirect("accounts:totp_verify")
    login(request, user)
    return redirect(safe_next(request, settings.LOGIN_REDIRECT_URL))


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    # logout() flushes the session row, so a copy of the old cookie is anonymous from now on.
    logout(request)
    return redirect(safe_next(request, settings.LOGOUT_REDIRECT_URL))


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(SESSION_PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return None, {}
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None, {}
    return User.objects.filter(pk=user_id, is_active=True).first(), pending


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def totp_verify(request: HttpRequest) -> HttpResponse:
    """The second step: after the password at sign-in, or again for a staff page in an old session."""
    user, pending = _pending_user(request)
    if user is None and request.user.is_authenticated:
        user = request.user  # type: ignore[assignment]
    if user is None or not services.totp_enabled(user=user):
        return redirect("accounts:login")
    form = TwoFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limit, window = settings.BROADSHEET["BROADSHEET_TOTP_RATE"]
        key = f"totp:fail:{user.pk}"
        wait = ratelimit_check(key=key, limit=limit, window=window)
        if wait is not None:
            raise RateLimited(wait)
        if services.two_factor_check(user=user, code=form.cleaned_data["code"]):
            if pending:
                del request.session[SESSION_PENDING]
                user.backend = pending.get("backend") or settings.AUTHENTICATION_BACKENDS[0]  # type: ignore[attr-defined]
                login(request, user)
            request.session[SESSION_TWO_FACTOR] = True
            default = pending.get("next") or settings.LOGIN_REDIRECT_URL
            return redirect(safe_next(request, default))
        ratelimit_hit(key=key, limit=limit, window=window)
        form.add_error("code", _("That code is not right, or was already used."))
    return render(
        request, "accounts/totp_verify.html", {"form": form, "next": safe_next(request, "")}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    device = TotpDevice.objects.filter(user=user).first()
    confirm_form = TotpConfirmForm()
    disable_form = TotpDisableForm(user=user)
    recovery_codes: list[str] | None = None
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "start":
        device = services.totp_device_start(user=user)
    elif action == "confirm":
        confirm_form = TotpConfirmForm(request.POST)
        if confirm_form.is_valid():
            _limit("BROADSHEET_TOTP_RATE", f"totp:setup:{user.pk}")
            recovery_codes = services.totp_device_confirm(
                user=user, code=confirm_form.cleaned_data["code"]
            )
            if recovery_codes is None:
                confirm_form.add_error(
                    "code", _("That code is not right. Check the time on your device.")
                )
            else:
                request.session[SESSION_TWO_FACTOR] = True
                device = TotpDevice.objects.filter(user=user).first()
    elif action == "recovery" and device is not None and device.confirmed_at:
        recovery_codes = services.recovery_codes_generate(user=user)
    elif action == "disable" and device is not None:
        disable_form = TotpDisableForm(request.POST, user=user)
        if services.user_is_privileged(user=user):
            disable_form.add_error(None, _("Staff and moderators must keep two-factor sign-in."))
        elif disable_form.is_valid():
            services.totp_device_remove(user=user)
            request.session.pop(SESSION_TWO_FACTOR, None)
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("accounts:totp_setup")
    context = {
        "device": device,
        "otpauth_uri": services.totp_uri(device=device) if device else "",
        "confirm_form": confirm_form,
        "disable_form": disable_form,
        "recovery_codes": recovery_codes,
        "unused_codes": user.recovery_codes.filter(used_at__isnull=True).count(),
        "required": services.user_is_privileged(user=user),
        "next": safe_next(request, ""),
    }
    return render(request, "accounts/totp_setup.html", context)


@never_cache
@login_required
@sensitive_post_parameters("current_password", "old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    profile_form = ProfileForm(instance=user)
    password_form = ThrottledPasswordChangeForm(user=user)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "profile":
        profile_form = ProfileForm(request.POST, instance=user)
        if profile_form.is_valid():
            profile_form.save()
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    elif action == "password":
        password_form = ThrottledPasswordChangeForm(user=user, data=request.POST)
        if password_form.is_valid():
            password_form.save()
            # Other sessions end (their hash no longer matches); this one stays signed in.
            update_session_auth_hash(request, password_form.user)
            messages.success(request, _("Your password is changed."))
            return redirect("accounts:profile")
    context = {
        "profile_form": profile_form,
        "password_form": password_form,
        "totp_on": services.totp_enabled(user=user),
        "has_reader_password": ReaderApiPassword.objects.filter(user=user).exists(),
    }
    return render(request, "accounts/profile.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reader_password(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    shown: str | None = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "generate":
            shown = services.reader_password_set(user=user)[1]
        elif action == "revoke":
            services.reader_password_revoke(user=user)
            messages.success(request, _("Your reader-app password is removed."))
            return redirect("accounts:reader_password")
    record = ReaderApiPassword.objects.filter(user=user).first()
    return render(
        request,
        "accounts/reader_password.html",
        {"record": record, "password": shown, "username": user.username},
    )


@never_cache
@login_required
@sensitive_post_parameters("current_password")
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.account_delete(
            user=user, remove_comments=form.cleaned_data["comments"] == "remove"
        )
        logout(request)
        messages.success(request, _("Your account is deleted."))
        return redirect("/")
    return render(request, "accounts/delete.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, limited per address (429) and per e-mail asked for (silently)."""

    form_class = RateLimitedPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _limit("BROADSHEET_PASSWORD_RESET_RATE", f"reset:ip:{_ip(request)}")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        limit, window = settings.BROADSHEET["BROADSHEET_PASSWORD_RESET_RATE_ACCOUNT"]
        if ratelimit_hit(key=f"reset:email:{email}", limit=limit, window=window) is not None:
            # Same answer as a sent mail: the page must not tell who has an account.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
