"""Values a caller puts in a rendering context, and JSON encoding of context values.

A context is plain data: dicts (or any ``Mapping``), lists, tuples and scalars. Templates can
only walk mapping keys and list indexes, never Python attributes. Two markers let the caller
describe data that is not there in the ordinary way:

- :class:`Unavailable` stands for a value that cannot exist, with the reason a user should
  read (a response body that is not JSON);
- :class:`LazyValue` computes its value on first use, so work such as parsing a large body
  happens only when a template asks for it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any


class Unavailable:
    """A value that cannot be had; ``reason`` is shown to the user when a template asks for it.

    Inside a whole object rendered as JSON it becomes ``null``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unavailable({self.reason!r})"


class LazyValue:
    """A value computed by ``compute`` the first time a template needs it, then cached.

    ``compute`` may return :class:`Unavailable`; exceptions it raises propagate to the caller
    of ``render`` (it is the caller's code, not the user's).
    """

    _PENDING = object()

    def __init__(self, compute: Callable[[], Any]) -> None:
        self._compute = compute
        self._value: Any = self._PENDING

    def get(self) -> Any:
        """Return the value, computing it on the first call."""
        if self._value is self._PENDING:
            self._value = self._compute()
        return self._value


class HeaderMap(Mapping[str, str]):
    """Read-only HTTP headers whose lookups ignore case, as HTTP says they should.

    Iteration gives the names as received, so rendering the whole map keeps their spelling.
    """

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {
            name.lower(): (name, value) for name, value in (headers or {}).items()
        }

    def __getitem__(self, name: str) -> str:
        if not isinstance(name, str):
            raise KeyError(name)
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)


def response_context(*, body: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the ``response`` subtree of an HTTP task's context.

    Gives ``{"body": body, "headers": <case-insensitive headers>, "json": <parsed body>}``.
    The body is parsed only if a template uses ``response.json``; when it is not valid JSON,
    references into ``response.json`` fail with a message saying so (``|default`` applies).
    """

    def parse_body() -> Any:
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            return Unavailable(f"the response body is not valid JSON ({_short(str(exc))})")

    return {"body": body, "headers": HeaderMap(headers), "json": LazyValue(parse_body)}


def resolve_marker(value: Any) -> Any:
    """Return what a :class:`LazyValue` stands for; any other value unchanged."""
    return value.get() if isinstance(value, LazyValue) else value


def dump_json(value: Any) -> str:
    """Encode a context value as compact JSON (non-ASCII kept as is).

    Datetimes become ISO strings, Decimal and UUID strings, timedeltas seconds, other
    mappings objects, :class:`Unavailable` ``null``. Raises ``ValueError`` for anything
    else, for NaN/infinity and for structures too deep or circular.
    """
    try:
        return json.dumps(
            value,
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"the value cannot be written as JSON ({_short(str(exc))})") from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, LazyValue):
        return value.get()
    if isinstance(value, Unavailable):
        return None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"a {type(value).__name__} is not JSON data")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
