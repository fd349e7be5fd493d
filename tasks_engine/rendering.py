"""Filling metadata references in task fields at run time."""

from __future__ import annotations

from typing import Any

from core.errors import TaskError


def render_text(text: str, context: dict[str, Any]) -> str:
    """`text` with its `{{...}}` references filled from `context`; TaskError naming a reference
    that cannot be filled."""
    from plans import references

    try:
        return references.render(text, context)
    except (references.ReferenceResolutionError, references.ReferenceSyntaxError) as exc:
        raise TaskError(str(exc)) from exc
