"""Key rotation re-encrypts stored secrets so the old key can be dropped."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from connections.models import Secret
from connections.resolve import resolve_secret
from connections.secrets import encrypt_secret, generate_key

pytestmark = pytest.mark.django_db


def test_it_reencrypts_with_the_new_first_key_and_drops_the_old_one(settings: Any) -> None:
    old, new = generate_key(), generate_key()
    settings.PLANS_SECRET_KEYS = [old]
    secret = Secret.objects.create(ciphertext=encrypt_secret("hunter2"))

    settings.PLANS_SECRET_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    settings.PLANS_SECRET_KEYS = [new]

    assert "Re-encrypted 1" in out.getvalue()
    assert resolve_secret(secret.pk) == "hunter2"
