"""Account writes: sign-up, deletion, the reader-API password, two-factor enrolment and checks."""

from __future__ import annotations

import hashlib
import importlib
import logging
import secrets

import pyotp
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from broadsheet.accounts.models import ReaderApiPassword, RecoveryCode, TotpDevice, User

log = logging.getLogger(__name__)

MODERATORS_GROUP = "moderators"
TOTP_ISSUER = "Broadsheet"
RECOVERY_CODE_COUNT = 10
# Codes look like "k3vq-9xr2-mw7d": 12 base32 characters, 60 bits, dashes and case ignored.
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def account_create(*, username: str, email: str, password: str) -> User:
    """account_create makes a reader account with a hashed password (validated by the form)."""
    return User.objects.create_user(username=username, email=email, password=password)


def account_delete(*, user: User, remove_comments: bool) -> None:
    """account_delete deletes user; their comments are removed or kept without a name, as they chose.

    Comments belong to community/, which this base-level app must not import outright: its hook
    is called when present, and otherwise the comments' author link is nulled by the database
    (Comment.author is SET_NULL), which is the anonymised choice.
    """
    try:
        community_services = importlib.import_module("broadsheet.community.services")
    except ImportError:
        community_services = None
    hook = getattr(community_services, "comments_handle_account_deletion", None)
    with transaction.atomic():
        if hook is not None:
            hook(user=user, remove=remove_comments)
        elif remove_comments:
            log.warning("community has no comments_handle_account_deletion; comments anonymised")
        user.delete()


def user_is_privileged(*, user: User) -> bool:
    """user_is_privileged says whether user is staff or a moderator (two-factor is required)."""
    if not user.is_authenticated:
        return False
    return bool(
        user.is_staff or user.is_superuser or user.groups.filter(name=MODERATORS_GROUP).exists()
    )


def fever_key(*, username: str, password: str) -> str:
    """fever_key is md5("username:password") in hex, the Fever API's api_key."""
    return hashlib.md5(f"{username}:{password}".encode(), usedforsecurity=False).hexdigest()


def reader_password_set(
    *, user: User, password: str | None = None
) -> tuple[ReaderApiPassword, str]:
    """reader_password_set sets (or rotates to) a reader-API password; returns it once in clear."""
    clear = password or secrets.token_urlsafe(18)
    record, _ = ReaderApiPassword.objects.update_or_create(
        user=user,
        defaults={
            "password": make_password(clear),
            "fever_key": fever_key(username=user.username, password=clear),
            "created_at": timezone.now(),
        },
    )
    return record, clear


def reader_password_revoke(*, user: User) -> bool:
    """reader_password_revoke removes user's reader-API password; True when there was one."""
    deleted, _ = ReaderApiPassword.objects.filter(user=user).delete()
    return deleted > 0


def totp_device_start(*, user: User) -> TotpDevice:
    """totp_device_start gives user a fresh unconfirmed authenticator secret (a confirmed one stays)."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        return device
    secret = pyotp.random_base32(length=32)
    device, _ = TotpDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": None, "last_used_step": 0}
    )
    return device


def totp_uri(*, device: TotpDevice) -> str:
    """totp_uri is the otpauth:// URI an authenticator app reads (typed or pasted, no QR)."""
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.username, issuer_name=TOTP_ISSUER
    )


def _totp_accept(*, device: TotpDevice, code: str) -> bool:
    """_totp_accept checks code against the device (±1 step) and refuses replays of a used step."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(device.secret)
    now = timezone.now()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step <= device.last_used_step:
            continue
        if constant_time_compare(totp.generate_otp(step), code):
            # Conditional update: two requests racing with one code, only one wins.
            won = TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(
                last_used_step=step
            )
            device.last_used_step = step
            return won == 1
    return False


def totp_device_confirm(*, user: User, code: str) -> list[str] | None:
    """totp_device_confirm turns the pending device on when code is right; returns new recovery codes."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None or not _totp_accept(device=device, code=code):
        return None
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    return recovery_codes_generate(user=user)


def totp_device_remove(*, user: User) -> None:
    """totp_device_remove turns two-factor off for user and drops their recovery codes."""
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def totp_enabled(*, user: User) -> bool:
    """totp_enabled says whether user has a confirmed authenticator."""
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def _recovery_digest(code: str) -> str:
    normal = "".join(code.lower().split()).replace("-", "")
    return salted_hmac("broadsheet.accounts.recovery", normal, algorithm="sha256").hexdigest()


def recovery_codes_generate(*, user: User) -> list[str]:
    """recovery_codes_generate replaces user's recovery codes with fresh ones, returned once in clear."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, digest=_recovery_digest(code)) for code in codes
        )
    return codes


def two_factor_check(*, user: User, code: str) -> bool:
    """two_factor_check accepts a current TOTP code or an unused recovery code (then spent)."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    if _totp_accept(device=device, code=code):
        return True
    if len(code) > 40:
        return False
    spent = RecoveryCode.objects.filter(
        user=user, digest=_recovery_digest(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1
