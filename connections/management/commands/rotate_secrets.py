"""`manage.py rotate_secrets`: re-encrypt every stored secret with the first of PLANS_SECRET_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from connections.models import Secret
from connections.secrets import rotate


class Command(BaseCommand):
    help = "Re-encrypt all secrets with the first key of PLANS_SECRET_KEYS (after adding a new key first)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        for secret in Secret.objects.iterator():
            new = rotate(secret.ciphertext)
            if new != secret.ciphertext:
                # Rotation keeps the row (and so every snapshot's reference to it).
                Secret.objects.filter(pk=secret.pk).update(ciphertext=new)
                count += 1
        self.stdout.write(f"Re-encrypted {count} secret(s); older keys can now be removed.")
