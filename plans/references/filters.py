"""The filters a reference may apply after ``|``.

- ``humanizeDuration``: seconds (a number or numeric string), a ``timedelta`` or a duration
  string (``01:02:05``, ISO 8601 ``PT1H2M5S``) to ``"1 h 2 min 5 s"``; zero units are left
  out, days appear as ``d``, under a minute keeps one decimal (``"2.5 s"``), under a second
  in milliseconds (``"850 ms"``); None gives "" (`core.formatting.duration_text`).
- ``json``: the value as JSON text. A string comes out quoted and escaped, so
  ``{"text": {{$plan.name|json}}}`` is valid JSON whatever the name holds; None gives
  ``null``, objects and lists compact JSON.
- ``default(value)``: ``value`` when the reference is missing (no such key, index out of
  range, body not JSON, no such root in the context) or None. It rescues a missing value
  wherever it stands in the chain: the filters before it pass a missing value through.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.dateparse import parse_duration

from core.formatting import duration_text
from plans.references.values import dump_json


class FilterError(ValueError):
    """A filter cannot handle the value it was given; the message is for the user."""


@dataclass(frozen=True)
class FilterSpec:
    """A filter's number of arguments and its function ``(value, *args) -> value``."""

    arity: int
    apply: Callable[..., Any]


def humanize_duration(value: Any) -> str:
    """Write a duration concisely: ``3725`` -> ``"1 h 2 min 5 s"``; see the module docstring."""
    if value is None:
        return ""
    seconds = _seconds(value)
    if not math.isfinite(seconds):
        raise FilterError(f"humanizeDuration needs a finite duration, got {value!r}")
    return duration_text(seconds)


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise FilterError(f"humanizeDuration needs a number of seconds, got {value!r}")
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            duration = parse_duration(text)
            if duration is not None:
                return duration.total_seconds()
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise FilterError(f"humanizeDuration needs a number of seconds or a duration, got {shown}")


def to_json(value: Any) -> str:
    """JSON text of ``value``; see the module docstring."""
    try:
        return dump_json(value)
    except ValueError as exc:
        raise FilterError(f"json: {exc}") from exc


def default(value: Any, fallback: Any) -> Any:
    """``fallback`` if ``value`` is None; missing values are handled by the renderer."""
    return fallback if value is None else value


FILTERS: dict[str, FilterSpec] = {
    "humanizeDuration": FilterSpec(arity=0, apply=humanize_duration),
    "json": FilterSpec(arity=0, apply=to_json),
    "default": FilterSpec(arity=1, apply=default),
}
