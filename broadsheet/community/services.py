"""Changes readers make: following (comments and moderation join here)."""

from __future__ import annotations

from typing import Any

from broadsheet.accounts.models import User
from broadsheet.community.models import Follow
from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest.models import Source


def follow_set(*, user: User, target: Tag | Source | Story, on: bool) -> bool:
    """follow_set follows (on=True) or unfollows a tag, source or story; returns whether it is followed now."""
    field = {Tag: "tag", Source: "source", Story: "story"}[type(target)]
    match: dict[str, Any] = {"user": user, field: target}
    if on:
        Follow.objects.get_or_create(**match)
    else:
        Follow.objects.filter(**match).delete()
    return on
