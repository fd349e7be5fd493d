"""Resolving secret references inside the worker, at execution time only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks_engine.errors import JobError
from tasks_engine.models import Secret
from tasks_engine.secrets import decrypt_secret


def resolve_secret(secret_id: int | None) -> str | None:
    if secret_id is None:
        return None
    row = Secret.objects.filter(pk=secret_id).first()
    if row is None:
        raise JobError(
            "A secret this task uses has been deleted; set it again on the task or connection."
        )
    return decrypt_secret(row.ciphertext)


def resolve_task_secret(spec: Mapping[str, Any], name: str) -> str | None:
    """The plaintext of the task's secret field `name`, or None when it is not set."""
    return resolve_secret(spec.get("secrets", {}).get(name))
