"""Path rules shared by every storage backend: a user-supplied path never leaves its root."""

from __future__ import annotations

import posixpath
from pathlib import Path


class PathEscapeError(ValueError):
    """Raised when a path would point outside the connection's root."""


def clean_relative(path: str) -> str:
    """Normalise a user path to a relative POSIX path inside a root.

    Refuses absolute paths, drive letters, NUL bytes and any `..` that climbs out.
    Returns "" for the root itself ("", "/" is refused as absolute, "." is the root).
    """
    if "\x00" in path:
        raise PathEscapeError("The path contains a NUL byte.")
    drive = len(path) > 1 and path[0].isalpha() and path[1] == ":" and path[2:3] in ("", "/", "\\")
    if path.startswith(("/", "\\")) or drive:
        raise PathEscapeError(f"The path {path!r} is absolute; give a path inside the connection.")
    normalised = posixpath.normpath(path.replace("\\", "/")) if path else "."
    if normalised == ".":
        return ""
    if normalised == ".." or normalised.startswith("../"):
        raise PathEscapeError(f"The path {path!r} escapes the connection's root.")
    return normalised


def resolve_within(root: Path, path: str) -> Path:
    """Return `root / path`, refusing anything (even via a symlink) that resolves outside `root`."""
    relative = clean_relative(path)
    real_root = root.resolve()
    candidate = real_root / relative if relative else real_root
    resolved = candidate.resolve()
    if resolved != real_root and real_root not in resolved.parents:
        raise PathEscapeError(f"The path {path!r} resolves outside the connection's root.")
    # The unresolved path is returned so that deleting a link inside the root removes the link.
    return candidate


def join_key(prefix: str, path: str) -> str:
    """Join an S3 key prefix and a user path, refusing escapes; "" means the whole prefix."""
    relative = clean_relative(path)
    prefix = prefix.strip("/")
    if not prefix:
        return relative
    return f"{prefix}/{relative}" if relative else prefix
