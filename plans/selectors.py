"""Reads of plans for the pages: lists that cost the same at any size (who may see what is
`plans.access`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from plans.models import Plan, PlanShare, PlanTask, RunWhen
from plans.snapshot import resolved_upstream


def plan_collaborators(plan: Plan) -> QuerySet[PlanShare]:
    """The plan's shares with their users, oldest first (the owner is not among them)."""
    return PlanShare.objects.filter(plan=plan).select_related("user").order_by("id")


@dataclass(frozen=True)
class TaskRow:
    """One task as Plan View draws it: its resolved upstream refs and whether it branches.

    `branches` is true when the task does not simply follow the task listed before it on
    success (another condition, several upstreams, or an upstream further back), which is
    what the page indents so the shape of the plan is visible at a glance.
    """

    task: PlanTask
    upstream: list[str]
    branches: bool


def plan_task_rows(plan: Plan) -> list[TaskRow]:
    """The plan's tasks in execution order with their resolved upstream refs."""
    tasks = list(plan.tasks.order_by("position", "id"))
    upstream = resolved_upstream(tasks)
    rows: list[TaskRow] = []
    previous: PlanTask | None = None
    for task in tasks:
        ups = upstream[task.pk]
        plain = task.run_when == RunWhen.ON_SUCCESS and (
            ups == ([previous.ref] if previous is not None else [])
        )
        rows.append(TaskRow(task=task, upstream=ups, branches=not plain))
        previous = task
    return rows
