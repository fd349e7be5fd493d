"""Decrypting secrets and connections inside the worker, at execution time only.

Nothing else in the code turns a secret reference into its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connections.models import Connection, Secret
from connections.secrets import decrypt_secret
from core.errors import TaskError


def resolve_secret(secret_id: int | None) -> str | None:
    if secret_id is None:
        return None
    row = Secret.objects.filter(pk=secret_id).first()
    if row is None:
        raise TaskError(
            "A secret this task uses has been deleted; set it again on the task or connection."
        )
    return decrypt_secret(row.ciphertext)


def resolve_task_secret(spec: Mapping[str, Any], name: str) -> str | None:
    """The plaintext of the task's secret field `name`, or None when it is not set."""
    return resolve_secret(spec.get("secrets", {}).get(name))


@dataclass(frozen=True)
class ResolvedConnection:
    """A connection with its secrets decrypted, for one job's use inside the worker only."""

    id: int
    name: str
    kind: str
    settings: dict[str, Any]
    secrets: dict[str, str]


def connection_resolve(connection_id: Any, *, kinds: tuple[str, ...]) -> ResolvedConnection:
    """Load connection `connection_id` and decrypt its secrets (worker only, at execution time).

    Raises TaskError when the connection no longer exists or is not one of `kinds`.
    """
    row = Connection.objects.filter(pk=connection_id).first() if connection_id else None
    if row is None:
        raise TaskError(
            f"The connection #{connection_id} this task uses no longer exists; "
            "choose another connection for the task."
        )
    if row.kind not in kinds:
        raise TaskError(
            f"The connection '{row.name}' is a {row.get_kind_display()} connection; "
            f"this task needs one of: {', '.join(kinds)}."
        )
    secrets: dict[str, str] = {}
    for name, secret_id in row.secrets.items():
        value = resolve_secret(secret_id)
        if value is not None:
            secrets[name] = value
    return ResolvedConnection(
        id=row.pk, name=row.name, kind=row.kind, settings=dict(row.settings), secrets=secrets
    )
