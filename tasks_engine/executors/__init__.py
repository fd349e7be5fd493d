"""The registry of task types: `REGISTRY[type]` is the one object that validates and runs it."""

from __future__ import annotations

from tasks_engine.executors.base import TaskType
from tasks_engine.executors.delete import DeleteTask
from tasks_engine.executors.flow import FlowTask
from tasks_engine.executors.http import HttpTask
from tasks_engine.executors.slack import SlackTask

REGISTRY: dict[str, TaskType] = {
    task.type: task for task in (HttpTask(), SlackTask(), DeleteTask(), FlowTask())
}


def get_task_type(name: str) -> TaskType:
    """Return the registered task type, or raise KeyError naming the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"Unknown task type {name!r}; known: {', '.join(sorted(REGISTRY))}."
        ) from None
