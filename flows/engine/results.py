"""What a run hands back per output, with values made safe for JSON."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OutputResult:
    """One written output.

    `path` is what users see: the path relative to the storage root, or s3://bucket/key.
    `row_count` counts the rows this run wrote (in append mode the file holds more);
    `size_bytes` is the size of the file now at `path`; `preview` is up to 20 of this run's rows.
    """

    output: str
    path: str
    format: str
    row_count: int
    columns: list[tuple[str, str]]
    size_bytes: int
    preview: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "path": self.path,
            "format": self.format,
            "row_count": self.row_count,
            "columns": [[name, kind] for name, kind in self.columns],
            "size_bytes": self.size_bytes,
            "preview": self.preview,
        }


def json_safe(value: Any) -> Any:
    """A value JSON can hold: dates as ISO text, decimals and UUIDs as text, bytes as base64,
    NaN/infinity as None; lists and structs converted item by item."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(item) for item in value]
    return str(value)
