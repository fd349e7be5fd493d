"""What every storage backend promises: the protocol, its result and its one error type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

DeleteTarget = Literal["file", "folder"]

# How many deleted paths a result carries back for the job log; the count is always exact.
SAMPLE_SIZE = 20


class StorageError(Exception):
    """A storage operation failed; the message is fit to show an operator and holds no secret.

    `retryable` is True when the failure is probably passing (the endpoint could not be reached,
    a timeout, a throttling answer) so a caller may try again later.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class DeleteResult:
    """What a delete removed: an exact count of files (objects) and a few of their paths.

    At most SAMPLE_SIZE paths are kept, for the job log.

    Paths in the sample are relative to the connection's root, POSIX style.
    """

    deleted_count: int
    paths_sample: list[str] = field(default_factory=list)


@runtime_checkable
class StorageBackend(Protocol):
    """A connection's storage: every path is relative to its root and may never leave it.

    Paths are checked before anything is touched; a path that escapes raises
    `connections.storage.paths.PathEscapeError`, and nothing is deleted.
    """

    def delete(self, path: str, *, target: DeleteTarget, missing_ok: bool = False) -> DeleteResult:
        """Delete the file or the folder (with everything under it) at `path`.

        `path` "" with target "folder" empties the root but keeps it. A missing target raises
        `StorageError("... does not exist")`, or returns a zero count when `missing_ok`.
        """
        ...

    def exists(self, path: str) -> bool:
        """Whether a file or a folder exists at `path` ("" is the root)."""
        ...

    def list(self, path: str = "", limit: int = 100) -> list[str]:
        """Up to `limit` file paths at or under `path`, recursively, relative to the root.

        The order is stable (S3: by key); a missing path lists nothing.
        """
        ...
