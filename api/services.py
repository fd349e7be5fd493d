"""Writes for API access: creating and revoking access tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from api.models import ApiToken, hash_token
from audit.models import AuditAction
from audit.services import audit_record

MAX_TOKENS_PER_USER = 50
NAME_MAX_LENGTH = 100


class TokenError(Exception):
    """The token cannot be made: the message says why (shown on the field)."""


def token_create(*, user: AbstractBaseUser, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw value, which is never stored or shown again."""
    raw = ApiToken.new_raw_token()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], key_hash=hash_token(raw))
    audit_record(action=AuditAction.CREATED, obj=token, label=f"{name} ({user})")
    return token, raw


def token_create_for_self(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A user making a token for themselves (the Access tokens page).

    Raises `workspace.features.FeatureDisabled` while the workspace does not let users create
    tokens (staff still may), TokenError for a missing or long name or too many tokens.
    """
    from workspace.features import require_api_tokens_enabled

    if not user.is_staff:
        require_api_tokens_enabled()
    name = name.strip()
    if not name:
        raise TokenError("Give the token a name, to recognise it by later.")
    if len(name) > NAME_MAX_LENGTH:
        raise TokenError(f"At most {NAME_MAX_LENGTH} characters.")
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise TokenError(f"You have {MAX_TOKENS_PER_USER} tokens; revoke one first.")
    return token_create(user=user, name=name)


def token_revoke(*, user: AbstractBaseUser, token_id: int) -> bool:
    """Delete one of `user`'s tokens (requests with it fail from now on); False if not theirs."""
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        return False
    audit_record(action=AuditAction.REVOKED, obj=token, label=f"{token.name} ({user})")
    token.delete()
    return True
