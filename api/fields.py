"""Serializer fields for the API's JSON conventions.

Times are UTC with a `Z` and whole seconds (`2026-11-26T04:30:00Z`); text inputs refuse
numbers and booleans instead of coercing them, so a wrong type is a 400 naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

# The largest id a database column holds; bigger numbers in filters are refused, not overflowed.
MAX_ID = 2**63 - 1


def format_utc(value: datetime | None) -> str | None:
    """`2026-11-26T04:30:00Z` for an aware datetime; None stays None."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class UtcDateTimeField(serializers.Field):
    """Read-only: an aware datetime as ISO 8601 UTC with `Z`, or null."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: datetime | None) -> str | None:
        return format_utc(value)


class BlankAsNullField(serializers.Field):
    """Read-only: text, with an empty string shown as null (e.g. `error` of a run)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: str | None) -> str | None:
        return value or None


class StrictCharField(serializers.CharField):
    """A CharField that refuses non-text input rather than turning `123` into `"123"`."""

    default_error_messages = {"not_text": "Must be text."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A BooleanField that accepts only JSON `true` and `false`."""

    default_error_messages = {"not_bool": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("not_bool")
        return data


class RawJSONField(serializers.Field):
    """Any JSON value, passed through untouched for a service to validate (e.g. `tasks`)."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class ParameterOverridesField(serializers.Field):
    """`{"<name>": {...}, ...}`: an object whose values are objects (null means none)."""

    default_error_messages = {
        "not_object": "Must be an object.",
        "not_object_of_objects": "Each entry must be an object.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(data, Mapping):
            self.fail("not_object")
        bad = {
            str(key): [self.error_messages["not_object_of_objects"]]
            for key, value in data.items()
            if not isinstance(value, Mapping)
        }
        if bad:
            raise serializers.ValidationError(bad)
        return {str(key): dict(value) for key, value in data.items()}

    def to_representation(self, value: Any) -> Any:
        return value
