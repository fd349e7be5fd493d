"""Filling references from a context of plain data."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from plans.references.filters import FILTERS, FilterError
from plans.references.syntax import (
    Reference,
    ReferenceResolutionError,
    Template,
    format_path,
    parse,
)
from plans.references.values import Unavailable, dump_json, resolve_marker

MAX_OUTPUT_CHARS = 10_000_000
# Nested configs are walked recursively; nothing sane nests deeper than this.
MAX_CONFIG_DEPTH = 50


class _Missing:
    """A reference that led nowhere, with the reason; only ``|default`` can replace it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def render(
    template: str | Template,
    context: Mapping[str, Any],
    *,
    max_output_chars: int = MAX_OUTPUT_CHARS,
) -> str:
    """Fill every reference of ``template`` from ``context`` and return the text.

    ``context`` maps a root name (``"plan"``, a task ref) to plain data: mappings, lists,
    tuples, scalars, plus the markers of :mod:`plans.references.values`. Only mapping
    keys and list indexes are followed, never attributes, so ``{{$x.__class__}}`` is simply
    a missing key. Values are written as: str as is, None as "", bools as ``true``/``false``,
    numbers with ``str``, datetimes/dates as ISO 8601, mappings and lists as compact JSON.

    Raises :class:`ReferenceSyntaxError` if the text does not parse, and
    :class:`ReferenceResolutionError` naming the reference when a root, key or index is
    missing (without ``|default``), a filter rejects its value, a value cannot be written,
    or the result would be longer than ``max_output_chars``.
    """
    if isinstance(template, str):
        template = parse(template)
    pieces: list[str] = []
    length = 0
    for part in template.parts:
        piece = part if isinstance(part, str) else _fill(part, context)
        length += len(piece)
        if length > max_output_chars:
            raise ReferenceResolutionError(
                f"The filled text would be longer than {max_output_chars} characters"
            )
        pieces.append(piece)
    return "".join(pieces)


def render_in(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside a JSON-like config (dict values, list items), keys untouched.

    Returns a new structure; non-string scalars are returned unchanged. Errors as
    :func:`render`.
    """
    return _render_in(value, context, depth=0)


def strings_in(value: Any) -> Iterator[str]:
    """Yield every string inside a JSON-like config (dict values and list items, not keys).

    Meant for :func:`references_in` and :func:`validate` over a task's whole config.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            yield item
        elif depth < MAX_CONFIG_DEPTH and isinstance(item, Mapping):
            stack.extend((child, depth + 1) for child in reversed(list(item.values())))
        elif depth < MAX_CONFIG_DEPTH and isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in reversed(item))


def _render_in(value: Any, context: Mapping[str, Any], *, depth: int) -> Any:
    if depth > MAX_CONFIG_DEPTH:
        raise ReferenceResolutionError(f"The config is nested deeper than {MAX_CONFIG_DEPTH}")
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, Mapping):
        return {key: _render_in(item, context, depth=depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_render_in(item, context, depth=depth + 1) for item in value]
    return value


def _fill(reference: Reference, context: Mapping[str, Any]) -> str:
    value = _resolve(reference, context)
    for item in reference.filters:
        if item.name == "default":
            if isinstance(value, _Missing) or value is None:
                value = item.args[0]
            continue
        if isinstance(value, _Missing):
            continue
        try:
            value = FILTERS[item.name].apply(value, *item.args)
        except FilterError as exc:
            raise ReferenceResolutionError(f"Cannot fill {reference.label}: {exc}") from exc
    if isinstance(value, _Missing):
        raise ReferenceResolutionError(f"Cannot fill {reference.label}: {value.reason}")
    try:
        return _to_text(value)
    except ValueError as exc:
        raise ReferenceResolutionError(f"Cannot fill {reference.label}: {exc}") from exc


def _resolve(reference: Reference, context: Mapping[str, Any]) -> Any:
    """Follow the reference's path; return the value or a :class:`_Missing` saying why not."""
    root = reference.root
    if root not in context:
        return _Missing(f"there is no value for ${root} here")
    value = context[root]
    for step, segment in enumerate(reference.path):
        value = resolve_marker(value)
        if isinstance(value, Unavailable):
            return _Missing(value.reason)
        where = format_path(root, reference.path[:step])
        if isinstance(segment, int):
            if not isinstance(value, list | tuple):
                return _Missing(f"{where} is {_kind(value)}, not a list, so [{segment}] is missing")
            if not -len(value) <= segment < len(value):
                return _Missing(
                    f"index {segment} is out of range ({where} has {_count(len(value))})"
                )
            value = value[segment]
        else:
            if not isinstance(value, Mapping):
                return _Missing(f"{where} is {_kind(value)}, so it has no key {segment!r}")
            try:
                value = value[segment]
            except KeyError:
                return _Missing(f"no key {segment!r} in {where}")
    value = resolve_marker(value)
    if isinstance(value, Unavailable):
        return _Missing(value.reason)
    return value


def _to_text(value: Any) -> str:
    """Write a resolved value into the text; raises ``ValueError`` if it cannot be."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        return str(int(seconds)) if seconds.is_integer() else str(seconds)
    if isinstance(value, Mapping | list | tuple):
        return dump_json(value)
    raise ValueError(f"a {type(value).__name__} cannot be written into text")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | decimal.Decimal):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _count(length: int) -> str:
    return "1 item" if length == 1 else f"{length} items"
