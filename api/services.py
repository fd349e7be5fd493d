"""Writes for API access."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from api.models import ApiToken, hash_token


def token_create(*, user: AbstractBaseUser, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw value, which is never stored or shown again."""
    raw = ApiToken.new_raw_token()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], key_hash=hash_token(raw))
    return token, raw
