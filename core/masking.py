"""What looks like a credential in a request, and how it is hidden wherever it is stored or shown."""

from __future__ import annotations

MASK = "••••"
_SENSITIVE = (
    "authorization",
    "cookie",
    "token",
    "secret",
    "password",
    "api-key",
    "apikey",
    "signature",
)


def is_credential_header(name: str) -> bool:
    """Whether a header's name says it carries a credential (Authorization, X-Api-Key, ...)."""
    return any(word in name.lower() for word in _SENSITIVE)


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers safe to store and show: values of credential-like headers replaced by ••••."""
    return {
        name: (MASK if is_credential_header(name) else value) for name, value in headers.items()
    }
