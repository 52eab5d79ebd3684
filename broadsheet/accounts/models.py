"""Readers and staff. A custom user model from day one, so later fields need no swap."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A reader, moderator or operator of this Broadsheet instance."""

    display_name = models.CharField(
        max_length=80, blank=True, help_text="Name shown beside the reader's comments"
    )

    class Meta:
        db_table = "accounts_user"

    @property
    def shown_name(self) -> str:
        """shown_name is the display name, or the username when none is set."""
        return self.display_name or self.username


class ApiToken(models.Model):
    """A personal API token. Only its sha256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True, help_text="sha256 hex of the token")
    prefix = models.CharField(
        max_length=12, help_text="The token's first characters, to tell tokens apart"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ReaderApiPassword(models.Model):
    """A reader's separate password for the Google Reader and Fever APIs (apps store it; never the site's)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="reader_api_password")
    password = models.CharField(
        max_length=256, help_text="Django password hash (Google Reader ClientLogin)"
    )
    fever_key = models.CharField(
        max_length=32,
        db_index=True,
        help_text="md5(username:password) hex, as the Fever protocol defines it",
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"reader API password of {self.user_id}"


class TotpDevice(models.Model):
    """A reader's authenticator app (RFC 6238 TOTP); it guards sign-in once confirmed."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64, help_text="base32 TOTP secret")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(
        default=0, help_text="Time step of the last accepted code; older or equal ones are replays"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time code that stands in for a TOTP code; only its keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, db_index=True, help_text="HMAC-SHA256 hex of the code")
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.user_id}"
