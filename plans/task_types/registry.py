"""The registry of task types, filled by the apps that define them (from their `ready()`)."""

from __future__ import annotations

from plans.task_types.base import TaskType

REGISTRY: dict[str, TaskType] = {}


def register(task_type: TaskType) -> TaskType:
    """Add `task_type` under its `name`; registering the same name twice is a programming error
    unless it is the same class again (an app's `ready()` may run twice in tests)."""
    current = REGISTRY.get(task_type.name)
    if current is not None and type(current) is not type(task_type):
        raise ValueError(f"Task type {task_type.name!r} is already registered.")
    REGISTRY[task_type.name] = task_type
    return task_type


def unregister(name: str) -> None:
    """Remove a task type (tests register toy types and take them away again)."""
    REGISTRY.pop(name, None)


def get_task_type(name: str) -> TaskType:
    """The registered task type `name`; KeyError naming the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"Unknown task type {name!r}; known: {', '.join(sorted(REGISTRY))}."
        ) from None


def task_type_choices() -> list[tuple[str, str]]:
    """(name, label) of every registered type, in registration order (HTTP first)."""
    return [(name, task_type.label) for name, task_type in REGISTRY.items()]
