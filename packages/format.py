"""The package format: member names, the version this server writes and reads, and its error.

A package is a ZIP holding `plan.json` and `flows/<key>.json` for each flow it carries, or a
plain `plan.json` when it carries no flows. See docs/export-format.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable

FORMAT_VERSION = 1
PLAN_MEMBER = "plan.json"
FLOWS_FOLDER = "flows/"
# A flow key names a file: no dots (so no ".."), no slashes.
FLOW_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Above the most a valid package can hold (plan.json + one flow per task); guards the reader.
MAX_MEMBERS = 500
ZIP_CONTENT_TYPE = "application/zip"
NAME_MAX_LENGTH = 200

PackageErrors = dict[str, list[str]]


def flow_member(key: str) -> str:
    """The member name of the flow file with `key`."""
    return f"{FLOWS_FOLDER}{key}.json"


class PackageError(Exception):
    """A package that cannot be read or imported, with every problem keyed by where it is.

    Keys are `file` (the upload as a whole), a member name (`plan.json`, `flows/sales.json`),
    a path inside plan.json as the editor names it (`tasks[1].config.url`), or a path inside a
    flow file (`flows/sales.json:datasets[0].path`). Nothing has been saved when it is raised.
    """

    def __init__(self, errors: PackageErrors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    @property
    def message(self) -> str:
        """The first problem, as `path: message`."""
        path, messages = next(iter(self.errors.items()))
        return f"{path}: {messages[0]}"


def add_error(errors: PackageErrors, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def free_name(name: str, taken: Callable[[str], bool]) -> str:
    """`name`, or `name (imported)`, `name (imported 2)`, ... : the first one not `taken`."""
    if not taken(name):
        return name
    for n in range(1, 1000):
        suffix = " (imported)" if n == 1 else f" (imported {n})"
        candidate = name[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix
        if not taken(candidate):
            return candidate
    raise PackageError({"name": [f"No free name like {name!r}; rename something first."]})
