"""Task reference names: short, unique in a plan, used as `{{$ref.field}}` in references."""

from __future__ import annotations

import re
from collections.abc import Iterable

REF_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
REF_MAX_LENGTH = 40
RESERVED_REFS = frozenset({"plan", "flow", "job", "output"})


def ref_problem(ref: str) -> str | None:
    """Why `ref` is not a valid reference name, or None when it is."""
    if not REF_PATTERN.match(ref):
        return "Use lowercase letters, digits and _, starting with a letter."
    if len(ref) > REF_MAX_LENGTH:
        return f"At most {REF_MAX_LENGTH} characters."
    if ref in RESERVED_REFS:
        return f"{ref!r} is reserved."
    return None


def derive_ref(name: str, taken: Iterable[str]) -> str:
    """A valid ref from a task name (`Fetch orders!` -> `fetch_orders`), not among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "task"
    if not base[0].isalpha():
        base = f"t_{base}"
    if base in RESERVED_REFS:
        base = f"{base}_task"
    base = base[:REF_MAX_LENGTH].rstrip("_")
    used = set(taken)
    candidate, n = base, 2
    while candidate in used:
        suffix = f"_{n}"
        candidate = base[: REF_MAX_LENGTH - len(suffix)] + suffix
        n += 1
    return candidate
