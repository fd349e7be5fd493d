"""Serializer fields task types declare their configs with.

Strict text, whole numbers and booleans (a wrong JSON type is an error naming the field, never
coerced), and `ResourceField`: the id of a connection or flow, checked against the save's
`SaveContext` so that a plan names only what its owner (and whoever changes it) may use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework import serializers

from connections.models import Connection
from connections.selectors import connections_visible_to
from plans.task_types.base import ResourceKind, SaveContext, register_resource_kind, resource_kind


class StrictCharField(serializers.CharField):
    """Text only: `123` is refused rather than turned into `"123"`."""

    default_error_messages = {"not_text": "Must be text."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON `true` and `false` only."""

    default_error_messages = {"not_bool": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("not_bool")
        return data


class WholeNumberField(serializers.IntegerField):
    """A whole number within [min_value, max_value]; digit strings are read, booleans and
    fractions refused, with one message naming the range."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs: Any) -> None:
        message = f"Enter a whole number from {min_value} to {max_value}."
        kwargs["error_messages"] = {
            "invalid": message,
            "min_value": message,
            "max_value": message,
            "max_string_length": message,
        }
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class ResourceField(serializers.Field):
    """The id of a `kind` (a registered `ResourceKind`) the plan's owner may use.

    A resource the owner may not use gets the message a missing id gets, so ids of other users'
    things reveal nothing. One that is new or changed in this save must be usable by the saver
    as well (`SaveContext`).
    """

    kind: str = ""

    def __init__(self, *, kind: str | None = None, **kwargs: Any) -> None:
        if kind is not None:
            self.kind = kind
        kwargs.setdefault("error_messages", {"required": f"Choose a {self.kind}."})
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return value

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data)
        if data is None or data == "":
            raise serializers.ValidationError(f"Choose a {self.kind}.")
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(f"Give the id of a {self.kind}.")
        context: SaveContext = self.context.get("save") or SaveContext()
        kind = resource_kind(self.kind)
        if context.owner is not None:
            if not kind.visible_to(context.owner).filter(pk=data).exists():
                raise serializers.ValidationError(
                    f"No {self.kind} with id {data} that the plan's owner may use."
                )
            changed = context.previous.get(self.field_name) != data
            saver = context.saver
            if (
                changed
                and saver is not None
                and saver != context.owner
                and not kind.visible_to(saver).filter(pk=data).exists()
            ):
                raise serializers.ValidationError(
                    f"No {self.kind} with id {data} that you may use."
                )
        elif not kind.rows().filter(pk=data).exists():
            raise serializers.ValidationError(f"No {self.kind} with id {data}.")
        self.check_row(data)
        return data

    def check_row(self, pk: int) -> None:
        """Further checks of an existing, usable row (override)."""


class ConnectionField(ResourceField):
    """The id of a connection of one of `kinds` (slack, s3, local)."""

    kind = "connection"

    def __init__(self, *, kinds: Sequence[str], **kwargs: Any) -> None:
        self.kinds = tuple(kinds)
        super().__init__(**kwargs)

    def check_row(self, pk: int) -> None:
        kind = Connection.objects.filter(pk=pk).values_list("kind", flat=True).first()
        if kind not in self.kinds:
            raise serializers.ValidationError(
                f"Choose a connection of kind {' or '.join(self.kinds)}."
            )


register_resource_kind(
    ResourceKind("connection", rows=Connection.objects.all, visible_to=connections_visible_to)
)


class SecretField(StrictCharField):
    """A write-only secret: stored encrypted outside the config, shown only as set/not set.

    On input, text sets or replaces the value, null removes it and an absent field keeps it
    (`plans.validation` stores it; the config never holds the value).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(write_only=True, required=False, allow_null=True)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


class UpperChoiceField(serializers.ChoiceField):
    """A choice written in capitals (`get` is read as `GET`), one message naming the choices."""

    def __init__(self, choices: tuple[str, ...], **kwargs: Any) -> None:
        kwargs["error_messages"] = {"invalid_choice": f"Choose one of {', '.join(choices)}."}
        super().__init__(choices=choices, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)
