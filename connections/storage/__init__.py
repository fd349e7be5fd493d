"""Storage connections for task executors: `backend_for(kind, settings, secrets)`.

Every backend keeps a user path inside its root (see `paths`) and deletes the same way:
a folder goes with everything under it, the root is emptied but kept, and a missing target
is an error unless the caller says it may be missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connections.storage.base import (
    DeleteResult,
    DeleteTarget,
    StorageBackend,
    StorageError,
)
from connections.storage.paths import PathEscapeError, clean_relative

__all__ = [
    "DeleteResult",
    "DeleteTarget",
    "PathEscapeError",
    "StorageBackend",
    "StorageError",
    "backend_for",
    "local_root",
]

KINDS = ("local", "s3")


def local_root(root: str, storage_root: str | Path | None = None) -> Path:
    """Where a local connection's `root` setting points.

    An absolute root is taken as is (an operator chose it). A relative one lives under
    `storage_root`, by default the Django setting STORAGE_ROOT, and may not climb out of it.
    """
    if not root:
        raise StorageError("The local connection has no root folder.")
    if Path(root).is_absolute():
        return Path(root)
    if storage_root is None:
        from django.conf import settings as django_settings

        storage_root = getattr(django_settings, "STORAGE_ROOT", None)
        if not storage_root:
            raise StorageError(
                f"The local root {root!r} is relative but the STORAGE_ROOT setting is not set."
            )
    return Path(storage_root) / clean_relative(root)


def backend_for(kind: str, settings: dict[str, Any], secrets: dict[str, Any]) -> StorageBackend:
    """The backend for a connection of `kind` ("local" or "s3") with its settings and secrets.

    local: settings {"root"}; s3: settings {"bucket", "prefix", "region", "endpointUrl"},
    secrets {"accessKeyId", "secretAccessKey", "sessionToken"?}. An unknown kind raises
    StorageError. Building a backend touches nothing: errors appear on the first operation.
    """
    if kind == "local":
        from connections.storage.local import LocalBackend

        return LocalBackend(local_root(str(settings.get("root", ""))))
    if kind == "s3":
        from connections.storage.s3 import S3Backend

        return S3Backend.from_settings(settings, secrets)
    raise StorageError(f"Unknown storage kind {kind!r}; expected one of {', '.join(KINDS)}.")
