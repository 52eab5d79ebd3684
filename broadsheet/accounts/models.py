"""Readers and staff. A custom user model from day one, so later fields need no swap."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A reader, moderator or operator of this Broadsheet instance."""

    class Meta:
        db_table = "accounts_user"
