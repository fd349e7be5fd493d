"""Parameter values: coercion to their declared type, and safe insertion into file paths.

In SQL a parameter is always bound as a value (see `flows.engine.sqlcheck`); only paths take
parameter text, and there a value is one path segment or part of one: no `/`, `\\`, `..`, NUL or
glob characters, so `{region}` can neither climb out of a storage root nor widen a wildcard.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from flows.engine.errors import FlowError, ParameterError

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
# Characters that would let a value change the meaning of a path: separators, globs, braces.
_UNSAFE_IN_PATH = set("/\\*?[]{}\x00")


def coerce_parameter(type: str, value: Any, *, name: str = "") -> Any:
    """Return `value` as the Python value of parameter type `type`.

    string -> str (numbers are turned into text); number -> int or float (text is parsed; bools,
    NaN and infinities are refused); boolean -> bool (also "true"/"false", "yes"/"no", "1"/"0",
    1/0); date -> datetime.date (also ISO "YYYY-MM-DD" text; a datetime is refused rather than
    silently truncated). None is refused for every type. Raises ParameterError naming the problem.
    """
    label = f"Parameter {name}" if name else "The parameter"
    if value is None:
        raise ParameterError(f"{label} needs a {type} value.")
    if type == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise ParameterError(f"{label} must be text, not {_describe(value)}.")
    if type == "number":
        return _coerce_number(value, label)
    if type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ParameterError(f"{label} must be true or false, not {_describe(value)}.")
    if type == "date":
        if isinstance(value, dt.datetime):
            raise ParameterError(f"{label} must be a date without a time, not {value.isoformat()}.")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ParameterError(f"{label} must be a date as YYYY-MM-DD, not {_describe(value)}.")
    raise ParameterError(f"{label} has an unknown type {type!r}.")


def _coerce_number(value: Any, label: str) -> int | float:
    if isinstance(value, bool):
        raise ParameterError(f"{label} must be a number, not a boolean.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"{label} must be a finite number.")
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise ParameterError(f"{label} must be a number, not {_describe(value)}.") from None
        if not math.isfinite(number):
            raise ParameterError(f"{label} must be a finite number.")
        return number
    raise ParameterError(f"{label} must be a number, not {_describe(value)}.")


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def path_text(value: Any) -> str:
    """The text a parameter value takes in a path: dates as YYYY-MM-DD, booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def render_path(template: str, values: Mapping[str, Any], *, what: str) -> str:
    """Replace each `{name}` in `template` by its value from `values`, refusing unsafe values.

    A value may not contain a path separator, NUL, glob characters or braces, and may not be
    empty, "." or ".."; an unknown placeholder or an unsafe value raises FlowError (naming `what`,
    e.g. "Dataset sales"). Wildcards written in the template itself are kept.
    """

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            known = ", ".join("{" + k + "}" for k in sorted(values)) or "none"
            raise FlowError(
                f"{what}: the path uses {{{key}}}, which is not known (known: {known})."
            )
        text = path_text(values[key])
        if text in ("", ".", "..") or any(char in _UNSAFE_IN_PATH for char in text):
            raise FlowError(
                f"{what}: the value {text!r} of {{{key}}} cannot be used in a path "
                "(it must not be empty, '.' or '..', nor contain / \\ * ? [ ] {{ }})."
            )
        return text

    return _PLACEHOLDER.sub(replace, template)
