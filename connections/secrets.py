"""Encryption at rest for connection and task secrets (Fernet, with key rotation).

Keys come from the Django setting PLANS_SECRET_KEYS, a list of strings read at each call (so
`override_settings` works). The first key encrypts; every key decrypts. To rotate: put a new key
first, keep the old ones after it, re-encrypt stored tokens with `rotate`, then drop the old keys.

Each key is either a Fernet key (`generate_key()`: 32 random bytes, urlsafe base64, 44
characters) or any other string, a passphrase, from which a Fernet key is derived with
HKDF-SHA256 (salt b"plans-secrets", info b"PLANS_SECRET_KEYS fernet key"). HKDF does not slow
down guessing, so a passphrase must be long and random, like a Django SECRET_KEY; a short word
is not a key. A string that happens to decode to 32 bytes of urlsafe base64 is taken as a Fernet
key as is.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

_HKDF_SALT = b"plans-secrets"
_HKDF_INFO = b"PLANS_SECRET_KEYS fernet key"


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key (or is not a token at all)."""


def generate_key() -> str:
    """A new random Fernet key, fit for PLANS_SECRET_KEYS."""
    return Fernet.generate_key().decode()


def fernet_key(key: str) -> bytes:
    """The Fernet key for one PLANS_SECRET_KEYS entry: itself if it is one, else HKDF-derived."""
    raw = key.encode()
    try:
        if len(base64.b64decode(raw, altchars=b"-_", validate=True)) == 32:
            return raw
    except (binascii.Error, ValueError):
        pass
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
        raw
    )
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(fernet_key(key)) for key in keys])


def _configured() -> MultiFernet:
    from django.conf import settings

    keys = getattr(settings, "PLANS_SECRET_KEYS", None)
    # A bare string would be taken character by character; refuse it rather than guess.
    if not isinstance(keys, list | tuple) or not keys:
        raise ImproperlyConfigured("PLANS_SECRET_KEYS must be a non-empty list of keys.")
    if not all(isinstance(key, str) and key for key in keys):
        raise ImproperlyConfigured("Every entry of PLANS_SECRET_KEYS must be a non-empty string.")
    return _multi_fernet(tuple(keys))


def encrypt_secret(plaintext: str) -> str:
    """Encrypt `plaintext` with the first key of PLANS_SECRET_KEYS; the token is ASCII text."""
    return _configured().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    """Decrypt a token made by `encrypt_secret` with any key of PLANS_SECRET_KEYS.

    Raises SecretDecryptionError (whose message never holds the token) when no key fits.
    """
    fernet = _configured()
    try:
        return fernet.decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError, AttributeError):
        raise SecretDecryptionError(_cannot_decrypt()) from None


def rotate(token: str) -> str:
    """Re-encrypt `token` with the first key (keeping its timestamp); same errors as decrypt."""
    fernet = _configured()
    try:
        return fernet.rotate(token.encode()).decode()
    except (InvalidToken, UnicodeError, AttributeError):
        raise SecretDecryptionError(_cannot_decrypt()) from None


def _cannot_decrypt() -> str:
    return (
        "A stored secret could not be decrypted with any key in PLANS_SECRET_KEYS: check that the "
        "key it was encrypted with is still listed (rotate keys by adding the new one first)."
    )
