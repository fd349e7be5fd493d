"""Secrets at rest: round trips, key rotation, passphrase keys and clear failures."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from connections.secrets import (
    SecretDecryptionError,
    decrypt_secret,
    encrypt_secret,
    fernet_key,
    generate_key,
    rotate,
)

OLD_KEY = generate_key()
NEW_KEY = generate_key()


def test_it_round_trips_a_secret(settings) -> None:
    settings.PLANS_SECRET_KEYS = [NEW_KEY]

    token = encrypt_secret("xoxb-très-secret")

    assert "xoxb" not in token
    assert decrypt_secret(token) == "xoxb-très-secret"


def test_it_uses_a_fernet_key_as_is(settings) -> None:
    settings.PLANS_SECRET_KEYS = [NEW_KEY]

    token = encrypt_secret("s3cret")

    assert Fernet(NEW_KEY.encode()).decrypt(token.encode()) == b"s3cret"


def test_it_derives_a_key_from_a_passphrase(settings) -> None:
    settings.PLANS_SECRET_KEYS = ["correct horse battery staple, but much longer and random"]

    token = encrypt_secret("s3cret")

    assert decrypt_secret(token) == "s3cret"
    assert fernet_key("a passphrase") == fernet_key("a passphrase")
    assert fernet_key("a passphrase") != fernet_key("another passphrase")
    assert len(Fernet(fernet_key("a passphrase")).encrypt(b"x")) > 0


def test_it_decrypts_with_any_listed_key_and_encrypts_with_the_first(settings) -> None:
    settings.PLANS_SECRET_KEYS = [OLD_KEY]
    old_token = encrypt_secret("s3cret")

    settings.PLANS_SECRET_KEYS = [NEW_KEY, OLD_KEY]

    assert decrypt_secret(old_token) == "s3cret"
    new_token = encrypt_secret("other")
    assert Fernet(NEW_KEY.encode()).decrypt(new_token.encode()) == b"other"


def test_it_rotates_a_token_to_the_first_key(settings) -> None:
    settings.PLANS_SECRET_KEYS = [OLD_KEY]
    old_token = encrypt_secret("s3cret")
    settings.PLANS_SECRET_KEYS = [NEW_KEY, OLD_KEY]

    rotated = rotate(old_token)

    settings.PLANS_SECRET_KEYS = [NEW_KEY]
    assert decrypt_secret(rotated) == "s3cret"
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(old_token)


def test_it_explains_a_wrong_key_without_showing_the_token(settings) -> None:
    settings.PLANS_SECRET_KEYS = [OLD_KEY]
    token = encrypt_secret("s3cret")
    settings.PLANS_SECRET_KEYS = [NEW_KEY]

    with pytest.raises(SecretDecryptionError, match="PLANS_SECRET_KEYS") as caught:
        decrypt_secret(token)

    assert token not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_it_refuses_garbage_as_a_token(settings) -> None:
    settings.PLANS_SECRET_KEYS = [NEW_KEY]

    with pytest.raises(SecretDecryptionError):
        decrypt_secret("not a token")
    with pytest.raises(SecretDecryptionError):
        rotate("")


@pytest.mark.parametrize("keys", [[], "a-single-string", [""], None])
def test_it_fails_loudly_on_badly_configured_keys(settings, keys: object) -> None:
    settings.PLANS_SECRET_KEYS = keys

    with pytest.raises(ImproperlyConfigured, match="PLANS_SECRET_KEYS"):
        encrypt_secret("s3cret")


def test_it_generates_distinct_fernet_keys() -> None:
    first, second = generate_key(), generate_key()

    assert first != second
    assert len(first) == 44
    Fernet(first.encode())
