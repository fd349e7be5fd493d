"""Filling metadata references in task fields at run time."""

from __future__ import annotations

from typing import Any

from tasks_engine.errors import JobError


def render_text(text: str, context: dict[str, Any]) -> str:
    """`text` with its `{{...}}` references filled from `context`; JobError naming a reference
    that cannot be filled."""
    from tasks_engine import references

    try:
        return references.render(text, context)
    except (references.ReferenceResolutionError, references.ReferenceSyntaxError) as exc:
        raise JobError(str(exc)) from exc
