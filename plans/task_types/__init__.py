"""Task types: what a plan knows of each kind of task, reached through one registry.

A task type is one module holding one `TaskType` subclass: HTTP, Slack and Delete in
`tasks_engine/task_types/`, Flow in `flows/task_type.py`. Each registers itself from its app's
`ready()` with `register()`. `plans` sits below those apps and never imports them: validation
at save, the snapshot's hooks, the reference check, the forms and the docs all come from the
registry (see docs/decisions/task-types.md).
"""

from plans.task_types.base import (
    Resource,
    ResourceKind,
    SaveContext,
    TaskType,
    register_resource_kind,
    resource_kind,
)
from plans.task_types.registry import (
    REGISTRY,
    get_task_type,
    register,
    task_type_choices,
    unregister,
)

__all__ = [
    "REGISTRY",
    "Resource",
    "ResourceKind",
    "SaveContext",
    "TaskType",
    "get_task_type",
    "register",
    "register_resource_kind",
    "resource_kind",
    "task_type_choices",
    "unregister",
]
