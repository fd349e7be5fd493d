"""Config fields of the engine's task types beyond the common ones (`plans.task_types.fields`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CODE_CLASS = re.compile(r"^[1-5]xx$")


class HeadersField(serializers.Field):
    """HTTP headers: an object of names to one-line text values (numbers are written as text)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", dict)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return value

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if data in (None, ""):
            return {}
        if not isinstance(data, Mapping):
            raise serializers.ValidationError("Headers must be an object of names to values.")
        headers: dict[str, str] = {}
        problems: list[str] = []
        for name, value in data.items():
            if not isinstance(name, str) or not _HEADER_NAME.match(name):
                problems.append(f"{name!r} is not a valid header name.")
            elif not isinstance(value, str | int | float) or isinstance(value, bool):
                problems.append(f"The value of header {name!r} must be text.")
            elif "\n" in str(value) or "\r" in str(value):
                problems.append(f"The value of header {name!r} must be on one line.")
            else:
                headers[name] = str(value)
        if problems:
            raise serializers.ValidationError(problems)
        return headers


class SuccessCodesField(serializers.Field):
    """Status codes (100-599) and classes ("2xx") that count as success; empty means 2xx."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", lambda: ["2xx"])
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return value

    def to_internal_value(self, data: Any) -> list[int | str]:
        if data in (None, []):
            return ["2xx"]
        if not isinstance(data, list):
            raise serializers.ValidationError(
                'Give a list of codes and classes, e.g. [200, 204, "3xx"].'
            )
        codes: list[int | str] = []
        problems: list[str] = []
        for item in data:
            if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
                codes.append(item)
            elif isinstance(item, str) and item.isdigit() and 100 <= int(item) <= 599:
                codes.append(int(item))
            elif isinstance(item, str) and _CODE_CLASS.match(item.lower()):
                codes.append(item.lower())
            else:
                problems.append(
                    f'{item!r} is neither a status code (100-599) nor a class like "2xx".'
                )
        if problems:
            raise serializers.ValidationError(problems)
        return codes
