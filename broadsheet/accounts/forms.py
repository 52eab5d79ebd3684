"""Account forms. Every form's errors are linked to their fields (aria-describedby) by the templates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    PasswordChangeForm,
    PasswordResetForm,
    UserCreationForm,
    UsernameField,
)
from django.utils.translation import gettext_lazy as _

from broadsheet.accounts.models import User
from broadsheet.core.ratelimit import RateLimited, ratelimit_check, ratelimit_hit

HONEYPOT = "website"


class HoneypotMixin(forms.Form):
    """HoneypotMixin adds a field people never see (hidden by CSS); bots that fill it are dropped."""

    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))


class SignupForm(HoneypotMixin, UserCreationForm):
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("Only for resetting your password; never shown."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email


class SigninForm(HoneypotMixin):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    wait_ticket = forms.CharField(required=False, max_length=512, widget=forms.HiddenInput)


class TwoFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"}
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code your app shows now"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def password_recheck(*, user: User, password: str) -> bool:
    """password_recheck checks a signed-in user's password again, throttled like sign-in.

    A stolen session must not become a free password-guessing oracle through the forms that ask
    for the password again (e-mail change, password change, deletion, two-factor off).
    """
    limit, window = settings.BROADSHEET["BROADSHEET_LOGIN_FAILURES_PAIR"]
    key = f"recheck:fail:{user.pk}"
    wait = ratelimit_check(key=key, limit=limit, window=window)
    if wait is not None:
        raise RateLimited(wait)
    if user.check_password(password):
        return True
    ratelimit_hit(key=key, limit=limit, window=window)
    return False


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """ThrottledPasswordChangeForm is Django's form with the old password checked by password_recheck."""

    def clean_old_password(self) -> str:
        old = self.cleaned_data["old_password"]
        if not password_recheck(user=self.user, password=old):  # type: ignore[arg-type]
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old


class CurrentPasswordMixin(forms.Form):
    """CurrentPasswordMixin asks for the account's password again before a sensitive change."""

    current_password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if not password_recheck(user=self.user, password=password):
            raise forms.ValidationError(_("That is not your current password."))
        return password


class ProfileForm(forms.ModelForm):
    current_password = forms.CharField(
        label=_("Your current password (needed to change the e-mail address)"),
        strip=False,
        required=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    class Meta:
        model = User
        fields = ("display_name", "email")
        labels = {"display_name": _("Display name"), "email": _("E-mail")}

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if email and taken.exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "email" in self.changed_data:
            password = data.get("current_password") or ""
            if not password_recheck(user=self.instance, password=password):
                self.add_error(
                    "current_password",
                    _("Enter your current password to change the e-mail address."),
                )
        return data


class DeleteAccountForm(CurrentPasswordMixin):
    comments = forms.ChoiceField(
        label=_("Your comments"),
        choices=[
            ("anonymise", _("Keep them, without my name")),
            ("remove", _("Remove them")),
        ],
        widget=forms.RadioSelect,
        initial="anonymise",
    )
    confirm = forms.BooleanField(label=_("Yes, delete my account for good"))


class TotpDisableForm(CurrentPasswordMixin):
    pass


class RateLimitedPasswordResetForm(PasswordResetForm):
    """RateLimitedPasswordResetForm is Django's reset form; the view decides whether mail goes out."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def password_help() -> list[str]:
    """password_help lists the password rules in words, for the forms' help text."""
    return [str(text) for text in password_validation.password_validators_help_texts()]
