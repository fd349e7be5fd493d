"""A local folder as a storage connection: deletes never leave the root and never follow links."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from connections.storage.base import SAMPLE_SIZE, DeleteResult, DeleteTarget, StorageError
from connections.storage.paths import resolve_within


def _raise(error: OSError) -> None:
    # os.fwalk silently skips unreadable folders by default; a delete must not pretend it finished.
    raise error


class LocalBackend:
    """A folder on this machine. `root` must exist when an operation runs; it is never removed.

    Counts and samples cover files and links (what S3 would call objects), not folders.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _real_root(self) -> Path:
        if not self.root.is_dir():
            raise StorageError(f"The storage folder {str(self.root)!r} does not exist.")
        return self.root

    def _relative(self, root: Path, candidate: Path) -> str:
        relative = candidate.relative_to(root.resolve()).as_posix()
        return "" if relative == "." else relative

    def delete(self, path: str, *, target: DeleteTarget, missing_ok: bool = False) -> DeleteResult:
        """Delete a file or a folder under the root; see `StorageBackend.delete` for the contract.

        A link is a file here: `target="file"` unlinks it (the link, not what it points to) and
        `target="folder"` refuses it. Links met inside a folder are unlinked, never followed.
        A path whose resolution (links included) leaves the root raises PathEscapeError first.
        """
        root = self._real_root()
        candidate = resolve_within(root, path)
        if not os.path.lexists(candidate):
            if missing_ok:
                return DeleteResult(deleted_count=0, paths_sample=[])
            raise StorageError(f"The {target} {path!r} does not exist.")
        mode = candidate.lstat().st_mode
        relative = self._relative(root, candidate)
        if target == "file":
            if stat.S_ISDIR(mode):
                raise StorageError(f"{path!r} is a folder, not a file: delete it as a folder.")
            try:
                candidate.unlink()
            except OSError as error:
                raise StorageError(f"Could not delete {path!r}: {error.strerror}.") from error
            return DeleteResult(deleted_count=1, paths_sample=[relative])
        if not stat.S_ISDIR(mode):
            kind = "a link" if stat.S_ISLNK(mode) else "a file"
            raise StorageError(f"{path!r} is {kind}, not a folder: delete it as a file.")
        # Compared resolved: a path like "link-to-parent/<root's name>" is the root too.
        return self._delete_tree(root, candidate, keep_top=candidate.resolve() == root.resolve())

    def _delete_tree(self, root: Path, top: Path, *, keep_top: bool) -> DeleteResult:
        count = 0
        sample: list[str] = []
        real_root = root.resolve()

        def note(dirpath: str, name: str) -> None:
            nonlocal count
            count += 1
            if len(sample) < SAMPLE_SIZE:
                sample.append(Path(dirpath, name).relative_to(real_root).as_posix())

        try:
            # fwalk works on directory file descriptors, so a folder swapped for a link while we
            # walk cannot send us outside the tree; bottom-up so each folder is empty when removed.
            for dirpath, dirnames, filenames, dirfd in os.fwalk(
                top, topdown=False, onerror=_raise, follow_symlinks=False
            ):
                for name in filenames:
                    os.unlink(name, dir_fd=dirfd)
                    note(dirpath, name)
                for name in dirnames:
                    # fwalk lists links to folders among dirnames; those are unlinked, not entered.
                    if stat.S_ISLNK(os.stat(name, dir_fd=dirfd, follow_symlinks=False).st_mode):
                        os.unlink(name, dir_fd=dirfd)
                        note(dirpath, name)
                    else:
                        os.rmdir(name, dir_fd=dirfd)
            if not keep_top:
                os.rmdir(top)
        except OSError as error:
            where = error.filename or top
            raise StorageError(
                f"Could not delete {str(where)!r}: {error.strerror}. "
                f"{count} file(s) were deleted before the failure."
            ) from error
        return DeleteResult(deleted_count=count, paths_sample=sample)

    def exists(self, path: str) -> bool:
        """Whether a file, link or folder is at `path`; an escaping path raises PathEscapeError."""
        return os.path.lexists(resolve_within(self._real_root(), path))

    def list(self, path: str = "", limit: int = 100) -> list[str]:
        """Up to `limit` file and link paths at or under `path`, without following links.

        Order is stable: each folder's files first, then its sub-folders, names sorted. A missing
        path lists nothing. The walk stops as soon as `limit` paths are found.
        """
        root = self._real_root()
        candidate = resolve_within(root, path)
        if not os.path.lexists(candidate):
            return []
        if not stat.S_ISDIR(candidate.lstat().st_mode):
            return [self._relative(root, candidate)]
        found: list[str] = []
        real_root = root.resolve()
        for dirpath, dirnames, filenames, dirfd in os.fwalk(candidate, follow_symlinks=False):
            dirnames.sort()
            links = [
                name
                for name in dirnames
                if stat.S_ISLNK(os.stat(name, dir_fd=dirfd, follow_symlinks=False).st_mode)
            ]
            for name in sorted([*filenames, *links]):
                if len(found) >= limit:
                    return found
                found.append(Path(dirpath, name).relative_to(real_root).as_posix())
        return found
