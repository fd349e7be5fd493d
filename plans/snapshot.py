"""Freezing a plan into the JSON a run executes.

A snapshot holds everything a run needs to execute without reading the plan again: tasks in
order with their configs, conditions and resolved upstream refs, and under `types` what each
task type present froze for itself (`TaskType.snapshot_data`: the flow type's parameter
layers). Secrets appear only as references (`connections.Secret` ids), never as values.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from plans.models import Plan, PlanTask, Trigger
from plans.task_types import REGISTRY

SNAPSHOT_VERSION = 2


def resolved_upstream(tasks: list[PlanTask]) -> dict[int, list[str]]:
    """Each task's upstream refs, with the default (the task listed just before) filled in."""
    upstream: dict[int, list[str]] = {}
    previous: PlanTask | None = None
    for task in tasks:
        if task.upstream is None:
            upstream[task.pk] = [previous.ref] if previous is not None else []
        else:
            upstream[task.pk] = list(task.upstream)
        previous = task
    return upstream


def task_entry(task: PlanTask, upstream: list[str]) -> dict[str, Any]:
    return {
        "id": task.pk,
        "position": task.position,
        "name": task.name,
        "ref": task.ref,
        "type": task.type,
        "config": task.config,
        "secrets": dict(task.secrets),
        "runWhen": task.run_when,
        "upstream": upstream,
    }


def types_data(plan: Plan, trigger: Trigger | None, tasks: list[PlanTask]) -> dict[str, Any]:
    """What each task type present in `tasks` freezes for itself, by type name."""
    data: dict[str, Any] = {}
    for name in dict.fromkeys(task.type for task in tasks):
        task_type = REGISTRY.get(name)
        if task_type is None:
            continue
        frozen = task_type.snapshot_data(
            plan=plan, trigger=trigger, tasks=[t for t in tasks if t.type == name]
        )
        if frozen is not None:
            data[name] = frozen
    return data


def build_snapshot(plan: Plan, *, trigger: Trigger | None = None) -> dict[str, Any]:
    """The plan as it is now (for a run started by `trigger`, if any), as a JSON-serialisable
    dict."""
    tasks = list(plan.tasks.order_by("position", "id"))
    upstream = resolved_upstream(tasks)
    return {
        "version": SNAPSHOT_VERSION,
        "takenAt": timezone.now().isoformat(),
        "plan": {
            "id": plan.pk,
            "name": plan.name,
            "description": plan.description,
            "ownerId": plan.owner_id,
        },
        "tasks": [task_entry(task, upstream[task.pk]) for task in tasks],
        "types": types_data(plan, trigger, tasks),
    }
