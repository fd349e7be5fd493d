"""What every task type provides, and what the job runner hands it.

A task type is one module with one `TaskType` subclass registered in `executors.REGISTRY`:
its config schema (`clean_config`), its secret fields and `run(spec, context)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

ConfigErrors = dict[str, list[str]]
Outcome = Literal["succeeded", "failed", "canceled"]


@dataclass
class ExecutionResult:
    """The outcome of one job. `result` must be JSON-serialisable and hold no secret."""

    status: Outcome
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class ExecutionContext:
    """Everything an executor may use besides its spec.

    `render` fills metadata references in a string (raising on a reference it cannot fill);
    `secret` returns the decrypted value of one of the task's secret fields, or None.
    `cancel` is set when the run is canceled; long waits must watch it.
    """

    job_id: int
    run_id: int | None
    log: Callable[[str], None]
    render: Callable[[str], str]
    secret: Callable[[str], str | None]
    cancel: threading.Event
    # The snapshot's plan entry, e.g. for parameters of flow tasks.
    plan: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)


class TaskType:
    """Base class of a task type; subclasses set `type` and override the hooks."""

    type: ClassVar[str]
    label: ClassVar[str]
    secret_fields: ClassVar[tuple[str, ...]] = ()
    # Config fields holding a `tasks_engine.Connection` id (exported by the connection's name).
    connection_fields: ClassVar[tuple[str, ...]] = ()
    # Config fields whose text may hold {{...}} references, as (field, kind) pairs.
    reference_fields: ClassVar[tuple[str, ...]] = ()

    def clean_config(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], ConfigErrors]:
        """Validate and normalise a config; return (clean config, errors keyed by field)."""
        raise NotImplementedError

    def used_resources(self, config: Mapping[str, Any]) -> list[tuple[str, str, int]]:
        """The stored things a clean config points at, as (field, kind, id) with kind
        "connection" or "flow": the plan's owner must be allowed to use each of them."""
        return [
            (name, "connection", config[name])
            for name in self.connection_fields
            if isinstance(config.get(name), int)
        ]

    def reference_texts(self, config: Mapping[str, Any]) -> list[str]:
        """The strings of a config that may contain references (for validation at save)."""
        texts: list[str] = []
        for name in self.reference_fields:
            value = config.get(name)
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, Mapping):
                texts.extend(str(v) for v in value.values())
        return texts

    def run(self, spec: Mapping[str, Any], context: ExecutionContext) -> ExecutionResult:
        raise NotImplementedError


def add_error(errors: ConfigErrors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def int_field(
    errors: ConfigErrors, config: Mapping[str, Any], name: str, *, default: int, low: int, high: int
) -> int:
    """Read a whole number within [low, high]; booleans and fractions are refused."""
    value = config.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            add_error(errors, name, f"Enter a whole number from {low} to {high}.")
            return default
    if not low <= value <= high:
        add_error(errors, name, f"Enter a whole number from {low} to {high}.")
    return value


def bool_field(
    errors: ConfigErrors, config: Mapping[str, Any], name: str, *, default: bool
) -> bool:
    value = config.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        add_error(errors, name, "Must be true or false.")
        return default
    return value


def str_field(
    errors: ConfigErrors,
    config: Mapping[str, Any],
    name: str,
    *,
    required: bool,
    max_length: int = 10_000,
) -> str:
    value = config.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        add_error(errors, name, "Must be text.")
        return ""
    if required and not value.strip():
        add_error(errors, name, "This field is required.")
    if len(value) > max_length:
        add_error(errors, name, f"At most {max_length} characters.")
    return value
